"""Alert lifecycle through the engine: dedup, acknowledge, worse, all clear, reopen, families."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from alerts.engine import Engine
from alerts.ruleset import load_rules
from alerts.sqlstore import SqlAlertStore
from alerts.terms import Category, Change, Severity, Status
from devices.reading import Kind
from tests.alerts.conftest import wire
from veille.db import create_schema, make_engine, session_factory


@pytest.fixture
def store(tmp_path: Path) -> SqlAlertStore:
    db = make_engine(f"sqlite:///{tmp_path}/alerts.db")
    create_schema(db)
    return SqlAlertStore(session_factory(db))


@pytest.fixture
def engine(store: SqlAlertStore) -> Engine:
    return Engine(load_rules(), store=store)


def glucose(engine: Engine, at: datetime, value: float) -> list[Change]:
    return [c.change for c in engine.on_reading(wire(Kind.GLUCOSE, at, glucose_mmol_l=value), at)]


def bp(engine: Engine, at: datetime, sys_: float, dia: float, pulse: float = 70) -> list[Change]:
    reading = wire(Kind.BLOOD_PRESSURE, at, systolic_mmhg=sys_, diastolic_mmhg=dia, pulse_bpm=pulse)
    return [c.change for c in engine.on_reading(reading, at)]


def test_same_condition_updates_the_open_alert(
    engine: Engine, store: SqlAlertStore, t0: datetime
) -> None:
    assert glucose(engine, t0, 3.6) == [Change.OPENED]
    assert glucose(engine, t0 + timedelta(hours=1), 3.5) == [Change.UPDATED]
    alerts = store.load("p-1", t0 + timedelta(hours=2)).open_records()
    assert len(alerts) == 1
    assert "3.5" in alerts[0].message


def test_acknowledging_one_alert_leaves_the_others_alone(
    engine: Engine, store: SqlAlertStore, t0: datetime
) -> None:
    glucose(engine, t0, 3.6)
    bp(engine, t0, 190, 100)
    open_ = {a.category: a for a in store.load("p-1", t0).open_records()}
    assert set(open_) == {Category.HYPOGLYCEMIA, Category.HYPERTENSIVE_CRISIS}
    store.acknowledge(open_[Category.HYPOGLYCEMIA].id, "nurse-7", t0, note="called, ate sugar")
    after = {a.category: a for a in store.load("p-1", t0).open_records()}
    assert after[Category.HYPOGLYCEMIA].status is Status.ACKNOWLEDGED
    assert after[Category.HYPOGLYCEMIA].acknowledged_by == "nurse-7"
    assert after[Category.HYPOGLYCEMIA].ack_note == "called, ate sugar"
    assert after[Category.HYPERTENSIVE_CRISIS].status is Status.OPEN
    # the engine's cache must see the acknowledgement made elsewhere
    engine.forget("p-1")
    assert glucose(engine, t0 + timedelta(minutes=30), 3.7) == [Change.UPDATED]
    assert bp(engine, t0 + timedelta(minutes=30), 200, 100) == [Change.UPDATED]


def test_acknowledged_alert_that_gets_worse_is_raised_again(
    engine: Engine, store: SqlAlertStore, t0: datetime
) -> None:
    bp(engine, t0, 120, 75, pulse=112)
    alert = store.load("p-1", t0).open_records()[0]
    assert (alert.category, alert.severity) == (Category.TACHYCARDIA, Severity.WARNING)
    store.acknowledge(alert.id, "nurse-7", t0)
    engine.forget("p-1")
    assert bp(engine, t0 + timedelta(hours=1), 120, 75, pulse=114) == [Change.UPDATED]
    assert bp(engine, t0 + timedelta(hours=2), 120, 75, pulse=130) == [Change.ESCALATED]
    alert = store.get(alert.id)
    assert (alert.status, alert.severity) == (Status.OPEN, Severity.URGENT)
    # acknowledged again, then worse by a step (15 /min) without a graver severity
    store.acknowledge(alert.id, "nurse-7", t0 + timedelta(hours=3))
    engine.forget("p-1")
    assert bp(engine, t0 + timedelta(hours=4), 120, 75, pulse=138) == [Change.UPDATED]
    assert bp(engine, t0 + timedelta(hours=5), 120, 75, pulse=146) == [Change.RAISED_AGAIN]


def test_a_condition_that_clears_closes_its_alert_with_an_all_clear(
    engine: Engine, store: SqlAlertStore, t0: datetime
) -> None:
    glucose(engine, t0, 3.6)
    assert glucose(engine, t0 + timedelta(hours=1), 4.0) == []  # inside the hysteresis margin
    assert glucose(engine, t0 + timedelta(hours=2), 5.5) == [Change.RESOLVED]
    assert store.load("p-1", t0 + timedelta(hours=3)).open_records() == []
    # back within the reopen window: the same alert, reopened
    assert glucose(engine, t0 + timedelta(hours=20), 3.5) == [Change.REOPENED]
    glucose(engine, t0 + timedelta(hours=21), 6.0)
    # days later: a new alert
    assert glucose(engine, t0 + timedelta(days=6), 3.5) == [Change.OPENED]


def test_graver_alert_of_a_family_supersedes_the_milder(
    engine: Engine, store: SqlAlertStore, t0: datetime
) -> None:
    assert glucose(engine, t0, 3.5) == [Change.OPENED]
    assert glucose(engine, t0 + timedelta(minutes=20), 2.7) == [Change.OPENED, Change.SUPERSEDED]
    open_ = store.load("p-1", t0 + timedelta(hours=1)).open_records()
    assert [a.category for a in open_] == [Category.SEVERE_HYPOGLYCEMIA]
    # recovering through level 1 does not open a milder alert the graver one already covers
    assert glucose(engine, t0 + timedelta(hours=1), 3.6) == []
    assert glucose(engine, t0 + timedelta(hours=2), 5.0) == [Change.RESOLVED]
    assert glucose(engine, t0 + timedelta(hours=8), 3.7) == []


def test_device_problems_are_never_clinical(
    engine: Engine, store: SqlAlertStore, t0: datetime
) -> None:
    loose = wire(
        Kind.BLOOD_PRESSURE, t0, flags=("cuff_loose",), systolic_mmhg=230, diastolic_mmhg=130
    )
    changes = engine.on_reading(loose, t0)
    assert [(c.change, c.alert.category, c.alert.severity) for c in changes] == [
        (Change.OPENED, Category.DEVICE_PROBLEM, Severity.INFO)
    ]
    for day in range(5):
        at = t0 + timedelta(days=day, hours=1)
        engine.on_reading(wire(Kind.WEIGHT, at, weight_kg=81.0 + day * 0.1), at)
    child = t0 + timedelta(days=5, hours=1)
    changes = engine.on_reading(wire(Kind.WEIGHT, child, weight_kg=23.0), child)
    assert [(c.alert.category, c.alert.kind) for c in changes] == [
        (Category.DEVICE_PROBLEM, Kind.WEIGHT)
    ]
    swapped = t0 + timedelta(days=5, hours=2)
    reading = wire(Kind.BLOOD_PRESSURE, swapped, systolic_mmhg=70, diastolic_mmhg=95)
    assert [c.alert.category for c in engine.on_reading(reading, swapped)] == [
        Category.DEVICE_PROBLEM
    ]  # the open device alert of the cuff is updated; no hypotension
    lo = t0 + timedelta(days=6)
    meter_lo = wire(Kind.GLUCOSE, lo, flags=("result_too_low",), glucose_mmol_l=None)
    # LO: below the meter's range is clinical, and the patient is asked to test again
    assert {(c.alert.category, c.alert.kind) for c in engine.on_reading(meter_lo, lo)} == {
        (Category.SEVERE_HYPOGLYCEMIA, Kind.GLUCOSE),
        (Category.DEVICE_PROBLEM, Kind.GLUCOSE),
    }


def test_missing_data_is_measured_on_receive_time_not_device_time(
    engine: Engine, store: SqlAlertStore, t0: datetime
) -> None:
    """A gateway whose clock runs days ahead (readings stamped in the future) still
    goes silent on the server's clock; its backlog arriving clears the alert."""
    for day in range(8):
        at = t0 + timedelta(days=day)
        engine.on_reading(wire(Kind.WEIGHT, at + timedelta(days=5), weight_kg=80.0), at)
    last = t0 + timedelta(days=7)
    assert engine.tick(last + timedelta(hours=80)) == []  # 3.5 usual gaps of a day
    opened = engine.tick(last + timedelta(hours=85))
    assert [(c.change, c.alert.category, c.alert.kind) for c in opened] == [
        (Change.OPENED, Category.MISSING_DATA, Kind.WEIGHT)
    ]
    assert engine.tick(last + timedelta(hours=95)) == []  # not opened twice
    backlog = last + timedelta(hours=100)
    late = wire(Kind.WEIGHT, last + timedelta(hours=24), weight_kg=80.2, received=backlog)
    changes = engine.on_reading(late, backlog)
    assert [(c.change, c.alert.category) for c in changes] == [
        (Change.RESOLVED, Category.MISSING_DATA)
    ]


def test_per_patient_target_overrides_the_default(store: SqlAlertStore, t0: datetime) -> None:
    from alerts.sqlstore import DbTargets

    rules = load_rules()
    targets = DbTargets(store.sessions, rules)
    version = targets.set(
        "p-1",
        "glucose_level1_hypo",
        {"limits": {"glucose_mmol_l": 4.4}},
        by="dr-2",
        reason="elderly, hypo unawareness",
        now=t0,
    )
    assert version == 1
    engine = Engine(rules, store=store, targets=targets)
    assert glucose(engine, t0, 4.2) == [Change.OPENED]
    other = wire(Kind.GLUCOSE, t0, patient="p-2", glucose_mmol_l=4.2)
    assert engine.on_reading(other, t0) == []
    assert targets.set("p-1", "glucose_level1_hypo", None, by="dr-2", reason="back", now=t0) == 2
    assert targets.for_patient("p-1") == {}


def test_cache_refresh_keeps_the_readings_when_the_engine_is_the_only_history(
    store: SqlAlertStore, t0: datetime
) -> None:
    engine = Engine(load_rules(), store=store, cache_ttl_s=60)
    for hours in range(0, 72, 12):
        at = t0 + timedelta(hours=hours)
        engine.on_reading(wire(Kind.WEIGHT, at, weight_kg=80.0), at)
    gain = t0 + timedelta(hours=80)  # long after the cache's time to live
    changes = engine.on_reading(wire(Kind.WEIGHT, gain, weight_kg=82.6), gain)
    assert [(c.change, c.alert.category) for c in changes] == [
        (Change.OPENED, Category.WEIGHT_GAIN)
    ]


def test_local_days_follow_the_patient_zone_across_dst(store: SqlAlertStore) -> None:
    """Six readings on two UTC days fall on three Paris days around the spring change:
    the home average needs three days of readings, counted where the patient lives."""
    from datetime import UTC

    moments = [
        datetime(2026, 3, 27, 22, 30, tzinfo=UTC),  # 23:30 CET, 27th
        datetime(2026, 3, 27, 23, 30, tzinfo=UTC),  # 00:30 CET, 28th
        datetime(2026, 3, 28, 22, 30, tzinfo=UTC),  # 23:30 CET, 28th
        datetime(2026, 3, 28, 23, 30, tzinfo=UTC),  # 01:30 CEST, 29th (clocks went forward)
        datetime(2026, 3, 28, 23, 45, tzinfo=UTC),
        datetime(2026, 3, 28, 23, 50, tzinfo=UTC),
    ]
    opened = {}
    for zone in ("Europe/Paris", "UTC"):
        engine = Engine(load_rules(), store=store, zone_of=partial(_zone, zone))
        patient = f"p-{zone.replace('/', '-')}"
        changes: list[Change] = []
        for at in moments:
            reading = wire(
                Kind.BLOOD_PRESSURE, at, patient=patient, systolic_mmhg=150, diastolic_mmhg=95
            )
            changes += [c.change for c in engine.on_reading(reading, at)]
        opened[zone] = changes
    assert opened == {"Europe/Paris": [Change.OPENED], "UTC": []}


def test_history_from_the_collector_store(
    store: SqlAlertStore, tmp_path: Path, t0: datetime
) -> None:
    """Windows built from the collector's SQLite store: device-flagged readings are left
    out, and a reading the collector stored before the worker saw it is judged once."""
    from alerts.history import StoreHistory
    from alerts.ruleset import DeviceRule
    from collector.sqlite_store import SqliteStore

    readings = SqliteStore(tmp_path / "readings.sqlite")
    rules = load_rules()
    stored = [wire(Kind.WEIGHT, t0 + timedelta(days=d), weight_kg=80.0) for d in range(6)]
    stored.append(
        wire(
            Kind.WEIGHT, t0 + timedelta(days=6), flags=("measurement_unsuccessful",), weight_kg=70.0
        )
    )
    gain = wire(Kind.WEIGHT, t0 + timedelta(days=7), weight_kg=82.5)
    readings.write_batch([*stored, gain])  # the collector was first
    history = StoreHistory.for_rules(readings, rules.of_type(DeviceRule))
    engine = Engine(rules, history=history, store=store)
    now = t0 + timedelta(days=7, minutes=1)
    changes = engine.on_reading(gain, now)
    assert [(c.change, c.alert.category) for c in changes] == [
        (Change.OPENED, Category.WEIGHT_GAIN)
    ]
    assert engine.on_reading(gain, now) == []  # a redelivery
    window = engine.state("p-1", now).windows[Kind.WEIGHT]
    assert window.values["weight_kg"] == [80.0] * 6 + [82.5]
    readings.close()


def test_inbox_lists_urgent_first_with_timeline(
    engine: Engine, store: SqlAlertStore, t0: datetime
) -> None:
    from alerts.inbox import alerts_for, timeline

    glucose(engine, t0, 3.6)  # warning, p-1
    engine.on_reading(wire(Kind.GLUCOSE, t0, patient="p-2", glucose_mmol_l=2.5), t0)  # urgent
    engine.on_reading(wire(Kind.GLUCOSE, t0, patient="p-3", glucose_mmol_l=2.5), t0)  # not asked
    with store.sessions() as session:
        listed = alerts_for(session, ["p-1", "p-2"])
        assert [(a.patient, a.severity) for a in listed] == [
            ("p-2", Severity.URGENT),
            ("p-1", Severity.WARNING),
        ]
        store.acknowledge(listed[1].id, "nurse-7", t0 + timedelta(minutes=3), note="seen")
        glucose(engine, t0 + timedelta(hours=2), 6.0)
        assert alerts_for(session, ["p-1"]) == []
        steps = timeline(session, listed[1].id)
    assert [(s.change, s.actor) for s in steps] == [
        ("opened", None),
        ("acknowledged", "nurse-7"),
        ("resolved", None),
    ]


def test_a_reading_from_a_reset_device_clock_is_still_judged(
    engine: Engine, store: SqlAlertStore, t0: datetime
) -> None:
    from datetime import UTC

    reset = datetime(2000, 1, 1, tzinfo=UTC)
    reading = wire(Kind.GLUCOSE, reset, flags=("time_fault",), received=t0, glucose_mmol_l=2.5)
    changes = engine.on_reading(reading, t0)
    assert [(c.change, c.alert.category) for c in changes] == [
        (Change.OPENED, Category.SEVERE_HYPOGLYCEMIA)
    ]


def test_resolving_by_hand_closes_one_alert_and_a_lasting_condition_reopens_it(
    engine: Engine, store: SqlAlertStore, t0: datetime
) -> None:
    from alerts.lifecycle import AlertClosed

    glucose(engine, t0, 3.6)
    bp(engine, t0, 190, 100)
    hypo = next(a for a in store.open_alerts() if a.category is Category.HYPOGLYCEMIA)
    store.resolve(hypo.id, "dr-2", t0 + timedelta(minutes=5))
    assert [a.category for a in store.open_alerts()] == [Category.HYPERTENSIVE_CRISIS]
    with pytest.raises(AlertClosed):
        store.acknowledge(hypo.id, "dr-2", t0 + timedelta(minutes=6))
    assert glucose(engine, t0 + timedelta(hours=1), 3.5) == [Change.REOPENED]


def _zone(zone: str, _patient: str) -> str:
    """Every patient lives in ``zone``."""
    return zone
