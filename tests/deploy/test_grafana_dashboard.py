"""The shipped Grafana dashboard's queries run on real InfluxDB data.

Readings are written exactly as the collector writes them
(`collector.lineproto`) into Debian's InfluxDB 1.6; each panel's InfluxQL is
then sent as Grafana would send it (``$timeFilter`` and the multi-value
``$patient`` variable expanded), and must return the readings' values.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from collector.lineproto import to_lines
from devices.envelope import envelope
from devices.reading import Kind, Reading
from tests.support.influx import Influxd
from wire.reading import DeviceRef, WireReading

pytestmark = pytest.mark.integration

DASHBOARD = (
    Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "dashboards" / "patients.json"
)
START = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
DAYS = 5


def reading(patient: str, kind: Kind, metrics: dict[str, float], day: int) -> WireReading:
    at = START + timedelta(days=day)
    return envelope(
        Reading(kind, metrics, time=at.replace(tzinfo=None), sequence=day),
        patient=patient,
        gateway=f"gw-{patient}",
        device=DeviceRef(address=f"AA:{patient}", driver=kind.value),
        time=at,
        received=at,
    )


@pytest.fixture(scope="module")
def data(influxd: Influxd) -> Influxd:
    body = urllib.parse.urlencode({"q": 'CREATE DATABASE "veille"'}).encode()
    urllib.request.urlopen(f"{influxd.url}/query", data=body, timeout=10).close()  # noqa: S310
    readings = []
    for day in range(DAYS):
        readings.append(reading("p-hf", Kind.WEIGHT, {"weight_kg": 80.0 + day * 0.5}, day))
        readings.append(
            reading(
                "p-hta",
                Kind.BLOOD_PRESSURE,
                {"systolic_mmhg": 150.0 - day, "diastolic_mmhg": 92.0, "pulse_bpm": 70.0},
                day,
            )
        )
        readings.append(reading("p-dm", Kind.GLUCOSE, {"glucose_mmol_l": 5.5 + day}, day))
    influxd.write(to_lines(readings))
    return influxd


def grafana_expand(query: str, patients: list[str]) -> str:
    """What Grafana's InfluxDB data source sends: a millisecond time range, and
    a multi-value variable inside a regex as an alternation."""
    frm = int((START - timedelta(days=1)).timestamp() * 1000)
    to = int((START + timedelta(days=DAYS + 1)).timestamp() * 1000)
    query = query.replace("$timeFilter", f"time >= {frm}ms and time <= {to}ms")
    return query.replace("$patient", "(" + "|".join(patients) + ")")


def panels() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(DASHBOARD.read_text())["panels"]
    return found


def values(series: list[dict[str, Any]]) -> list[float]:
    return [row[1] for serie in series for row in serie["values"] if row[1] is not None]


def test_patient_variable_lists_every_patient(data: Influxd) -> None:
    variable = json.loads(DASHBOARD.read_text())["templating"]["list"][0]
    series = data.query(variable["query"])
    listed = {row[1] for serie in series for row in serie["values"]}
    assert listed == {"p-hf", "p-hta", "p-dm"}


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Weight (kg)", {80.0, 80.5, 81.0, 81.5, 82.0}),
        ("Last weight (kg)", {82.0}),
        ("Glucose (mmol/L)", {5.5, 6.5, 7.5, 8.5, 9.5}),
        ("Blood pressure (mmHg) and pulse (/min)", {150.0, 149.0, 148.0, 147.0, 146.0, 92.0, 70.0}),
    ],
)
def test_panel_shows_the_patients_values(data: Influxd, title: str, expected: set[float]) -> None:
    (panel,) = [p for p in panels() if p["title"] == title]
    got: set[float] = set()
    for target in panel["targets"]:
        series = data.query(grafana_expand(target["query"], ["p-hf", "p-hta", "p-dm"]))
        assert series, target["query"]
        assert all(serie["tags"]["patient"] in {"p-hf", "p-hta", "p-dm"} for serie in series)
        got |= set(values(series))
    assert got == expected


def test_patient_filter_keeps_other_patients_out(data: Influxd) -> None:
    (panel,) = [p for p in panels() if p["title"] == "Weight (kg)"]
    query = panel["targets"][0]["query"]
    assert data.query(grafana_expand(query, ["p-dm"])) == []
    only = data.query(grafana_expand(query, ["p-hf"]))
    assert {serie["tags"]["patient"] for serie in only} == {"p-hf"}


def test_readings_per_day_counts_each_kind(data: Influxd) -> None:
    (panel,) = [p for p in panels() if p["title"] == "Readings per day"]
    for target in panel["targets"]:
        series = data.query(grafana_expand(target["query"], ["p-hf", "p-hta", "p-dm"]))
        counts = values(series)
        assert sum(counts) == DAYS, re.sub(r"\s+", " ", target["query"])
        assert set(counts) == {1}
