"""The replay contract of issue 5, through the command line, scored on synthetic patients."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from alerts.terms import Category
from devices.reading import Kind
from tests.alerts.conftest import wire
from tests.alerts.synthetic import EVENTS, cohort, generate, score
from veille.cli import main

START = date(2026, 1, 5)
REQUIRED = {"patient", "category", "severity", "time", "kind", "message"}


def write_cohort(path: Path, stable: int, days: int, seed: int) -> list:  # type: ignore[type-arg]
    patients = cohort(stable, seed)
    with path.open("wb") as handle:
        for index, patient in enumerate(patients):
            for reading in generate(patient, START, days, seed=seed * 1000 + index):
                handle.write(reading.encode() + b"\n")
    return patients


def run_replay(capsys: pytest.CaptureFixture[str], path: Path, until: datetime) -> list[dict]:  # type: ignore[type-arg]
    code = main(["alerts", "replay", str(path), "--until", until.isoformat()])
    assert code == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize("seed", [11, 29])
def test_synthetic_cohort_every_event_flagged_few_false_alerts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], seed: int
) -> None:
    days = 75
    patients = write_cohort(tmp_path / "r.jsonl", stable=24, days=days, seed=seed)
    until = datetime.combine(START, datetime.min.time(), UTC) + timedelta(days=days)
    alerts = run_replay(capsys, tmp_path / "r.jsonl", until)

    assert all(alert.keys() >= REQUIRED for alert in alerts)
    assert {alert["category"] for alert in alerts} <= {c.value for c in Category}
    result = score(alerts, patients, days)
    assert not result.missed, [(e.category, e.start) for e in result.missed]
    flagged = {alert["category"] for alert in alerts}
    assert set(EVENTS) <= flagged
    stable_alarms = [
        a for a in alerts if a["patient"].startswith("p-stable-") and a["severity"] != "info"
    ]
    assert stable_alarms == []
    assert result.bad_per_patient_month < 0.25, result.false + result.repeated


def test_replay_as_a_real_command(tmp_path: Path) -> None:
    path = tmp_path / "readings.jsonl"
    write_cohort(path, stable=1, days=40, seed=3)
    until = datetime.combine(START, datetime.min.time(), UTC) + timedelta(days=40)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "veille.cli",
            "alerts",
            "replay",
            str(path),
            "--until",
            until.isoformat(),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines, done.stderr
    assert all(line.keys() >= REQUIRED for line in lines)
    for line in lines:
        assert datetime.fromisoformat(line["time"]) <= until


def _write(path: Path, readings: list) -> None:  # type: ignore[type-arg]
    path.write_bytes(b"".join(r.encode() + b"\n" for r in readings))


def test_an_open_alert_is_printed_once_and_control_solution_never(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], t0: datetime
) -> None:
    readings = [
        wire(Kind.GLUCOSE, t0, glucose_mmol_l=3.5),
        wire(Kind.GLUCOSE, t0 + timedelta(hours=1), glucose_mmol_l=3.6),
        wire(Kind.GLUCOSE, t0 + timedelta(hours=2), glucose_mmol_l=3.4),
        wire(
            Kind.GLUCOSE,
            t0 + timedelta(hours=3),
            flags=("control_solution",),
            attributes={"sample_type": "control_solution"},
            glucose_mmol_l=1.5,
        ),
        wire(
            Kind.GLUCOSE,
            t0 + timedelta(hours=4),
            flags=("stored_error_record",),
            glucose_mmol_l=None,
        ),
    ]
    _write(tmp_path / "r.jsonl", readings)
    alerts = run_replay(capsys, tmp_path / "r.jsonl", t0 + timedelta(hours=6))
    assert [(a["category"], a["severity"], a["kind"]) for a in alerts] == [
        ("hypoglycemia", "warning", "glucose")
    ]
    assert alerts[0]["time"] == (t0 + timedelta(seconds=5)).isoformat()


def test_flapping_within_hours_is_one_alert_days_later_a_new_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], t0: datetime
) -> None:
    values = [3.5, 6.0, 3.6, 6.2, 3.7]  # low, normal, low... within a day
    readings = [
        wire(Kind.GLUCOSE, t0 + timedelta(hours=3 * i), glucose_mmol_l=v)
        for i, v in enumerate(values)
    ]
    readings.append(wire(Kind.GLUCOSE, t0 + timedelta(days=2), glucose_mmol_l=6.0))
    readings.append(wire(Kind.GLUCOSE, t0 + timedelta(days=6), glucose_mmol_l=3.3))
    _write(tmp_path / "r.jsonl", readings)
    alerts = run_replay(capsys, tmp_path / "r.jsonl", t0 + timedelta(days=7))
    assert [a["category"] for a in alerts] == ["hypoglycemia", "hypoglycemia"]
    assert alerts[1]["time"].startswith("2026-03-08")


def test_missing_data_fires_on_the_virtual_clock_without_readings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], t0: datetime
) -> None:
    readings = [wire(Kind.WEIGHT, t0 + timedelta(days=d), weight_kg=80.0) for d in range(10)]
    _write(tmp_path / "r.jsonl", readings)
    alerts = run_replay(capsys, tmp_path / "r.jsonl", t0 + timedelta(days=20))
    assert [(a["category"], a["kind"]) for a in alerts] == [("missing_data", "weight")]
    opened = datetime.fromisoformat(alerts[0]["time"])
    silent = opened - (t0 + timedelta(days=9))
    assert timedelta(hours=48) <= silent <= timedelta(hours=86)


def test_a_bad_line_is_reported_and_the_rest_replayed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], t0: datetime
) -> None:
    good = (wire(Kind.GLUCOSE, t0, glucose_mmol_l=2.5)).encode()
    (tmp_path / "r.jsonl").write_bytes(
        b'{"schema": "veille.reading/1", "id": "x"}\n' + good + b"\n"
    )
    until = (t0 + timedelta(hours=1)).isoformat()
    code = main(["alerts", "replay", str(tmp_path / "r.jsonl"), "--until", until])
    captured = capsys.readouterr()
    assert code == 0
    assert "r.jsonl:1: skipped" in captured.err
    assert json.loads(captured.out)["category"] == "severe_hypoglycemia"
