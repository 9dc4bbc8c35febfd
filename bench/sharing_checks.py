"""Cost of the sharing checks on a team of 1,000 patients (SQLite file), as one JSON object.

Measures what every web request and every alert delivery pays:
``authorize`` for one reading page (with its audit row and commit),
``authorize_many`` for a whole triage list, and ``alert_recipients``.

    python bench/sharing_checks.py [--patients 1000] [--rounds 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sharing.models  # noqa: F401  (registers the tables)
from devices.reading import Kind
from sharing.access import authorize, authorize_many
from sharing.capability import ProfessionalUser
from sharing.grants import create_grant
from sharing.identities import add_patient, add_professional, add_team, enrol
from sharing.recipients import alert_recipients
from sharing.terms import Purpose, Role
from veille.db import create_schema, make_engine, session_factory

NOW = datetime(2026, 3, 28, 9, 0, tzinfo=UTC)


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return round(statistics.median(samples), 3), round(cuts[94], 3)


def timed(rounds: int, step: Callable[[int], None]) -> list[float]:
    out = []
    for i in range(rounds):
        t0 = time.perf_counter()
        step(i)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        create_schema(engine)
        factory = session_factory(engine)
        ids = [f"p-{i:05x}" for i in range(args.patients)]
        with factory() as s:
            team = add_team(s, "Bench")
            nurse = add_professional(s, "Nurse", Role.NURSE, team_id=team.id, on_call_order=1)
            for i, pid in enumerate(ids):
                add_patient(s, pid, now=NOW)
                enrol(s, pid, team.id, now=NOW)
                if i % 10:  # nine patients in ten share something
                    kinds = [Kind.WEIGHT, Kind.BLOOD_PRESSURE] if i % 2 else [Kind.GLUCOSE]
                    create_grant(
                        s,
                        pid,
                        team_id=team.id,
                        kinds=kinds,
                        alerts=True,
                        ends_at=NOW + timedelta(days=90),
                        now=NOW,
                    )
            s.commit()
        accessor = ProfessionalUser(nurse.id)
        rounds = args.rounds

        def one(i: int) -> None:
            with factory() as s:
                authorize(s, accessor, ids[1 + 2 * (i % 400)], Kind.WEIGHT, Purpose.VIEW, NOW)

        def triage(i: int) -> None:
            # one minute apart: coalescing skips most rows, as a refreshed list would
            with factory() as s:
                authorize_many(s, accessor, ids, Purpose.TRIAGE, NOW + timedelta(minutes=i))

        def recipients(i: int) -> None:
            with factory() as s:
                alert_recipients(s, ids[1 + 2 * (i % 400)], Kind.WEIGHT, NOW)
                s.commit()

        one_ms = timed(rounds, one)
        triage_ms = timed(max(20, rounds // 10), triage)
        recipients_ms = timed(rounds, recipients)
        engine.dispose()
    p50, p95 = percentiles(one_ms)
    t50, t95 = percentiles(triage_ms)
    r50, r95 = percentiles(recipients_ms)
    print(
        json.dumps(
            {
                "patients": args.patients,
                "authorize_ms_p50": p50,
                "authorize_ms_p95": p95,
                "triage_authorize_many_ms_p50": t50,
                "triage_authorize_many_ms_p95": t95,
                "alert_recipients_ms_p50": r50,
                "alert_recipients_ms_p95": r95,
            }
        )
    )


if __name__ == "__main__":
    main()
