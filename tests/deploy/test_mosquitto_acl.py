"""The shipped broker configuration confines each gateway to its own prefix.

Debian's mosquitto runs `deploy/mosquitto/mosquitto.conf` and the shipped ACL
file verbatim (only ports and paths rewritten), with both its listeners: TLS
with a client certificate per gateway (certificates from the shipped
`make-certs.sh`) and the optional TLS + password listener. Every check is a
real packet exchange with paho-mqtt 2.x speaking MQTT 5, so a refusal is the
broker's own PUBACK/SUBACK reason code 0x87.
"""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from paho.mqtt.enums import MQTTProtocolVersion

from tests.deploy.broker import Peer, Refused, ShippedBroker, make_certs
from tests.deploy.conftest import ACCOUNTS
from wire import topics

pytestmark = pytest.mark.integration

NOT_AUTHORIZED = 0x87
SUCCESS = (0x00, 0x10)  # 0x10: accepted, no matching subscriber
COMPOSE = Path(__file__).resolve().parents[2] / "deploy" / "server" / "compose.yaml"
_serial = itertools.count()


def unique(label: str) -> bytes:
    return f"{label}-{next(_serial)}".encode()


@pytest.mark.parametrize("tls", [False, True], ids=["password", "certificate"])
def test_gateway_publishes_under_its_prefix_and_collector_receives_it(
    connect: Callable[..., Peer], tls: bool
) -> None:
    collector = connect("collector", tls=tls)
    assert collector.subscribe(topics.shared("collectors", topics.ALL_READINGS)) == 1
    gateway = connect("gw-a", tls=tls)
    payload = unique("reading")

    assert gateway.publish(topics.reading("gw-a", "weight"), payload) in SUCCESS
    assert collector.received_until(topics.reading("gw-a", "weight"), payload)[-1][1] == payload


@pytest.mark.parametrize("tls", [False, True], ids=["password", "certificate"])
@pytest.mark.parametrize(
    "topic",
    [
        topics.reading("gw-b", "weight"),  # another gateway's readings
        topics.status("gw-b"),  # another gateway's presence
        topics.ack("gw-b"),  # forged acks would empty gw-b's outbox
        topics.alert("red"),
        topics.DEAD_LETTER,
        topics.ROOT + "/gw",
        "elsewhere/gw-a",
    ],
)
def test_gateway_cannot_publish_outside_its_prefix(
    connect: Callable[..., Peer], topic: str, tls: bool
) -> None:
    collector = connect("collector", tls=tls)
    assert collector.subscribe(topics.shared("collectors", topics.ALL_READINGS)) == 1
    gateway = connect("gw-a", tls=tls)
    forged = unique("forged")

    assert gateway.publish(topic, forged) == NOT_AUTHORIZED
    marker = unique("marker")
    assert gateway.publish(topics.reading("gw-a", "weight"), marker) in SUCCESS
    received = collector.received_until(topics.reading("gw-a", "weight"), marker)
    assert forged not in [payload for _topic, payload in received]


def test_mqtt311_gateway_outside_its_prefix_is_dropped_silently(
    connect: Callable[..., Peer],
) -> None:
    """Why gateways speak MQTT 5: with 3.1.1 the refusal is invisible to them."""
    collector = connect("collector")
    assert collector.subscribe(topics.shared("collectors", topics.ALL_READINGS)) == 1
    gateway = connect("gw-a", protocol=MQTTProtocolVersion.MQTTv311)
    forged, marker = unique("forged"), unique("marker")

    assert gateway.publish(topics.reading("gw-b", "weight"), forged) == 0
    gateway.publish(topics.reading("gw-a", "weight"), marker)
    received = collector.received_until(topics.reading("gw-a", "weight"), marker)
    assert [payload for _topic, payload in received if payload == forged] == []


def test_gateway_reads_its_own_status(connect: Callable[..., Peer]) -> None:
    """`veille gateway status` reads the retained status with the gateway's own account."""
    reader = connect("gw-a", client_id="veille-status-gw-a")
    assert reader.subscribe(topics.status("gw-a")) == 1
    status = unique("gw-a-status")
    assert connect("gw-a").publish(topics.status("gw-a"), status) in SUCCESS
    assert reader.received_until(topics.status("gw-a"), status)[-1][1] == status


@pytest.mark.parametrize("tls", [False, True], ids=["password", "certificate"])
def test_gateway_reads_only_its_own_acks(connect: Callable[..., Peer], tls: bool) -> None:
    spy = connect("gw-a", tls=tls)
    for topic_filter in (
        "#",
        topics.ALL_READINGS,
        topics.gateway_tree("gw-b"),
        topics.ack("gw-b"),
        topics.shared("spies", topics.ALL_READINGS),
        topics.ack("gw-a"),
    ):
        spy.subscribe(topic_filter)
    other = connect("gw-b", tls=tls)
    collector = connect("collector", tls=tls)
    secrets = [unique("gw-b-reading"), unique("gw-b-ack"), unique("gw-b-status")]

    assert other.publish(topics.reading("gw-b", "glucose"), secrets[0]) in SUCCESS
    assert collector.publish(topics.ack("gw-b"), secrets[1]) in SUCCESS
    assert other.publish(topics.status("gw-b"), secrets[2]) in SUCCESS
    own_ack = unique("gw-a-ack")
    assert collector.publish(topics.ack("gw-a"), own_ack) in SUCCESS

    received = spy.received_until(topics.ack("gw-a"), own_ack)
    assert {topic for topic, _payload in received} == {topics.ack("gw-a")}
    assert not set(secrets) & {payload for _topic, payload in received}


def test_tls_listener_refuses_clients_without_our_certificate(
    broker: ShippedBroker, tmp_path: Path
) -> None:
    """No certificate, or one from another CA: the TLS handshake fails, no MQTT at all."""
    with pytest.raises(Refused):
        Peer("gw-a").connect(broker.tls_port, ca=broker.certs / "ca.crt")
    rogue = make_certs(tmp_path / "rogue", "gw-a")
    with pytest.raises(Refused):
        Peer("gw-a").connect(broker.tls_port, ca=broker.certs / "ca.crt", cert=rogue / "gw-a.crt")


@pytest.mark.parametrize("password", ["pw-b", None], ids=["wrong-password", "anonymous"])
def test_password_listener_refuses_bad_credentials(
    broker: ShippedBroker, password: str | None
) -> None:
    peer = Peer("gw-a")
    with pytest.raises(Refused, match=r"CONNACK reason 0x8[67]"):
        peer.connect(broker.password_port, password=password, ca=broker.certs / "ca.crt")
    peer.close()


@pytest.mark.parametrize(
    ("account", "topic", "allowed"),
    [
        ("collector", topics.ack("gw-a"), True),
        ("collector", topics.DEAD_LETTER, True),
        ("collector", topics.reading("gw-a", "weight"), False),  # cannot forge readings
        ("collector", topics.alert("red"), False),
        ("rules", topics.alert("red"), True),
        ("rules", topics.ack("gw-a"), False),
        ("rules", topics.reading("gw-a", "weight"), False),
        ("web", topics.alert("red"), False),
        ("web", topics.ack("gw-a"), False),
    ],
)
def test_service_accounts_write_only_their_topics(
    connect: Callable[..., Peer], account: str, topic: str, allowed: bool
) -> None:
    code = connect(account).publish(topic, unique(account))
    assert (code in SUCCESS) if allowed else (code == NOT_AUTHORIZED)


def test_rules_worker_reads_readings_not_acks(connect: Callable[..., Peer]) -> None:
    rules = connect("rules")
    assert rules.subscribe(topics.shared("rules", topics.ALL_READINGS)) == 1
    rules.subscribe(topics.ALL_ACKS)
    gateway, collector = connect("gw-a"), connect("collector")
    reading, ack, marker = unique("reading"), unique("ack"), unique("marker")

    assert gateway.publish(topics.reading("gw-a", "blood_pressure"), reading) in SUCCESS
    assert collector.publish(topics.ack("gw-a"), ack) in SUCCESS
    assert gateway.publish(topics.reading("gw-a", "weight"), marker) in SUCCESS
    received = [
        payload for _t, payload in rules.received_until(topics.reading("gw-a", "weight"), marker)
    ]
    assert received == [reading, marker]


def test_gateway_cannot_read_broker_internals(connect: Callable[..., Peer]) -> None:
    spy = connect("gw-a")
    spy.subscribe("$SYS/#")
    spy.subscribe(topics.ack("gw-a"))
    marker = unique("marker")
    assert spy.publish(topics.ack("gw-a"), marker) in SUCCESS  # its own prefix: allowed
    received = spy.received_until(topics.ack("gw-a"), marker)
    assert [topic for topic, _payload in received if topic.startswith("$SYS")] == []


def test_compose_broker_healthcheck_passes_against_the_shipped_broker(
    broker: ShippedBroker,
) -> None:
    """The exact command of compose.yaml's mosquitto healthcheck, ports and paths swapped."""
    compose = yaml.safe_load(COMPOSE.read_text())
    command = compose["services"]["mosquitto"]["healthcheck"]["test"]
    assert command[0] == "CMD"
    files = {
        "/run/secrets/mqtt_ca": broker.certs / "ca.crt",
        "/run/secrets/mqtt_healthcheck_cert": broker.certs / "healthcheck.crt",
        "/run/secrets/mqtt_healthcheck_key": broker.certs / "healthcheck.key",
    }
    args = [
        str(files.get(arg, arg)).replace("$$", "$") if arg != "8883" else str(broker.tls_port)
        for arg in command[1:]
    ]
    result = subprocess.run(args, capture_output=True, text=True, timeout=15, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("seconds")


def test_as_shipped_nobody_signs_in_by_password(tmp_path: Path) -> None:
    """The password file starts empty: the certificate listener works, the
    password listener lets no one in until an operator adds a gateway."""
    server = ShippedBroker(tmp_path, ACCOUNTS, password_accounts=False)
    server.start()
    try:
        certs = server.certs
        gateway = Peer("gw-a").connect(
            server.tls_port, ca=certs / "ca.crt", cert=certs / "gw-a.crt"
        )
        try:
            assert gateway.publish(topics.reading("gw-a", "weight")) in SUCCESS
            assert gateway.publish(topics.reading("gw-b", "weight")) == NOT_AUTHORIZED
        finally:
            gateway.close()
        with pytest.raises(Refused, match=r"CONNACK reason 0x8[67]"):
            Peer("gw-a").connect(server.password_port, password="pw-a", ca=certs / "ca.crt")
    finally:
        server.stop()
