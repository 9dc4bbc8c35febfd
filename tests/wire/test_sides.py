"""Each side reads what the other side writes, with the real code on both ends.

The gateway wraps a device reading (`gateway.intake`), the collector checks
and stores it (`collector.validate`, `collector.consumer`) and acks it, the
gateway applies the ack and publishes its status, the rules judge the reading
and render the alert for integrations, the web app turns the stored reading
into FHIR. Nothing here builds a message by hand: a field renamed on one side
only fails these tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from alerts.engine import Engine
from alerts.notify.base import render
from alerts.replay import read_lines
from alerts.ruleset import load_rules
from alerts.terms import Change
from collector.admission import Admission
from collector.authority import DbAuthority
from collector.consumer import Collector, CollectorSettings
from collector.deadletter import DeadLetters
from collector.sqlite_store import SqliteStore
from devices.envelope import to_reading
from devices.reading import Kind, Reading
from gateway.pairing import Remembered
from gateway.service import Gateway
from gateway.settings import GatewaySettings
from gateway.status_broker import read_status
from tests.collector.admit import database_url, pair_all
from tests.collector.peers import Ears, running
from tests.support.mosquitto import Mosquitto
from tests.support.waits import eventually, wait_until
from veille.db import make_engine, session_factory
from veille.mqtt import BrokerSettings
from web.fhir import observations
from wire.alert import AlertMessage
from wire.deadletter import DeadLetterMessage
from wire.message import Message
from wire.reading import WireReading
from wire.status import Status

ADDRESS = "C4:7C:8D:6A:11:02"
ZONE = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 1, 6, 4, 3, tzinfo=UTC)
CRISIS = Reading(
    kind=Kind.BLOOD_PRESSURE,
    metrics={"systolic_mmhg": 192.0, "diastolic_mmhg": 121.0, "pulse_bpm": 88.0},
    time=datetime(2026, 3, 1, 7, 4, 0),  # the cuff's own clock, Paris time
    sequence=None,
)


def _gateway(tmp_path: Path, mosquitto_url: str = "mqtt://127.0.0.1:1") -> Gateway:
    settings = GatewaySettings(id="gw-home", data_dir=tmp_path / "gw", timezone="Europe/Paris")
    gateway = Gateway(settings, BrokerSettings(url=mosquitto_url))
    gateway.store.pair(ADDRESS, "p-7f3a", "blood_pressure")
    gateway.intake.now = lambda: NOW
    return gateway


def _admission(tmp_path: Path) -> Admission:
    """The collector's admission, with the pairing the home's enrolment would record."""
    url = database_url(tmp_path / "server")
    pair_all(url, ["gw-home"], ["p-7f3a"], paired_at=NOW - timedelta(days=30))
    return Admission(DbAuthority(session_factory(make_engine(url))))


def _take(gateway: Gateway, reading: Reading) -> tuple[str, bytes]:
    """The reading through the gateway's intake, as the outbox keeps it for the broker."""
    memory = gateway.store.remembered(ADDRESS)
    asyncio.run(gateway.intake.take(reading, ADDRESS, "blood_pressure", memory))
    [row] = gateway.outbox.due(older_than_s=0, limit=10)
    return row.topic, row.payload


def _only_declared(message: Message, payload: bytes) -> None:
    """Writers never send a field their model does not declare."""
    declared = {f.alias or name for name, f in type(message).model_fields.items()}
    assert set(json.loads(payload)) <= declared


def test_the_collector_the_rules_and_the_web_read_what_the_gateway_writes(
    tmp_path: Path,
) -> None:
    gateway = _gateway(tmp_path)
    try:
        topic, payload = _take(gateway, CRISIS)
    finally:
        gateway.outbox.close()
        gateway.store.close()
    # the collector's own admission: topic against payload, pairing, plausible values
    stored = _admission(tmp_path).admit(topic, payload)
    _only_declared(stored, payload)
    assert (stored.gateway, stored.patient, stored.kind) == (
        "gw-home",
        "p-7f3a",
        Kind.BLOOD_PRESSURE,
    )
    assert stored.time == datetime(2026, 3, 1, 6, 4, tzinfo=UTC)  # the cuff's Paris 07:04
    assert to_reading(stored) == CRISIS

    recorded, bad = read_lines([payload.decode()])  # `veille alerts replay` reads it as is
    assert bad == []
    assert recorded == [stored]

    changes = list(Engine(load_rules()).on_reading(stored, NOW))
    opened = [c for c in changes if c.change is Change.OPENED]
    assert opened, "a systolic of 192 mmHg opens an alert"
    note = render(opened[0].alert, Change.OPENED, "veille-1", "https://v.example/a", "fr")
    assert note.payload is not None
    sent = note.payload.encode()  # what the MQTT channel and the webhook send
    _only_declared(note.payload, sent)
    alert = AlertMessage.decode(sent)
    assert (alert.patient, alert.kind, alert.severity) == ("p-7f3a", "blood_pressure", "urgent")

    [panel, rate] = observations(stored)  # the web app's FHIR export of the stored reading
    assert panel["subject"]["reference"].endswith("p-7f3a")
    assert rate["valueQuantity"]["value"] == 88.0


@pytest.mark.integration
def test_the_gateway_reads_the_collectors_acks_and_operators_its_dead_letters(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    gateway = _gateway(tmp_path, mosquitto.url)
    _topic, good = _take(gateway, CRISIS)
    wrong = json.loads(good)
    wrong["id"] = "f" * 32
    wrong["metrics"] = {"weight_stones": 11.0}
    gateway.outbox.add(wrong["id"], _topic, json.dumps(wrong).encode())
    store = SqliteStore(tmp_path / "readings.sqlite")
    admit = _admission(tmp_path)
    letters = DeadLetters(tmp_path / "deadletter.sqlite")
    settings = CollectorSettings.model_validate(
        {"client_id": "sides-collector", "batch_size": 10, "flush_interval_s": 0.05}
    )
    ears = Ears(mosquitto.port)
    good_id = json.loads(good)["id"]

    async def publish_until_settled() -> None:
        await gateway.publisher.connect()
        await eventually(lambda: gateway.publisher.connected, what="gateway connected")
        pump = asyncio.create_task(gateway.publisher.pump())
        for ident in (good_id, wrong["id"]):
            gateway.publisher.offer(ident, 0.0)
        await eventually(lambda: gateway.outbox.depth().waiting == 0, what="acks applied")
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump

    try:
        with running(Collector(settings, mosquitto.settings(), store, letters, admit)):
            asyncio.run(publish_until_settled())
            status = read_status(mosquitto.settings(), "gw-home", timeout_s=5)
            wait_until(lambda: len(ears.dead) == 1, what="the dead letter on MQTT")
        reasons = gateway.outbox.set_aside_reasons()
        [stored] = store.readings("p-7f3a")
    finally:
        gateway.publisher.close()
        gateway.outbox.close()
        gateway.store.close()
        store.close()
        letters.close()
        ears.close()
    # the gateway applied the collector's veille.ack/1: one stored, one set aside with why
    assert stored.id == good_id
    assert list(reasons) == [wrong["id"]]
    assert "unknown metric" in reasons[wrong["id"]]
    # the gateway's own status reader understands the gateway's veille.status/1
    assert status.state == "online"
    assert status.uptime_s is not None
    # the collector's veille.deadletter/1, as an operator's tool reads it
    [letter] = ears.dead
    message = DeadLetterMessage.decode(json.dumps(letter))
    assert (message.id, message.gateway) == (wrong["id"], "gw-home")
    assert json.loads(message.payload)["metrics"] == {"weight_stones": 11.0}


def test_the_heartbeat_is_a_status_the_status_reader_understands(tmp_path: Path) -> None:
    gateway = _gateway(tmp_path)
    try:
        _take(gateway, CRISIS)
        seen = NOW.timestamp()
        gateway.store.remember(Remembered(address=ADDRESS, last_seen=seen, battery_pct=80))
        status = gateway.heartbeat()
    finally:
        gateway.outbox.close()
        gateway.store.close()
    sent = status.encode()
    _only_declared(status, sent)
    read = Status.decode(sent)
    assert read.state == "online"
    assert read.gateway == "gw-home"
    assert read.outbox is not None
    assert read.outbox.depth == 1
    assert read.devices is not None
    assert read.devices[ADDRESS].battery_pct == 80
    assert read.devices[ADDRESS].last_seen == NOW
    assert read.uptime_s is not None
    assert read.uptime_s < timedelta(hours=1).total_seconds()
    assert WireReading.model_fields  # the envelope and the status share one base rule
