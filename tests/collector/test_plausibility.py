"""Impossible values and times are refused at ingest, before the store and the rules."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from alerts.lifecycle import Transition
from alerts.worker import AlertsSettings, build
from collector.admission import IMPLAUSIBLE, Admission, Refused
from collector.plausibility import BOUNDS
from devices.reading import METRICS, Kind
from tests.collector.admit import admission, database_url
from tests.collector.factory import T0, wire
from veille.clock import SystemClock
from wire import topics
from wire.reading import WireReading

NOW = T0 + timedelta(days=2)


def _payload(n: int, kind: Kind = Kind.WEIGHT, **changes: Any) -> tuple[str, bytes]:
    """A reading whose JSON is then changed as a hostile gateway would (raw tokens kept)."""
    data = json.loads((wire(n, kind=kind)).encode())
    metrics = changes.pop("metrics", {})
    data["metrics"].update(metrics)
    data.update(changes)
    text = json.dumps(data).replace('"__1e999__"', "1e999")  # a literal JSON number
    return topics.reading("gw-01", kind.value), text.encode()


@pytest.fixture(scope="module")
def admit(tmp_path_factory: pytest.TempPathFactory) -> Admission:
    """gw-01 serves p-0001 since the day before T0; the collector's clock reads NOW."""
    found = admission(tmp_path_factory.mktemp("pairings"))
    found.now = lambda: NOW
    return found


def test_every_metric_has_a_plausible_range() -> None:
    assert set(METRICS) <= set(BOUNDS)
    assert all(low < high for low, high in BOUNDS.values())


@pytest.mark.parametrize(
    ("message", "why"),
    [
        (_payload(1, metrics={"weight_kg": float("inf")}), "weight_kg is inf"),
        (_payload(2, metrics={"weight_kg": float("-inf")}), "weight_kg is -inf"),
        (_payload(3, metrics={"weight_kg": "__1e999__"}), "weight_kg is inf"),
        (_payload(4, metrics={"weight_kg": 1e308}), "outside 0.5..500"),
        (_payload(5, metrics={"weight_kg": -5.0}), "outside 0.5..500"),
        (_payload(6, metrics={"weight_kg": 0.1}), "outside 0.5..500"),
        (_payload(7, metrics={"bmi": 1e9}), "bmi"),
        (_payload(8, Kind.BLOOD_PRESSURE, metrics={"systolic_mmhg": 400.0}), "systolic_mmhg"),
        (_payload(9, Kind.BLOOD_PRESSURE, metrics={"pulse_bpm": 0.0}), "pulse_bpm"),
        (_payload(10, Kind.GLUCOSE, metrics={"glucose_mmol_l": -1.0}), "glucose_mmol_l"),
        (_payload(11, time="9999-12-31T23:59:59Z"), "in the future"),
        (_payload(12, time=(NOW + timedelta(hours=1)).isoformat()), "in the future"),
        (_payload(13, received="9999-01-01T00:00:00Z"), "received"),
        (_payload(14, time="2020-01-01T00:00:00Z"), "before the pairing"),
    ],
    ids=[
        "Infinity",
        "-Infinity",
        "1e999",
        "1e308",
        "negative-weight",
        "tiny-weight",
        "bmi",
        "systolic-400",
        "pulse-0",
        "negative-glucose",
        "year-9999",
        "an-hour-ahead",
        "received-9999",
        "years-before-pairing",
    ],
)
def test_an_impossible_reading_is_refused_with_its_reason(
    admit: Admission, message: tuple[str, bytes], why: str
) -> None:
    with pytest.raises(Refused, match="implausible") as caught:
        admit.admit(*message)
    assert caught.value.category == IMPLAUSIBLE
    assert why in str(caught.value)


def test_the_edges_of_the_ranges_and_of_the_clock_are_admitted(admit: Admission) -> None:
    assert admit.admit(*_payload(1, metrics={"weight_kg": 500.0})).metrics["weight_kg"] == 500
    assert admit.admit(*_payload(2, metrics={"weight_kg": 0.5, "bmi": None}))
    skewed = (NOW + timedelta(minutes=9)).isoformat()
    assert admit.admit(*_payload(3, time=skewed)).time == datetime.fromisoformat(skewed)
    stored_on_device = (T0 - timedelta(days=300)).isoformat()  # a meter's memory, read late
    assert admit.admit(*_payload(4, time=stored_on_device))


def test_what_the_collector_refuses_never_reaches_the_rules(tmp_path: Path) -> None:
    """The rules worker reads the same topics as the collector: it applies the same
    admission, so an infinite weight (or another home's patient) opens no alert."""
    database_url(tmp_path)
    admission(tmp_path)  # pairs gw-01 with p-0001
    settings = AlertsSettings(database=database_url(tmp_path))
    client = paho.Client(CallbackAPIVersion.VERSION2)  # never connected: MQTT channel unused
    worker = build(settings, client, SystemClock())
    seen: list[str] = []
    original = worker.engine.on_readings

    def spy(wires: Sequence[WireReading], now: datetime) -> list[Transition]:
        seen.extend(w.id for w in wires)
        return original(wires, now)

    worker.engine.on_readings = spy  # type: ignore[method-assign]
    good = _payload(1, time=datetime.now(UTC).isoformat())
    bad = _payload(2, metrics={"weight_kg": float("inf")})
    other = wire(3, patient="p-0002", kind=Kind.WEIGHT)
    worker.handle_many(
        [good[1], bad[1], b"[" * 5000, other.encode()],
        [good[0], bad[0], good[0], topics.reading("gw-01", "weight")],
    )
    assert seen == [json.loads(good[1])["id"]]
