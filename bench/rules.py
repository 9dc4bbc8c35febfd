"""Benchmark of the rules engine: 10,000 patients with 90 days of history.

Prints one JSON object. The history (weight daily, blood pressure twice a day,
glucose three times a day: 540 readings per patient) is held in numpy arrays
behind the engine's `History` seam, as a reading store would serve it; the
engine builds its per-patient windows from it, then evaluates new readings
with the full default rule set, decoding each from its MQTT payload bytes and
keeping alert state in SQLite through `SqlAlertStore`.

- ``readings_per_s``: closed loop, as fast as one process goes, in batches of
  `alerts.worker.BATCH` as a worker's inbox gives them when it is behind.
- ``alert_delay_ms_p99``: open loop, readings arriving at ``--rate`` per second
  (each pass judges what has arrived, as the worker does); delay from a
  reading's scheduled arrival to its alert being stored.

- ``--shared-log``: as `veille alerts run` does with several workers, each
  reading of a kind a rule confirms is also recorded in the shared database
  (``alert_readings``) so any worker can confirm it.

    python bench/rules.py [--patients 10000] [--readings 100000] [--rate 5000] [--shared-log]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerts.engine import Engine
from alerts.history import Series
from alerts.ruleset import load_rules
from alerts.sqlstore import SqlAlertStore, SqlReadingLog
from alerts.terms import Change
from alerts.worker import BATCH
from devices.envelope import envelope
from devices.reading import Kind, Reading
from veille.db import create_schema, make_engine, session_factory
from wire.reading import DeviceRef, WireReading

DAYS = 90
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
SCHEDULE = {Kind.WEIGHT: (7.5,), Kind.BLOOD_PRESSURE: (8.0, 20.0), Kind.GLUCOSE: (7.0, 12.5, 19.0)}


class ArrayHistory:
    """90 days of readings for every patient, in numpy arrays (one row per patient)."""

    def __init__(self, patients: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        start = NOW.timestamp() - DAYS * 86400
        self.times: dict[Kind, np.ndarray] = {}
        self.metrics: dict[Kind, dict[str, np.ndarray]] = {}
        for kind, hours in SCHEDULE.items():
            slots = np.array([d * 86400 + h * 3600 for d in range(DAYS) for h in hours])
            jitter = rng.uniform(-1800, 1800, size=(patients, slots.size))
            self.times[kind] = start + slots[None, :] + jitter
        n = {kind: self.times[kind].shape[1] for kind in SCHEDULE}

        def noisy(base: np.ndarray, sd: float, kind: Kind) -> np.ndarray:
            return np.round(base[:, None] + rng.normal(0, sd, (patients, n[kind])), 1)

        self.base_weight = rng.uniform(55, 110, patients)
        self.metrics[Kind.WEIGHT] = {"weight_kg": noisy(self.base_weight, 0.3, Kind.WEIGHT)}
        self.metrics[Kind.BLOOD_PRESSURE] = {
            "systolic_mmhg": noisy(rng.uniform(110, 128, patients), 7, Kind.BLOOD_PRESSURE),
            "diastolic_mmhg": noisy(rng.uniform(68, 79, patients), 5, Kind.BLOOD_PRESSURE),
            "pulse_bpm": noisy(rng.uniform(60, 82, patients), 5, Kind.BLOOD_PRESSURE),
        }
        glucose = noisy(rng.uniform(5.5, 7.5, patients), 0.8, Kind.GLUCOSE)
        self.metrics[Kind.GLUCOSE] = {"glucose_mmol_l": np.maximum(glucose, 4.3)}

    @property
    def readings(self) -> int:
        return sum(array.size for array in self.times.values())

    def load(self, patient: str, kind: Kind, start: datetime, end: datetime) -> Series:
        if kind not in self.times:  # no oximeter or thermometer in this cohort
            return Series((), (), {})
        row = int(patient.removeprefix("p-"))
        times = self.times[kind][row]
        lo, hi = np.searchsorted(times, [start.timestamp(), end.timestamp()])
        chosen = times[lo:hi].tolist()
        columns = {name: values[row, lo:hi].tolist() for name, values in self.metrics[kind].items()}
        return Series(chosen, chosen, columns)


def new_payloads(history: ArrayHistory, count: int, seed: int) -> list[bytes]:
    """Fresh readings after the history, about 1 % of them abnormal."""
    rng = random.Random(seed)
    patients = history.base_weight.size
    payloads = []
    for index in range(count):
        row = rng.randrange(patients)
        at = NOW + timedelta(seconds=index)
        kind = rng.choice((Kind.WEIGHT, Kind.BLOOD_PRESSURE, Kind.GLUCOSE, Kind.GLUCOSE))
        odd = rng.random() < 0.01
        metrics: dict[str, float | None]
        if kind is Kind.WEIGHT:
            metrics = {"weight_kg": round(float(history.base_weight[row]) + (3.2 if odd else 0), 1)}
        elif kind is Kind.BLOOD_PRESSURE:
            metrics = {
                "systolic_mmhg": 190.0 if odd else 120.0 + rng.gauss(0, 6),
                "diastolic_mmhg": 75.0 + rng.gauss(0, 4),
                "pulse_bpm": 70.0 + rng.gauss(0, 4),
            }
        else:
            metrics = {"glucose_mmol_l": 2.6 if odd else 6.5 + rng.gauss(0, 0.6)}
        reading = Reading(kind=kind, metrics=metrics, time=at.replace(tzinfo=None), sequence=index)
        wire = envelope(
            reading,
            patient=f"p-{row:06d}",
            gateway=f"gw-{row:06d}",
            device=DeviceRef(address=f"D{row:06d}", driver=kind.value),
            time=at,
            received=at,
        )
        payloads.append(wire.encode())
    return payloads


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--readings", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=5_000.0)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--shared-log", action="store_true", help="record in alert_readings")
    args = parser.parse_args()

    rules = load_rules()
    history = ArrayHistory(args.patients, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        db = make_engine(f"sqlite:///{tmp}/alerts.db")
        create_schema(db)
        sessions = session_factory(db)
        store = SqlAlertStore(sessions)
        shared = SqlReadingLog(sessions) if args.shared_log else None
        engine = Engine(rules, history=history, store=store, shared=shared)

        started = time.perf_counter()
        for row in range(args.patients):
            engine.state(f"p-{row:06d}", NOW)
        cache_build_s = time.perf_counter() - started

        payloads = new_payloads(history, args.readings * 2, args.seed)
        closed, open_loop = payloads[: args.readings], payloads[args.readings :]

        opened = 0
        started = time.perf_counter()
        for start in range(0, len(closed), BATCH):  # a worker's inbox when it is behind
            wires = [WireReading.decode(payload) for payload in closed[start : start + BATCH]]
            changes = engine.on_readings(wires, wires[-1].received)
            opened += sum(change.change is Change.OPENED for change in changes)
        closed_s = time.perf_counter() - started

        delays: list[float] = []
        all_delays: list[float] = []
        interval = 1.0 / args.rate
        begin = time.perf_counter()
        index = 0
        while index < len(open_loop):
            arrival = begin + index * interval
            while (now := time.perf_counter()) < arrival:
                time.sleep(min(arrival - now, 0.001))
            # what has arrived by now, judged together as the worker's inbox gives it
            due = min(len(open_loop), index + BATCH, int((now - begin) / interval) + 1)
            wires = [WireReading.decode(payload) for payload in open_loop[index:due]]
            arrived = {wire.id: begin + (index + n) * interval for n, wire in enumerate(wires)}
            changes = engine.on_readings(wires, wires[-1].received)
            done = time.perf_counter()
            all_delays.extend(done - at for at in arrived.values())
            for change in changes:
                if change.change is Change.OPENED and change.alert.reading_id in arrived:
                    delays.append(done - arrived[change.alert.reading_id])
                    opened += 1
            index = due
        db.dispose()

    print(
        json.dumps(
            {
                "patients": args.patients,
                "history_days": DAYS,
                "history_readings": history.readings,
                "rules_version": rules.version,
                "rules": len(rules.enabled()),
                "alert_store": "sqlite (SqlAlertStore)",
                "shared_reading_log": args.shared_log,
                "cache_build_s": round(cache_build_s, 2),
                "readings_evaluated": args.readings,
                "readings_per_s": round(args.readings / closed_s),
                "open_loop_rate_per_s": args.rate,
                "alerts_opened": opened,
                "alert_delay_ms_p50": round(float(np.percentile(delays, 50)) * 1000, 2),
                "alert_delay_ms_p99": round(float(np.percentile(delays, 99)) * 1000, 2),
                "reading_delay_ms_p99": round(float(np.percentile(all_delays, 99)) * 1000, 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
