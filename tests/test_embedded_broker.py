"""The demo's embedded broker carries QoS 1 messages and keeps persistent sessions."""

from __future__ import annotations

import threading

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from demo.broker import EmbeddedBroker
from veille.mqtt import BrokerSettings, negotiate_protocol
from wire import topics


def _client(client_id: str, *, clean: bool) -> paho.Client:
    return paho.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=MQTTProtocolVersion.MQTTv311,
        clean_session=clean,
    )


def test_clients_fall_back_to_311_and_messages_flow() -> None:
    with EmbeddedBroker() as broker:
        settings = BrokerSettings(url=broker.url)
        assert negotiate_protocol(settings) == MQTTProtocolVersion.MQTTv311

        received: list[bytes] = []
        got = threading.Event()
        subscriber = _client("sub", clean=True)

        def on_message(_c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
            received.append(bytes(msg.payload))
            got.set()

        subscribed = threading.Event()
        subscriber.on_message = on_message
        subscriber.on_subscribe = lambda *_a: subscribed.set()
        subscriber.connect("127.0.0.1", broker.port)
        subscriber.loop_start()
        subscriber.subscribe(topics.ALL_READINGS, qos=1)
        assert subscribed.wait(5)

        publisher = _client("pub", clean=True)
        publisher.connect("127.0.0.1", broker.port)
        publisher.loop_start()
        info = publisher.publish(topics.reading("gw-1", "weight"), b"{}", qos=1)
        info.wait_for_publish(5)
        assert got.wait(5)
        assert received == [b"{}"]
        for client in (publisher, subscriber):
            client.disconnect()
            client.loop_stop()
