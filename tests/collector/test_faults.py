"""Faults: the collector killed mid-stream, InfluxDB away for a while, a
refused point, and an MQTT 3.1.1 broker. Nothing lost, nothing doubled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from paho.mqtt.enums import MQTTProtocolVersion

from collector.consumer import Collector, CollectorSettings
from collector.deadletter import DeadLetters
from collector.influx import InfluxStore
from collector.sqlite_store import SqliteStore
from collector.store import StoreSettings, sqlite_path
from demo.broker import USERNAME, EmbeddedBroker
from devices.reading import Kind
from tests.collector.admit import admission, database_url, pair_all
from tests.collector.factory import wire
from tests.collector.peers import Ears, as_message, publish, running
from tests.support.influx import Influxd
from tests.support.mosquitto import Mosquitto
from tests.support.waits import wait_until
from veille.mqtt import BrokerSettings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def _spawn(data_dir: Path, broker_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "VEILLE_BROKER__URL": broker_url, "VEILLE_COLLECTOR__BATCH_SIZE": "100"}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "veille.cli", "collector", "run", "--data-dir", str(data_dir)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
        )


def test_collector_killed_and_restarted_mid_stream_loses_and_doubles_nothing(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    store = SqliteStore(sqlite_path(data))
    readings = [wire(n, gateway=f"gw-{n % 7}", patient=f"p-{n % 7}") for n in range(3000)]
    pair_all(database_url(data), [f"gw-{n}" for n in range(7)], [f"p-{n}" for n in range(7)])
    ears = Ears(mosquitto.port)
    first = _spawn(data, mosquitto.url, tmp_path / "collector.log")
    # the session must exist before the readings arrive
    log = tmp_path / "collector.log"
    wait_until(lambda: "subscribed" in log.read_text(), what="the collector subscribed")
    publish(mosquitto.port, [as_message(readings[0])])
    wait_until(lambda: store.count() == 1, what="the first reading stored")
    killed = threading.Event()

    def feed() -> None:
        """Kept a few batches ahead of the store until the kill: it comes mid-stream."""
        for start in range(1, 3000, 200):
            behind = start - 400
            wait_until(lambda: killed.is_set() or store.count() >= behind, 60, "progress")  # noqa: B023 (used in this iteration)
            publish(mosquitto.port, [as_message(r) for r in readings[start : start + 200]])

    feeder = threading.Thread(target=feed)
    feeder.start()
    wait_until(lambda: store.count() >= 600, what="a few batches stored")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    killed.set()
    killed_at = store.count()
    feeder.join(60)
    assert killed_at < 3000, "the kill came too late to test anything"
    second = _spawn(data, mosquitto.url, tmp_path / "collector.log")
    try:
        wait_until(lambda: store.count() == 3000, timeout=60, what="every reading stored")
        # acks gathered by the killed process died with it: the gateways' outboxes resend
        # what was never acked (by then, or a moment later: resending twice is harmless),
        # and the resend is stored once and acked
        unacked = [r for r in readings if r.id not in set(ears.acked_ids())]
        publish(mosquitto.port, [as_message(r) for r in unacked])
        wait_until(lambda: set(ears.acked_ids()) == {r.id for r in readings}, what="every ack")
        assert store.count() == 3000
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(15) == 0
        ears.close()
    exported = list(store.readings("p-3")) + list(store.readings("p-4"))
    assert (
        len(exported)
        == len({r.id for r in exported})
        == sum(1 for r in readings if r.patient in ("p-3", "p-4"))
    )
    store.close()


@pytest.fixture
def own_influxd(tmp_path: Path) -> Iterator[Influxd]:
    """An influxd this test alone may stop and start."""
    with Influxd(tmp_path / "influxd") as server:
        yield server


def test_influxdb_stopped_for_a_while_then_back(
    mosquitto: Mosquitto, own_influxd: Influxd, tmp_path: Path
) -> None:
    store = InfluxStore(StoreSettings(backend="influxdb", url=own_influxd.url, timeout_s=2))
    letters = DeadLetters(tmp_path / "deadletter.sqlite")
    settings = CollectorSettings(
        client_id="influx-collector", batch_size=100, retry_min_s=0.1, retry_max_s=0.5
    )
    ears = Ears(mosquitto.port)
    readings = [wire(n, kind=Kind.WEIGHT, gateway=f"gw-{n % 3}") for n in range(600)]
    admit = admission(tmp_path, gateways=("gw-0", "gw-1", "gw-2"))
    with running(Collector(settings, mosquitto.settings(), store, letters, admit)) as collector:
        publish(mosquitto.port, [as_message(r) for r in readings[:300]])
        wait_until(lambda: len(ears.acked_ids()) == 300, what="first acks")
        own_influxd.stop()
        publish(mosquitto.port, [as_message(r) for r in readings[300:]])
        wait_until(lambda: collector.stats.retries >= 3, what="retries while InfluxDB is down")
        assert len(ears.acked_ids()) == 300  # nothing acked that is not stored
        assert collector.stats.stored == 300
        own_influxd.start()
        wait_until(lambda: len(set(ears.acked_ids())) == 600, timeout=30, what="acks after restart")
    ears.close()
    assert store.count() == 600
    assert letters.all() == []
    store.close()
    letters.close()


def test_a_reading_the_store_refuses_is_dead_lettered_and_the_rest_stored(
    mosquitto: Mosquitto, own_influxd: Influxd, tmp_path: Path
) -> None:
    store = InfluxStore(StoreSettings(backend="influxdb", url=own_influxd.url))
    letters = DeadLetters(tmp_path / "deadletter.sqlite")
    store.count()  # creates the database
    bad = wire(1000, kind=Kind.GLUCOSE)
    line = (
        f'glucose,patient=p-0001,driver=x,gateway=g glucose_mmol_l="hi" {bad.time.timestamp():.0f}'
    )
    own_influxd.write(line + "000000000")
    good = [wire(n, kind=Kind.WEIGHT) for n in range(40)]
    ears = Ears(mosquitto.port)
    settings = CollectorSettings(client_id="refusal", batch_size=41, flush_interval_s=0.5)
    admit = admission(tmp_path)
    with running(Collector(settings, mosquitto.settings(), store, letters, admit)) as collector:
        publish(mosquitto.port, [as_message(r) for r in [*good[:20], bad, *good[20:]]])
        wait_until(lambda: collector.stats.stored + collector.stats.dead == 41)
        wait_until(lambda: bad.id in ears.rejected(), what="the refusal reaches the gateway")
    ears.close()
    assert sorted(ears.acked_ids()) == sorted(r.id for r in good)
    assert "field type conflict" in ears.rejected()[bad.id]
    assert [x.reading_id for x in letters.all()] == [bad.id]
    assert store.count() == 40
    store.close()
    letters.close()


def test_mqtt_311_broker_with_a_persistent_session(tmp_path: Path) -> None:
    """The demo's embedded amqtt: no MQTT 5, no shared subscriptions, same guarantees:
    what is published while the collector is away waits in its session."""
    store = SqliteStore(tmp_path / "readings.sqlite")
    letters = DeadLetters(tmp_path / "deadletter.sqlite")
    v311 = MQTTProtocolVersion.MQTTv311
    with EmbeddedBroker() as broker:
        broker_settings = BrokerSettings(url=broker.url, username=USERNAME)
        settings = CollectorSettings(client_id="demo-collector", batch_size=20)
        ears = Ears(broker.port, v311)
        readings = [wire(n) for n in range(90)]
        admit = admission(tmp_path)
        with running(Collector(settings, broker_settings, store, letters, admit)) as collector:
            assert collector.conn is not None
            assert not collector.conn.is_v5
            publish(broker.port, [as_message(r) for r in readings[:30]], v311)
            wait_until(lambda: store.count() == 30, what="stored over 3.1.1")
        publish(broker.port, [as_message(r) for r in readings[30:]], v311)  # collector away
        assert store.count() == 30
        with running(Collector(settings, broker_settings, store, letters, admit)):
            wait_until(lambda: store.count() == 90, what="the session's messages after the restart")
            publish(broker.port, [as_message(r) for r in readings[20:40]], v311)  # again
            wait_until(lambda: set(ears.acked_ids()) == {r.id for r in readings}, what="acks")
            assert store.count() == 90
        ears.close()
    store.close()
    letters.close()


def test_worker_processes_share_the_subscription(mosquitto: Mosquitto, tmp_path: Path) -> None:
    """``workers = 2``: two processes in one shared-subscription group, each reading once."""
    import psutil

    data = tmp_path / "data"
    store = SqliteStore(sqlite_path(data))
    log = tmp_path / "collector.log"
    env = {**os.environ, "VEILLE_BROKER__URL": mosquitto.url, "VEILLE_COLLECTOR__WORKERS": "2"}
    with log.open("ab") as out:
        parent = subprocess.Popen(
            [sys.executable, "-m", "veille.cli", "collector", "run", "--data-dir", str(data)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
        )
    readings = [wire(n, gateway=f"gw-{n % 5}") for n in range(1000)]
    pair_all(database_url(data), [f"gw-{n}" for n in range(5)], ["p-0001"])
    try:
        wait_until(lambda: log.read_text().count(" subscribed ") == 2, what="both workers")
        assert len(psutil.Process(parent.pid).children(recursive=True)) >= 1
        publish(mosquitto.port, [as_message(r) for r in readings])
        wait_until(lambda: store.count() == 1000, what="every reading stored")
    finally:
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(20) == 0
    text = log.read_text()
    assert "client_id=veille-collector-1 " in text or "client_id=veille-collector-1\n" in text
    assert "client_id=veille-collector-1-1" in text
    stopped = [line for line in text.splitlines() if "collector_stopped" in line]
    assert len(stopped) == 2
    assert all("stored=0" not in line for line in stopped)  # the broker used both
    store.close()
