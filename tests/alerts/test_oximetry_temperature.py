"""Low saturation, fever and hypothermia: scripted COPD stories caught, and nothing else.

Each story (`tests.alerts.synthetic_copd`) is a month of one patient's spot
checks, temperatures and nights on a continuous oximeter, replayed on a
virtual clock through the default rules with the patient's targets, alerts
kept in a real SQL store. A story's clinical alerts must be exactly the ones
it expects: a displaced sensor, a doubtful pulse, one warm reading or a brief
dip in the night raise nothing clinical.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerts.engine import Engine
from alerts.history import StoreHistory
from alerts.replay import replay
from alerts.ruleset import DeviceRule, ThresholdRule, load_rules
from alerts.sqlstore import SqlAlertStore
from alerts.terms import Category, Change, Severity
from collector.sqlite_store import SqliteStore
from devices.reading import Kind
from tests.alerts.conftest import wire
from tests.alerts.synthetic_copd import EVENT_DAY, START, Story, generate, stories
from veille.db import create_schema, make_engine, session_factory
from veille.errors import ConfigError

DAYS = 30
RAISED = (Change.OPENED, Change.REOPENED, Change.ESCALATED)


class StoryTargets:
    def __init__(self, by_patient: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> None:
        self._by_patient = by_patient

    def for_patient(self, patient: str) -> Mapping[str, Mapping[str, Any]]:
        return self._by_patient.get(patient, {})


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Any]]:
    """Every story replayed once: patient -> the alert changes it raised."""
    db = make_engine(f"sqlite:///{tmp_path_factory.mktemp('copd')}/alerts.db")
    create_schema(db)
    all_stories = stories()
    targets = StoryTargets({s.id: s.targets for s in all_stories if s.targets})
    engine = Engine(load_rules(), store=SqlAlertStore(session_factory(db)), targets=targets)
    readings = [r for i, s in enumerate(all_stories) for r in generate(s, DAYS, seed=100 + i)]
    readings.sort(key=lambda r: r.received)
    until = datetime.combine(START + timedelta(days=DAYS), time(0), UTC)
    changes: dict[str, list[Any]] = {s.id: [] for s in all_stories}
    for change in replay(engine, readings, until):
        if change.change in RAISED:
            changes[change.alert.patient].append(change)
    db.dispose()
    return changes


def _clinical(changes: list[Any]) -> dict[tuple[str, str], str]:
    """(category, kind) -> the gravest severity it reached."""
    found: dict[tuple[str, str], Severity] = {}
    for change in changes:
        alert = change.alert
        if not alert.category.clinical:
            continue
        key = (alert.category.value, alert.kind.value)
        if key not in found or alert.severity.rank > found[key].rank:
            found[key] = alert.severity
    return {key: severity.value for key, severity in found.items()}


@pytest.mark.parametrize("story", stories(), ids=lambda s: s.id)
def test_each_story_raises_exactly_its_alerts(played: dict[str, list[Any]], story: Story) -> None:
    raised = _clinical(played[story.id])
    assert raised == {(c, k): s for c, k, s in story.expect}
    event = datetime.combine(START + timedelta(days=EVENT_DAY), time(0), UTC)
    for change in played[story.id]:
        if change.alert.category.clinical:  # on the story's days, never before
            assert event <= change.at <= event + timedelta(days=4), change.alert.message


@pytest.mark.parametrize("patient", ["c-displaced", "c-room"])
def test_a_displaced_sensor_or_the_room_temperature_is_a_device_problem(
    played: dict[str, list[Any]], patient: str
) -> None:
    problems = [c.alert for c in played[patient] if c.alert.category is Category.DEVICE_PROBLEM]
    assert problems, "the patient is asked to check the device"
    assert {a.severity for a in problems} == {Severity.INFO}
    message = problems[0].message
    assert (
        ("sensor_displaced" in message) if patient == "c-displaced" else ("implausible" in message)
    )


def test_defaults_are_the_documented_ones() -> None:
    rules = load_rules().by_name
    expected = {
        "spo2_low": ({"spo2_pct": 92}, "<", 2, Severity.WARNING),
        "spo2_very_low": ({"spo2_pct": 88}, "<", 1, Severity.URGENT),
        "fever_confirmed": ({"temperature_c": 38.0}, ">=", 2, Severity.WARNING),
        "fever_high": ({"temperature_c": 39.5}, ">=", 1, Severity.URGENT),
        "hypothermia_confirmed": ({"temperature_c": 35.0}, "<", 2, Severity.URGENT),
    }
    for name, (limits, op, confirm, severity) in expected.items():
        rule = rules[name]
        assert isinstance(rule, ThresholdRule)
        assert (rule.limits, rule.op, rule.confirm, rule.severity) == (
            limits,
            op,
            confirm,
            severity,
        )
    assert rules["spo2_low"].confirm_within_hours <= 16  # morning and evening checks
    assert Kind.SPO2 in rules["pulse_high_confirmed"].kinds
    assert Kind.SPO2_CONTINUOUS not in rules["pulse_high_confirmed"].kinds
    assert Kind.INTERMEDIATE_TEMPERATURE not in load_rules().kinds


def test_a_withheld_flag_or_an_unknown_one_is_refused_in_targets() -> None:
    rules = load_rules()
    with pytest.raises(ConfigError, match="unknown flag"):
        rules.with_targets({"spo2_device": {"withhold": {"pulse_bpm": ["no_such_flag"]}}})
    with pytest.raises(ConfigError, match="unknown metric"):
        rules.with_targets({"spo2_device": {"withhold": {"pulse": ["sensor_displaced"]}}})
    lowered = rules.with_targets({"spo2_low": {"limits": {"spo2_pct": 88}}})
    assert lowered.by_name["spo2_low"].limits == {"spo2_pct": 88}


def test_a_doubtful_pulse_is_withheld_from_a_window_built_from_the_store(
    tmp_path: Path, t0: datetime
) -> None:
    """The pulse rules read the oximeter's pulse only when the oximeter did not doubt it,
    whether the reading arrives now or is read back from the collector's store."""
    db = make_engine(f"sqlite:///{tmp_path}/alerts.db")
    create_schema(db)
    readings = SqliteStore(tmp_path / "readings.sqlite")
    rules = load_rules()
    stored = [
        wire(Kind.SPO2, t0, spo2_pct=95, pulse_bpm=72),
        wire(
            Kind.SPO2,
            t0 + timedelta(hours=1),
            spo2_pct=96,
            pulse_bpm=131,
            flags=("questionable_pulse_detected",),
        ),
        wire(
            Kind.SPO2,
            t0 + timedelta(hours=2),
            spo2_pct=60,
            pulse_bpm=70,
            flags=("sensor_displaced",),
        ),
        wire(
            Kind.SPO2,
            t0 + timedelta(hours=3),
            spo2_pct=80,
            pulse_bpm=70,
            flags=("data_for_testing",),
        ),
    ]
    readings.write_batch(stored)
    history = StoreHistory.for_rules(readings, rules.of_type(DeviceRule))
    engine = Engine(rules, history=history, store=SqlAlertStore(session_factory(db)))
    now = t0 + timedelta(hours=4)
    window = engine.state("p-1", now).windows[Kind.SPO2]
    assert window.values["spo2_pct"] == [95.0, 96.0]
    assert window.values["pulse_bpm"][0] == 72.0
    assert window.values["pulse_bpm"][1] != window.values["pulse_bpm"][1]  # withheld: NaN
    # a second doubtful fast pulse does not confirm tachycardia with the stored one
    again = wire(Kind.SPO2, now, spo2_pct=96, pulse_bpm=128, flags=("questionable_pulse_detected",))
    assert engine.on_reading(again, now) == []
    # a sound one after it is judged, alone: one fast pulse above 110 is a warning
    sound = wire(Kind.SPO2, now + timedelta(minutes=5), spo2_pct=96, pulse_bpm=115)
    changes = engine.on_reading(sound, now + timedelta(minutes=5))
    assert [(c.change, c.alert.category, c.alert.kind) for c in changes] == [
        (Change.OPENED, Category.TACHYCARDIA, Kind.SPO2)
    ]
    readings.close()
    db.dispose()
