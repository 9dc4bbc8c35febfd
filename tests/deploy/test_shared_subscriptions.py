"""Scale-out on the shipped broker: collector replicas behind one shared subscription.

Why compose.yaml gives each replica a stable client id: on mosquitto 2.0.11 a
member of a shared subscription whose persistent session is offline keeps
receiving its round-robin share, queued in that session. The same replica
coming back under the same client id gets it; nothing is lost or doubled.
And a collector that holds its acks for a batch gets a full window of them.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Callable

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from tests.deploy.broker import SHIPPED_CONF, WAIT_S, Peer, ShippedBroker
from tests.deploy.conftest import ACCOUNTS
from tests.support.waits import wait_until
from wire import topics

pytestmark = pytest.mark.integration

_batch = itertools.count()


def gather(peers: list[Peer], expected: set[bytes]) -> list[list[bytes]]:
    """What each peer receives, until together they have every expected payload."""
    got: list[list[bytes]] = [[] for _ in peers]
    deadline = time.monotonic() + WAIT_S
    while not expected <= {p for share in got for p in share}:
        if time.monotonic() > deadline:
            raise TimeoutError(f"missing {expected - {p for share in got for p in share}}")
        for index, peer in enumerate(peers):
            try:
                got[index].append(peer.messages.get(timeout=0.02)[1])
            except queue.Empty:
                continue
    return got


def replicas(connect: Callable[..., Peer], batch: int, *names: str) -> list[Peer]:
    """Members of a group of their own: sessions left by other tests must not take a share."""
    peers = [connect("collector", client_id=name, session_expiry_s=600) for name in names]
    for peer in peers:
        assert peer.subscribe(topics.shared(f"collectors-{batch}", topics.ALL_READINGS)) == 1
    return peers


def test_readings_are_split_between_replicas_once_each(connect: Callable[..., Peer]) -> None:
    batch = next(_batch)
    one, two = replicas(connect, batch, f"collector-1-{batch}", f"collector-2-{batch}")
    gateway = connect("gw-a")
    payloads = [f"r{batch}-{n}".encode() for n in range(20)]
    for payload in payloads:
        gateway.publish(topics.reading("gw-a", "weight"), payload)

    got_one, got_two = gather([one, two], set(payloads))
    assert sorted(got_one + got_two) == sorted(payloads)  # each reading exactly once
    assert got_one
    assert got_two


def test_a_restarted_replica_gets_the_share_queued_while_it_was_away(
    connect: Callable[..., Peer],
) -> None:
    batch = next(_batch)
    steady, away = replicas(connect, batch, f"steady-{batch}", f"away-{batch}")
    away.close()  # the container stops; its session stays on the broker
    gateway = connect("gw-a")
    payloads = [f"q{batch}-{n}".encode() for n in range(10)]
    for payload in payloads:
        gateway.publish(topics.reading("gw-a", "glucose"), payload)

    back = connect("collector", client_id=f"away-{batch}", session_expiry_s=600)
    got_steady, got_before, got_back = gather([steady, away, back], set(payloads))
    assert got_before == []  # it had left before the first reading
    assert got_back, "the replica's session did not keep its share"
    assert sorted(got_steady + got_back) == sorted(payloads)


def shipped_setting(name: str) -> int:
    for line in SHIPPED_CONF.read_text().splitlines():
        if line.startswith(f"{name} "):
            return int(line.split()[1])
    raise AssertionError(f"{name} is not set in the shipped mosquitto.conf")


@pytest.mark.parametrize("receive_maximum", [None, 4000], ids=["broker-window", "client-window"])
def test_a_collector_holding_acks_for_a_batch_gets_a_full_window(
    broker: ShippedBroker, connect: Callable[..., Peer], receive_maximum: int | None
) -> None:
    """The collector acks only after the store write. Mosquitto's default window
    of 20 unacked messages would stall its batches: the shipped config raises
    it, and an MQTT 5 client's own Receive Maximum (the collector asks 4000)
    takes precedence over it."""
    window = receive_maximum or shipped_setting("max_inflight_messages")
    assert window >= 1000
    topic = topics.reading("gw-a", f"held{next(_batch)}")
    got: list[int] = []
    subscribed = threading.Event()
    client = paho.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"holder-{next(_batch)}",
        protocol=MQTTProtocolVersion.MQTTv5,
    )
    client.username_pw_set("collector", ACCOUNTS["collector"])
    client.tls_set(ca_certs=str(broker.certs / "ca.crt"))
    client.manual_ack_set(True)  # the collector's way: ack after the store has it
    client.on_message = lambda _c, _u, message: got.append(message.mid)
    client.on_subscribe = lambda *_args: subscribed.set()
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    if receive_maximum:
        properties.ReceiveMaximum = receive_maximum
    client.connect("127.0.0.1", broker.password_port, properties=properties)
    client.loop_start()
    try:
        client.subscribe(topic, qos=1)
        assert subscribed.wait(WAIT_S)
        gateway = connect("gw-a")
        sent = [gateway.client.publish(topic, b"{}", qos=1) for _ in range(window + 200)]
        sent[-1].wait_for_publish(WAIT_S)  # the broker has routed every one of them
        wait_until(lambda: len(got) >= window, WAIT_S, f"a window of {window}")
        # a SUBSCRIBE round trip: the broker writes its SUBACK behind every PUBLISH it
        # had already decided to send us, so more than the window would be here by then
        again = threading.Event()
        client.on_subscribe = lambda *_args: again.set()
        client.subscribe(topic, qos=1)
        assert again.wait(WAIT_S)
        assert len(got) == window
    finally:
        client.disconnect()
        client.loop_stop()
