"""Review is a clinical act: an alert that closed by itself still waits for a professional,
and every resolution says who or what closed it, when and why."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from alerts.engine import Engine
from alerts.lifecycle import ReviewNeedsNote
from alerts.models import AlertEvent
from alerts.ruleset import load_rules
from alerts.sqlstore import SqlAlertStore
from alerts.terms import Category, Change, Status
from devices.reading import Kind
from tests.alerts.conftest import wire
from veille.db import create_schema, make_engine, session_factory


@pytest.fixture
def store(tmp_path: Path) -> SqlAlertStore:
    db = make_engine(f"sqlite:///{tmp_path}/alerts.db")
    create_schema(db)
    return SqlAlertStore(session_factory(db))


def test_a_self_resolved_urgent_alert_waits_for_review_with_the_reading_that_cleared_it(
    store: SqlAlertStore, t0: datetime
) -> None:
    engine = Engine(load_rules(), store=store)
    low = wire(Kind.GLUCOSE, t0, glucose_mmol_l=2.9)
    normal = wire(Kind.GLUCOSE, t0 + timedelta(hours=1), glucose_mmol_l=6.4)
    opened = engine.on_reading(low, t0)
    assert [c.change for c in opened] == [Change.OPENED]
    assert opened[0].alert.params == {
        "shape": "threshold",
        "metric": "glucose_mmol_l",
        "value": 2.9,
        "threshold": 3.0,
        "op": "<",
        "confirm": 1,
    }
    closed = engine.on_reading(normal, t0 + timedelta(hours=1))
    assert [c.change for c in closed] == [Change.RESOLVED]
    alert = store.get(opened[0].alert.id)
    assert alert.status is Status.RESOLVED
    assert (alert.resolution, alert.resolved_by, alert.resolved_reading_id) == (
        "all_clear",
        None,
        normal.id,
    )
    assert alert.needs_review  # closed by itself: nobody has looked at it yet

    with pytest.raises(ReviewNeedsNote):
        store.review(alert.id, "Claire (IDE)", t0 + timedelta(hours=8), "  ")
    store.review(alert.id, "Claire (IDE)", t0 + timedelta(hours=8), "Appelée : resucrée")
    reviewed = store.get(alert.id)
    assert not reviewed.needs_review
    assert (reviewed.reviewed_by, reviewed.review_note) == ("Claire (IDE)", "Appelée : resucrée")
    with store.sessions() as session:
        events = session.scalars(
            select(AlertEvent).where(AlertEvent.alert_id == alert.id).order_by(AlertEvent.id)
        ).all()
    assert [(e.change, e.actor, e.note, e.reading_id) for e in events] == [
        ("opened", None, None, None),
        ("resolved", None, None, normal.id),
        ("reviewed", "Claire (IDE)", "Appelée : resucrée", None),
    ]


def test_closing_by_hand_with_a_note_is_the_review_and_says_who(
    store: SqlAlertStore, t0: datetime
) -> None:
    engine = Engine(load_rules(), store=store)
    reading = wire(Kind.BLOOD_PRESSURE, t0, systolic_mmhg=184, diastolic_mmhg=95, pulse_bpm=70)
    (opened,) = engine.on_reading(reading, t0)
    assert opened.alert.category is Category.HYPERTENSIVE_CRISIS
    assert opened.alert.params["value"] == 184
    assert opened.alert.params["threshold"] == 180
    store.resolve(opened.alert.id, "Dr Martin", t0 + timedelta(hours=1), "Traitement ajusté")
    alert = store.get(opened.alert.id)
    assert (alert.resolution, alert.resolved_by, alert.resolution_note) == (
        "by_hand",
        "Dr Martin",
        "Traitement ajusté",
    )
    assert not alert.needs_review


def test_an_alert_that_gets_worse_after_review_needs_a_new_one(
    store: SqlAlertStore, t0: datetime
) -> None:
    engine = Engine(load_rules(), store=store)
    (opened,) = engine.on_reading(wire(Kind.GLUCOSE, t0, glucose_mmol_l=3.7), t0)
    store.acknowledge(opened.alert.id, "Claire (IDE)", t0, note="rappel dans 1 h")
    assert not store.get(opened.alert.id).needs_review  # acknowledging with a note reviews
    later = t0 + timedelta(hours=1)
    changes = engine.on_reading(wire(Kind.GLUCOSE, later, glucose_mmol_l=2.5), later)
    severe = next(c.alert for c in changes if c.alert.category is Category.SEVERE_HYPOGLYCEMIA)
    assert severe.needs_review
    superseded = store.get(opened.alert.id)
    assert superseded.resolution == "superseded"
