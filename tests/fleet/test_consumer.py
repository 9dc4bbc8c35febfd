"""The fleet consumer on a real mosquitto: heartbeats, the last will, retained statuses,
hostile payloads, into a real SQLite database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from fleet.consumer import FleetConsumer
from fleet.models import DeviceHealth, GatewayHealth, HealthSample
from tests.support.mosquitto import Mosquitto
from tests.support.waits import wait_until
from veille.clock import ManualClock
from veille.db import create_schema, import_models, make_engine, session_factory
from wire import topics
from wire.status import OFFLINE, DeviceHeartbeat, OutboxHeartbeat, Status

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def heartbeat(gateway: str, *, ahead_s: float = 0.0, battery: int = 64) -> Status:
    return Status(
        state="online",
        gateway=gateway,
        uptime_s=120.0,
        outbox=OutboxHeartbeat(
            depth=7, unpublished=2, refused=0, set_aside=0, bound=100, full=False, oldest_s=3600.0
        ),
        devices={
            "AA:BB:CC:00:00:01": DeviceHeartbeat(
                last_seen=NOW - timedelta(minutes=5),
                last_reading=NOW - timedelta(hours=2),
                battery_pct=battery,
                driver="ble_weight",
                kinds=["weight"],
                rssi_dbm=-71,
            )
        },
        sent_at=NOW + timedelta(seconds=ahead_s),
        version="0.9.1",
        free_disk_mb=1234.5,
    )


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    with Mosquitto(tmp_path / "broker") as running:
        yield running


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'veille.db'}")
    import_models()
    create_schema(engine)
    return session_factory(engine)


class Running:
    def __init__(self, broker: Mosquitto, sessions: sessionmaker[Session]) -> None:
        self.consumer = FleetConsumer(broker.settings(), sessions, ManualClock(NOW))
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.consumer.run, args=(self.stop,))

    def __enter__(self) -> FleetConsumer:
        self.consumer.start()
        self.thread.start()
        wait_until(self.consumer.subscribed.is_set, what="the fleet subscription")
        return self.consumer

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        self.consumer.close()


def gateway_client(broker: Mosquitto, gateway: str) -> paho.Client:
    """A gateway's session as the real one opens it: the retained last will set."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=gateway)
    client.will_set(topics.status(gateway), OFFLINE.encode(), qos=1, retain=True)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    return client


def publish(client: paho.Client, topic: str, payload: bytes) -> None:
    client.publish(topic, payload, qos=1, retain=True).wait_for_publish(timeout=10)


def row(sessions: sessionmaker[Session], gateway: str) -> GatewayHealth | None:
    with sessions() as s:
        return s.get(GatewayHealth, gateway)


def test_heartbeat_then_last_will_then_history(
    broker: Mosquitto, sessions: sessionmaker[Session]
) -> None:
    with Running(broker, sessions) as consumer:
        gw = gateway_client(broker, "gw-a")
        publish(gw, topics.status("gw-a"), b"[" * 5000)  # hostile: skipped, not a crash
        publish(gw, topics.status("gw-a"), heartbeat("gw-a", ahead_s=90).encode())
        wait_until(lambda: consumer.stored == 1, what="the heartbeat stored")
        online = row(sessions, "gw-a")
        assert online is not None
        assert online.state == "online"
        assert online.last_seen == NOW
        assert online.clock_drift_s == 90.0
        assert (online.outbox_pending, online.outbox_oldest_s) == (7, 3600.0)
        assert (online.version, online.free_disk_mb) == ("0.9.1", 1234.5)
        assert consumer.skipped == 1

        gw.loop_stop()
        sock = gw.socket()
        assert sock is not None
        sock.close()  # power cut: no DISCONNECT, the broker sends the last will
        wait_until(lambda: consumer.stored == 2, what="the last will stored")

    offline = row(sessions, "gw-a")
    assert offline is not None
    assert offline.state == "offline"
    assert offline.last_seen == NOW  # "offline since" the last heartbeat
    assert offline.version == "0.9.1"  # what the will does not say is kept
    with sessions() as s:
        device = s.get(DeviceHealth, ("gw-a", "AA:BB:CC:00:00:01"))
        assert device is not None
        assert (device.driver, device.kinds, device.battery_pct) == ("ble_weight", ["weight"], 64)
        assert device.last_reading == NOW - timedelta(hours=2)
        states = s.scalars(select(HealthSample.state).order_by(HealthSample.id)).all()
        assert states == ["online", "offline"]


def test_a_retained_status_is_read_on_start_without_counting_its_age_as_drift(
    broker: Mosquitto, sessions: sessionmaker[Session]
) -> None:
    publisher = paho.Client(CallbackAPIVersion.VERSION2, client_id="tester")
    publisher.connect("127.0.0.1", broker.port)
    publisher.loop_start()
    try:
        old = heartbeat("gw-b", ahead_s=-7200, battery=12)  # said two hours ago
        publish(publisher, topics.status("gw-b"), old.encode())
    finally:
        publisher.disconnect()
        publisher.loop_stop()
    with Running(broker, sessions) as consumer:
        wait_until(lambda: consumer.stored == 1, what="the retained status stored")
    found = row(sessions, "gw-b")
    assert found is not None
    assert found.state == "online"
    assert found.clock_drift_s is None
    assert found.last_seen == NOW - timedelta(hours=2)
