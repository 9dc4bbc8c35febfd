"""The collector's peers in tests: gateways that publish, and ears on the ack topics."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from collector.consumer import Collector
from wire import topics
from wire.ack import Ack
from wire.reading import WireReading


def _client(port: int, protocol: MQTTProtocolVersion) -> paho.Client:
    client = paho.Client(CallbackAPIVersion.VERSION2, protocol=protocol)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def publish(
    port: int,
    messages: Iterable[tuple[str, bytes]],
    protocol: MQTTProtocolVersion = MQTTProtocolVersion.MQTTv5,
) -> None:
    """Publish (topic, payload) pairs with QoS 1 and wait until the broker has them all."""
    client = _client(port, protocol)
    try:
        infos = [client.publish(topic, payload, qos=1) for topic, payload in messages]
        for info in infos:
            info.wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()


def as_message(reading: WireReading) -> tuple[str, bytes]:
    return topics.reading(reading.gateway, reading.kind.value), reading.encode()


class Ears:
    """Everything the collector publishes: gateway acks and dead letters."""

    def __init__(self, port: int, protocol: MQTTProtocolVersion = MQTTProtocolVersion.MQTTv5):
        self.acks: list[tuple[str, Ack]] = []
        self.dead: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        ready = threading.Event()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, protocol=protocol)
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_a: ready.set()
        self.client.connect("127.0.0.1", port)
        self.client.subscribe([(topics.ALL_ACKS, 1), (topics.DEAD_LETTER, 1)])
        self.client.loop_start()
        assert ready.wait(10), "no SUBACK"

    def _on_message(self, _c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        with self._lock:
            if msg.topic == topics.DEAD_LETTER:
                self.dead.append(json.loads(msg.payload))
            else:
                self.acks.append(
                    (topics.gateway_of(msg.topic) or "", Ack.decode(bytes(msg.payload)))
                )

    def acked_ids(self) -> list[str]:
        with self._lock:
            return [i for _gw, ack in self.acks for i in ack.ids]

    def rejected(self) -> dict[str, str]:
        with self._lock:
            return {r.id: r.reason for _gw, ack in self.acks for r in ack.rejected}

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@contextmanager
def running(collector: Collector) -> Iterator[Collector]:
    """The collector in a thread, subscribed, stopped on exit."""
    thread = threading.Thread(target=collector.run, daemon=True)
    thread.start()
    try:
        assert collector.subscribed.wait(10), "collector did not subscribe"  # its SUBACK came
        yield collector
    finally:
        collector.stop()
        thread.join(15)
        assert not thread.is_alive()
