"""A confirmation does not depend on which worker got which reading.

Two workers built as `veille alerts run` builds them (same readings store, same
database), fed alternately by hand in place of the broker's round robin. The
collector has stored none of these readings yet, and each worker's cache is
fresh, so only what the workers share can confirm.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

from alerts.lifecycle import PatientAlerts
from alerts.models import Alert, AlertEvent
from alerts.worker import AlertsSettings, Worker, build
from collector.sqlite_store import SqliteStore
from devices.reading import Kind
from tests.alerts.conftest import wire
from veille.clock import ManualClock
from veille.db import make_engine, session_factory
from wire.reading import WireReading

#: above glucose_high_confirmed (13.9 mmol/L, twice within 24 h), below glucose_high_single
HIGH = 14.5


class Pair:
    """Two workers over one readings store and one database, on one manual clock."""

    def __init__(self, tmp_path: Path, start: datetime) -> None:
        self.url = f"sqlite:///{tmp_path}/veille.db"
        self.readings = SqliteStore(tmp_path / "readings.sqlite")
        self.clock = ManualClock(start)
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id="unused")
        settings = AlertsSettings(database=self.url, cache_ttl_s=60)
        self.a, self.b = (build(settings, client, self.clock, self.readings) for _ in range(2))

    def give(self, worker: Worker, reading: WireReading) -> list[str]:
        """Deliver ``reading`` to ``worker`` when it was received; the changes it made."""
        self.clock.set(reading.received)
        return [change.change.value for change in worker.handle(reading.encode())]

    def events(self) -> list[tuple[str, str]]:
        db = make_engine(self.url)
        with session_factory(db)() as session:
            rows = session.execute(
                select(Alert.category, AlertEvent.change).join(
                    Alert, Alert.id == AlertEvent.alert_id
                )
            ).all()
        db.dispose()
        return [(category, change) for category, change in rows]

    def close(self) -> None:
        self.readings.close()


@pytest.fixture
def pair(tmp_path: Path, t0: datetime) -> Iterator[Pair]:
    both = Pair(tmp_path, t0)
    yield both
    both.close()


def glucose(at: datetime, value: float) -> WireReading:
    return wire(Kind.GLUCOSE, at, glucose_mmol_l=value)


def test_alternating_readings_confirm_once(pair: Pair, t0: datetime) -> None:
    pair.give(pair.a, glucose(t0 - timedelta(hours=3), 6.0))  # both caches are warm
    pair.give(pair.b, glucose(t0 - timedelta(hours=2), 6.2))
    first = pair.give(pair.a, glucose(t0, HIGH))
    second = pair.give(pair.b, glucose(t0 + timedelta(minutes=20), HIGH + 0.4))
    third = pair.give(pair.a, glucose(t0 + timedelta(minutes=40), HIGH + 0.2))
    assert (first, second, third) == ([], ["opened"], ["updated"])  # one alert, kept current
    assert pair.events() == [("hyperglycemia", "opened"), ("hyperglycemia", "updated")]


def test_the_later_reading_judged_first_still_confirms(pair: Pair, t0: datetime) -> None:
    """A gateway's backlog: the second reading reaches its worker before the first."""
    earlier = glucose(t0, HIGH)
    later = glucose(t0 + timedelta(minutes=5), HIGH)
    arrival = t0 + timedelta(hours=3)
    pair.clock.set(arrival)
    assert [c.change.value for c in pair.b.engine.on_reading(later, arrival)] == []
    opened = [c.change.value for c in pair.a.engine.on_reading(earlier, arrival)]
    assert opened == ["opened"]
    assert pair.events() == [("hyperglycemia", "opened")]


def test_a_redelivered_reading_does_not_confirm_itself(pair: Pair, t0: datetime) -> None:
    reading = glucose(t0, HIGH)
    assert pair.give(pair.a, reading) == []
    assert pair.give(pair.b, reading) == []  # the broker sent it again, to the other worker
    pair.clock.advance(timedelta(minutes=5))
    assert pair.a.engine.on_reading(reading, pair.clock.now()) == []
    assert pair.events() == []


def test_a_reading_outside_the_confirmation_window_does_not_confirm(
    pair: Pair, t0: datetime
) -> None:
    assert pair.give(pair.a, glucose(t0, HIGH)) == []
    assert pair.give(pair.b, glucose(t0 + timedelta(hours=25), HIGH)) == []
    assert pair.events() == []


def test_a_normal_reading_in_between_breaks_the_confirmation(pair: Pair, t0: datetime) -> None:
    assert pair.give(pair.a, glucose(t0, HIGH)) == []
    assert pair.give(pair.b, glucose(t0 + timedelta(hours=1), 7.0)) == []
    assert pair.give(pair.a, glucose(t0 + timedelta(hours=2), HIGH)) == []
    assert pair.events() == []


def test_one_reading_twice_in_a_window_counts_once(t0: datetime) -> None:
    """However a reading got into a window twice, it is one reading."""
    from alerts import evaluate
    from alerts.history import Window
    from alerts.ruleset import ThresholdRule, load_rules

    rule = load_rules().by_name["glucose_high_confirmed"]
    assert isinstance(rule, ThresholdRule)
    window = Window(1e9, values={"glucose_mmol_l": []})
    at = t0.timestamp()
    window.add(at, {"glucose_mmol_l": HIGH}, "a" * 32)
    index = window.add(at, {"glucose_mmol_l": HIGH}, "a" * 32)
    assert evaluate.threshold(rule, window, index, is_open=False).state is evaluate.State.NONE
    index = window.add(at + 60, {"glucose_mmol_l": HIGH}, "b" * 32)
    assert evaluate.threshold(rule, window, index, is_open=False).state is evaluate.State.ACTIVE


def test_a_condition_opened_by_two_workers_at_once_is_kept_once(
    tmp_path: Path, t0: datetime
) -> None:
    """Both loaded the patient's alerts before either saved: the second save is refused,
    and the engine, loading again, updates the first alert instead of opening a twin."""
    from alerts.engine import Engine
    from alerts.lifecycle import Signal, apply
    from alerts.ruleset import load_rules
    from alerts.sqlstore import SqlAlertStore
    from alerts.store import AlertConflict
    from alerts.terms import Category, Severity
    from veille.db import create_schema

    db = make_engine(f"sqlite:///{tmp_path}/veille.db")
    create_schema(db)
    store = SqlAlertStore(session_factory(db))
    signal = Signal(
        Category.HYPERGLYCEMIA, Kind.GLUCOSE, active=True, severity=Severity.WARNING, message="m"
    )
    first, second = store.load("p-1", t0), store.load("p-1", t0)
    store.save("p-1", first, apply(first, signal, t0, "v"))
    with pytest.raises(AlertConflict):
        store.save("p-1", second, apply(second, signal, t0, "v"))

    class Racing(SqlAlertStore):
        """Lets the other worker save between this worker's load for the change and its
        save (the load before it, of the alert keys for the cache, is not the one)."""

        interleave: Callable[[], object] | None = None
        loads = 0

        def load(self, patient: str, now: datetime) -> PatientAlerts:
            loaded = super().load(patient, now)
            self.loads += 1
            if self.loads == 2 and self.interleave is not None:
                self.interleave()
            return loaded

    racing = Racing(session_factory(db))
    engine_a = Engine(load_rules(), store=racing)
    engine_b = Engine(load_rules(), store=SqlAlertStore(session_factory(db)))
    urgent = wire(Kind.GLUCOSE, t0, patient="p-2", glucose_mmol_l=2.5)
    racing.interleave = lambda: engine_b.on_reading(urgent, t0)
    changes = engine_a.on_reading(urgent, t0)
    assert [c.change.value for c in changes] == ["updated"]
    assert [a.patient for a in store.open_alerts()].count("p-2") == 1
    db.dispose()


def test_batches_to_two_workers_confirm_once_each_pair(pair: Pair, t0: datetime) -> None:
    """A worker judges what waits in its inbox together (one commit to the shared log):
    pairs split across two such batches still confirm, once per patient."""
    patients = [f"p-{n}" for n in range(6)]
    first = [wire(Kind.GLUCOSE, t0, patient=p, glucose_mmol_l=HIGH) for p in patients]
    later = t0 + timedelta(minutes=10)
    second = [wire(Kind.GLUCOSE, later, patient=p, glucose_mmol_l=HIGH) for p in patients]
    pair.clock.set(later + timedelta(minutes=1))
    got_a = pair.a.handle_many([r.encode() for r in first + second[:3]])
    got_b = pair.b.handle_many([r.encode() for r in second[3:] + first[:1]])  # one redelivered
    opened = [c.alert.patient for c in got_a + got_b if c.change.value == "opened"]
    assert sorted(opened) == patients
    assert pair.events().count(("hyperglycemia", "opened")) == len(patients)
