"""Pages and exports never answer 500 for a value already in the store.

A store written before ingest refused impossible values (issue 17, finding 3)
may hold ``Infinity``, 1e308, -5 kg or a reading dated 9999: the rows are
inserted here directly into the real SQLite store, as the old collector wrote
them, and every page and export that shows readings must still answer.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from devices.reading import Kind
from tests.web.world import NOW, World, reading

HOSTILE: list[tuple[Kind, dict[str, object], datetime]] = [
    (Kind.WEIGHT, {"weight_kg": "Infinity"}, NOW - timedelta(hours=1)),
    (Kind.WEIGHT, {"weight_kg": 1e308}, NOW - timedelta(hours=2)),
    (Kind.WEIGHT, {"weight_kg": -5.0}, NOW - timedelta(hours=3)),
    (Kind.WEIGHT, {"weight_kg": "-Infinity", "bmi": "NaN"}, NOW - timedelta(hours=4)),
    (Kind.GLUCOSE, {"glucose_mmol_l": "Infinity"}, NOW - timedelta(hours=5)),
    (Kind.BLOOD_PRESSURE, {"systolic_mmhg": 1e308, "diastolic_mmhg": -1e308}, NOW),
    (Kind.WEIGHT, {"weight_kg": 80.0}, datetime(9999, 12, 31, 23, 0, tzinfo=UTC)),
    (Kind.GLUCOSE, {"glucose_mmol_l": 5.0}, datetime(1, 1, 1, 1, 0, tzinfo=UTC)),
]


def _insert_as_the_old_collector_did(store_path: Path, patient: str) -> None:
    rows = []
    for kind, metrics, at in HOSTILE:
        base = json.loads((reading(patient, kind, NOW, {})).encode())
        base |= {"id": uuid.uuid4().hex, "metrics": metrics, "time": at.isoformat()}
        text = json.dumps(base)
        for token in ("Infinity", "-Infinity", "NaN"):  # JSON tokens, not strings
            text = text.replace(f'"{token}"', token)
        micros = (at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
        rows.append((base["id"], patient, kind.value, micros, "gw-test", "x", text))
    with sqlite3.connect(store_path) as db:
        db.executemany(
            "INSERT INTO readings (id, patient, kind, time_us, gateway, driver, wire)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


@pytest.fixture
def hostile(world: World, tmp_path: Path) -> World:
    _insert_as_the_old_collector_did(tmp_path / "readings.sqlite", "p-red")
    return world


@pytest.mark.parametrize(
    "path",
    [
        "/team/patients/p-red?days=7",
        "/team/patients/p-red?days=30",
        "/team/patients/p-red/readings/weight?days=7",
        "/team/patients/p-red/readings/glucose?days=30",
        "/team/patients/p-red/readings/blood_pressure?days=7",
        "/team/patients/p-red/readings/weight/export.csv?days=7",
        "/team/patients/p-red/readings/glucose/export.csv?days=30",
        "/team/patients/p-red/readings/blood_pressure/export.csv?days=7",
        "/team/patients/p-red/summary",
        "/team/patients/p-red/summary.pdf",
        "/api/v1/patients/p-red/readings/weight",
        "/api/v1/patients/p-red/fhir",
        "/api/v1/fhir/Observation?patient=p-red",
        "/api/v1/fhir/Observation?patient=p-red&code=http://loinc.org|29463-7",
        "/team",
        "/api/v1/patients",
    ],
)
def test_care_team_pages_answer_for_any_stored_value(
    hostile: World, nurse: TestClient, path: str
) -> None:
    response = nurse.get(path)
    assert response.status_code == 200, response.text[:500]


@pytest.mark.parametrize("path", ["/me", "/me/export.jsonl", "/me/export.fhir.json"])
def test_the_patients_own_pages_and_exports_answer_for_any_stored_value(
    hostile: World, red_patient: TestClient, path: str
) -> None:
    response = red_patient.get(path)
    assert response.status_code == 200, response.text[:500]
