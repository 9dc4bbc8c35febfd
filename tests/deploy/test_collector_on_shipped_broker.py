"""Veille's own collector runs against the shipped broker, as deployed.

`veille collector run` (a real process, configured only through the
environment as compose does it) connects over TLS with the `collector`
certificate; a gateway with its own certificate publishes a real
`veille.reading/1` envelope. The ACL must let the collector read it through
its shared subscription and send the `veille.ack/1` back to that gateway, and
nobody else.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from devices.envelope import envelope
from devices.reading import Kind, Reading
from tests.collector.admit import database_url, pair_all
from tests.deploy.broker import Peer, ShippedBroker
from tests.support.waits import wait_until
from wire import topics
from wire.ack import Ack
from wire.reading import DeviceRef

pytestmark = pytest.mark.integration

PATIENT = "p-0042"
#: When gw-a's home was set up on the server: before the readings `wire` makes.
PAIRED = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def collector(broker: ShippedBroker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    data = tmp_path_factory.mktemp("collector")
    # the home's set-up: gw-a serves PATIENT (the collector refuses anyone else's readings)
    pair_all(database_url(data), ["gw-a"], [PATIENT], paired_at=PAIRED)
    certs = broker.certs
    env = {
        **os.environ,
        "VEILLE_BROKER__URL": f"mqtts://localhost:{broker.tls_port}",
        "VEILLE_BROKER__CA_FILE": str(certs / "ca.crt"),
        "VEILLE_BROKER__CERT_FILE": str(certs / "collector.crt"),
        "VEILLE_BROKER__KEY_FILE": str(certs / "collector.key"),
        "VEILLE_COLLECTOR__CLIENT_ID": "veille-collector-1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "veille.cli", "collector", "run", "--data-dir", str(data)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    yield data
    process.send_signal(signal.SIGTERM)
    try:
        _out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        _out, err = process.communicate()
    assert process.returncode == 0, err.decode(errors="replace")[-2000:]


def wire(gateway: str, sequence: int) -> tuple[str, bytes]:
    at = datetime(2026, 11, 2, 7, 30, tzinfo=UTC)
    reading = envelope(
        Reading(Kind.WEIGHT, {"weight_kg": 81.4}, time=at.replace(tzinfo=None), sequence=sequence),
        patient=PATIENT,
        gateway=gateway,
        device=DeviceRef(address="C4:7C:8D:6A:12:34", driver="weight"),
        time=at,
        received=at,
    )
    return reading.id, reading.encode()


def acked_ids(gateway: Peer, wanted: str) -> set[str]:
    """Reading ids acked to ``gateway`` until ``wanted`` is among them."""
    ids: set[str] = set()
    while wanted not in ids:
        _topic, ack = gateway.received_until(topics.ack(gateway.name), timeout_s=15)[-1]
        ids |= set(Ack.decode(ack).ids)
    return ids


def test_collector_stores_a_gateways_reading_and_acks_it_to_that_gateway(
    broker: ShippedBroker, collector: Path, connect: Callable[..., Peer]
) -> None:
    gateway = connect("gw-a", tls=True)
    assert gateway.subscribe(topics.ack("gw-a")) == 1
    # PUBACK 0x10 means "no matching subscriber": the collector is not subscribed
    # yet. Like the gateway's own republishing, send the same reading again.
    probe_id, probe = wire("gw-a", 0)
    wait_until(
        lambda: gateway.publish(topics.reading("gw-a", "weight"), probe) != 0x10,
        20,
        "the collector subscribed (a PUBACK other than 'no matching subscribers')",
        interval=0.2,  # a gateway's own republishing is slower still
    )
    acked_ids(gateway, probe_id)

    spy = connect("gw-b", tls=True)
    spy.subscribe("#")
    reading_id, payload = wire("gw-a", 1)
    assert gateway.publish(topics.reading("gw-a", "weight"), payload) == 0x00
    assert reading_id in acked_ids(gateway, reading_id)

    exported = subprocess.run(
        [sys.executable, "-m", "veille.cli", "export", "--data-dir", str(collector)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert sorted(json.loads(line)["id"] for line in exported) == sorted([probe_id, reading_id])
    # gw-b, subscribed to everything, saw neither gw-a's reading nor its ack
    marker = b"marker"
    spy.publish(topics.ack("gw-b"), marker)
    assert [t for t, _p in spy.received_until(topics.ack("gw-b"), marker)] == [topics.ack("gw-b")]
