"""The collector's paho client: every message as sent, acks that reach the broker."""

from __future__ import annotations

import secrets
import socket
import threading

import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from collector.fastclient import BatchingClient, BufferedSocket
from tests.collector.peers import publish
from tests.support.mosquitto import Mosquitto

#: Published after subscribing when nothing is expected: whatever was resent comes before it.
MARKER = "t/marker"


def test_buffer_reports_only_whole_packets() -> None:
    left, right = socket.socketpair()
    try:
        sock = BufferedSocket(left)
        body = b"x" * 300  # remaining length 300: two length bytes
        packet = b"\x30" + bytes([300 % 128 | 0x80, 300 // 128]) + body
        right.sendall(packet[:100])
        assert sock.recv(1) == b"\x30"  # paho reads the command byte first
        sock._buf, sock._pos = packet[:100], 0  # as if nothing had been read yet
        assert sock.pending() == 0  # a partial packet must not make paho spin
        assert sock.take_packet() is None
        sock._buf = packet + packet[:3]
        assert sock.pending() == len(sock._buf)
        assert sock.take_packet() == (0x30, body)
        assert sock.pending() == 0
        assert sock.take_packet() is None
    finally:
        left.close()
        right.close()


def _consume(
    port: int, protocol: MQTTProtocolVersion, expected: int, client_id: str
) -> list[tuple[int, str, bytes]]:
    """What the session brings; with ``expected`` 0, what comes before a marker published
    once subscribed (a resend of anything unacknowledged would come first)."""
    received: list[tuple[int, str, bytes]] = []
    marker = secrets.token_bytes(8)
    done = threading.Event()
    subscribed = threading.Event()
    v5 = protocol == MQTTProtocolVersion.MQTTv5
    client = BatchingClient(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=protocol,
        clean_session=None if v5 else False,
    )
    client.manual_ack_set(True)

    def on_packet(mid: int, qos: int, topic: str, payload: bytes) -> None:
        received.append((mid, topic, payload))
        if len(received) % 50 == 0:  # the broker sends 100 unacknowledged at most
            client.ack_many([m for m, _t, _p in received[-50:]])
        if (expected and len(received) >= expected) or (topic, payload) == (MARKER, marker):
            done.set()

    client.on_publish_packet = on_packet
    client.on_subscribe = lambda *_a: subscribed.set()
    if v5:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 600
        client.connect("127.0.0.1", port, clean_start=False, properties=props)
    else:
        client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        client.subscribe("t/#", qos=1)
        assert subscribed.wait(10)
        if not expected:
            publish(port, [(MARKER, marker)], protocol)
        assert done.wait(30), f"received {len(received)} of {expected}"
        client.ack_many([mid for mid, _t, _p in received[len(received) // 50 * 50 :]])
        # a round trip behind those PUBACKs: the broker answers it once it has read them
        client.publish("ack/probe", b"", qos=1).wait_for_publish(10)
    finally:
        # paho writes its DISCONNECT behind the queued PUBACKs and calls on_disconnect once
        # it is written: then the broker has every ack (loop_stop alone would drop them)
        gone = threading.Event()
        client.on_disconnect = lambda *_a: gone.set()
        client.disconnect()
        gone.wait(10)
        client.loop_stop()
    return [(mid, topic, payload) for mid, topic, payload in received if topic != MARKER]


@pytest.mark.parametrize("protocol", [MQTTProtocolVersion.MQTTv5, MQTTProtocolVersion.MQTTv311])
def test_every_message_arrives_whole_and_acks_reach_the_broker(
    mosquitto: Mosquitto, protocol: MQTTProtocolVersion
) -> None:
    # sizes around the 64 KiB read chunk and the length-byte boundaries; an empty payload
    sizes = [0, 1, 127, 128, 16_383, 16_384, 70_000, 200_000] + [450] * 3000
    messages = [(f"t/{n % 7}/é", bytes([n % 251]) * size) for n, size in enumerate(sizes)]
    _consume(mosquitto.port, protocol, 0, "fast")  # the persistent session exists
    publish(mosquitto.port, messages, protocol)

    received = _consume(mosquitto.port, protocol, len(messages), "fast")

    assert [(topic, payload) for _m, topic, payload in received] == messages
    # acknowledged: reconnecting to the same session brings nothing back
    assert _consume(mosquitto.port, protocol, 0, "fast") == []
