"""`veille alerts run` against a real mosquitto: readings in, alerts stored and published."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

from alerts.models import Alert, AlertEvent
from alerts.worker import AddressSettings, AlertsSettings, run
from collector.pairings import pair
from collector.sqlite_store import SqliteStore
from devices.reading import Kind
from sharing.grants import create_grant
from sharing.identities import add_patient, add_team
from tests.alerts.conftest import wire
from tests.support.mosquitto import Mosquitto
from tests.support.waits import wait_until
from veille.db import create_schema, make_engine, session_factory, transaction
from wire import topics
from wire.reading import WireReading


@pytest.mark.integration
def test_worker_consumes_readings_and_publishes_alerts(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    url = f"sqlite:///{tmp_path}/veille.db"
    db = make_engine(url)
    create_schema(db)
    sessions = session_factory(db)
    now = datetime.now(UTC)
    with transaction(sessions) as session:
        add_patient(session, "p-1", now=now)
        pair(session, "gw-1", "p-1", now=now - timedelta(days=1))  # the home's setup
        team = add_team(session, "Diabeto")
        create_grant(
            session,
            "p-1",
            kinds=[Kind.GLUCOSE],
            alerts=True,
            ends_at=now.replace(year=now.year + 1),
            now=now,
            team_id=team.id,
        )
        team_id = team.id
    settings = AlertsSettings(
        database=url,
        client_id="alerts-test",
        tick_s=0.2,
        contacts={f"team:{team_id}": [AddressSettings(channel="mqtt")]},
    )
    received: list[paho.MQTTMessage] = []
    listener = paho.Client(CallbackAPIVersion.VERSION2, client_id="listener")
    listener.on_message = lambda _c, _u, message: received.append(message)
    listening = threading.Event()
    listener.on_subscribe = lambda *_a: listening.set()
    listener.connect("127.0.0.1", mosquitto.port)
    listener.subscribe(topics.ALL_ALERTS, qos=1)
    listener.loop_start()
    readings = SqliteStore(tmp_path / "readings.sqlite")
    reading = wire(Kind.GLUCOSE, now, glucose_mmol_l=2.6)
    readings.write_batch([reading])  # the collector got it first
    stop, subscribed = threading.Event(), threading.Event()
    worker = threading.Thread(
        target=run,
        args=(settings, mosquitto.settings()),
        kwargs={"stop": stop, "store": readings, "subscribed": subscribed},
    )
    worker.start()
    publisher = paho.Client(CallbackAPIVersion.VERSION2, client_id="gw-1")
    publisher.connect("127.0.0.1", mosquitto.port)
    publisher.loop_start()
    try:
        assert subscribed.wait(10), "the worker did not subscribe"
        assert listening.wait(10), "the listener did not subscribe"
        publisher.publish(
            topics.reading("gw-1", "glucose"), reading.encode(), qos=1
        ).wait_for_publish(5)
        wait_until(lambda: received, 10, "the alert on MQTT")
    finally:
        stop.set()
        worker.join(10)
        for client in (publisher, listener):
            client.loop_stop()
            client.disconnect()
    with sessions() as session:
        alerts = session.scalars(select(Alert)).all()
    assert [(a.patient_id, a.category, a.severity) for a in alerts] == [
        ("p-1", "severe_hypoglycemia", "urgent")
    ]
    [message] = received
    assert message.topic == topics.alert("urgent")
    assert json.loads(message.payload)["alert"] == alerts[0].id
    db.dispose()
    readings.close()


def two_workers(
    tmp_path: Path, mosquitto: Mosquitto, readings: list[WireReading], alerts: int
) -> tuple[list[tuple[str, str]], list[str]]:
    """Publish ``readings`` to two workers sharing the subscription; wait for ``alerts``
    alerts, then for the alerts of sentinel readings published behind them (the broker
    hands them out in turn: each worker has judged all it got, a twin would be there).
    The (patient, category) of each alert but the sentinels', every change in order."""
    now = datetime.now(UTC)
    sentinels = [wire(Kind.GLUCOSE, now, patient=f"p-last-{n}", glucose_mmol_l=2.6) for n in (1, 2)]
    sentinel_ids = {s.patient for s in sentinels}
    url = f"sqlite:///{tmp_path}/veille.db"
    db = make_engine(url)
    create_schema(db)
    with transaction(session_factory(db)) as session:  # the home's setup
        for patient in sorted({r.patient for r in readings} | sentinel_ids):
            pair(session, "gw-1", patient, now=min(r.time for r in readings))
    stop = threading.Event()
    subscribed = [threading.Event(), threading.Event()]
    workers = [
        threading.Thread(
            target=run,
            args=(
                AlertsSettings(database=url, client_id=f"alerts-{n}", tick_s=0.5),
                mosquitto.settings(),
            ),
            kwargs={"stop": stop, "subscribed": subscribed[n]},
        )
        for n in range(2)
    ]
    for worker in workers:
        worker.start()
    publisher = paho.Client(CallbackAPIVersion.VERSION2, client_id="gw-1")
    publisher.connect("127.0.0.1", mosquitto.port)
    publisher.loop_start()
    sessions = session_factory(db)
    try:
        assert all(event.wait(10) for event in subscribed), "a worker did not subscribe"
        for reading in readings:
            topic = topics.reading("gw-1", reading.kind.value)
            publisher.publish(topic, reading.encode(), qos=1)

        def count() -> int:
            with sessions() as session:
                return len(session.scalars(select(Alert)).all())

        wait_until(lambda: count() >= alerts, 15, f"{alerts} alerts")
        for sentinel in sentinels:
            publisher.publish(topics.reading("gw-1", "glucose"), sentinel.encode(), qos=1)
        wait_until(lambda: count() >= alerts + len(sentinels), 15, "the sentinels' alerts")
    finally:
        stop.set()
        for worker in workers:
            worker.join(10)
        publisher.loop_stop()
        publisher.disconnect()
    with sessions() as session:
        found = sorted(
            (a.patient_id, a.category)
            for a in session.scalars(select(Alert))
            if a.patient_id not in sentinel_ids
        )
        events = select(AlertEvent.change).join(Alert).where(Alert.patient_id.not_in(sentinel_ids))
        changes = list(session.scalars(events.order_by(AlertEvent.id)))
    db.dispose()
    return found, changes


@pytest.mark.integration
def test_two_workers_share_the_readings_each_judged_once(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    now = datetime.now(UTC)
    patients = [f"p-{n}" for n in range(12)]
    readings = [wire(Kind.GLUCOSE, now, patient=p, glucose_mmol_l=2.6) for p in patients]
    alerts, changes = two_workers(tmp_path, mosquitto, readings, len(patients))
    assert [patient for patient, _category in alerts] == sorted(patients)
    assert changes == ["opened"] * len(patients)  # no reading judged by both workers


@pytest.mark.integration
def test_two_workers_confirm_a_pair_split_between_them_once(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    """Two high glucose readings of one patient, back to back: the broker hands them
    to different workers, and the confirmed alert opens exactly once per patient."""
    now = datetime.now(UTC)
    patients = [f"p-{n}" for n in range(8)]
    readings = [  # 14.5 mmol/L: over the confirmed limit (13.9), not the single one (15)
        wire(Kind.GLUCOSE, now - timedelta(minutes=m), patient=p, glucose_mmol_l=14.5)
        for p in patients
        for m in (10, 5)
    ]
    alerts, changes = two_workers(tmp_path, mosquitto, readings, len(patients))
    assert alerts == [(patient, "hyperglycemia") for patient in sorted(patients)]
    assert changes.count("opened") == len(patients)
