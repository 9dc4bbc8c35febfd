"""Benchmark of the web app: triage list and patient page for a team of 1,000 patients.

Seeds (once, reused from ``--data-dir``) a SQLite reading store with 90 days
of readings per patient (weight daily, blood pressure twice a day, glucose
twice a day: 450 per patient) and a database with the team, each patient's
grant, open alerts on some patients, urgent lows that closed by themselves
(to review) and reviewed ones; starts the real server (``veille web`` under
uvicorn) in its own process; then, from this process, sends concurrent
requests signed in as the team's nurse: the triage list (every patient
ranked with review state and missing kinds, 100 rows shown; one of ``/team``,
``?state=to_review``, ``?q=…``, ``?page=3``) and random patient pages
(``GET /team/patients/<id>``).
Prints one JSON object.

    python bench/web.py [--patients 1000] [--seconds 20] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerts.lifecycle import AlertRecord, Transition
from alerts.sqlstore import persist
from alerts.terms import Category, Change, Severity, Status
from collector.sqlite_store import SqliteStore
from devices.reading import Kind
from sharing.grants import create_grant
from sharing.identities import add_patient, add_professional, add_team, enrol
from sharing.terms import Role
from veille.db import create_schema, import_models, make_engine, session_factory
from web.accounts import create_account
from wire.reading import DeviceRef, WireReading

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-nurse-password"  # noqa: S105 (a throwaway account in a scratch database)
KINDS = (Kind.WEIGHT, Kind.BLOOD_PRESSURE, Kind.GLUCOSE)
#: The triage list as a nurse uses it: first page, filtered, searched, another page.
TRIAGE_VIEWS = ("/team", "/team?state=to_review", "/team?q=Patient%2012", "/team?page=3")


def _readings(patient: str, now: datetime, days: int, rng: random.Random) -> list[WireReading]:
    devices = {
        kind: DeviceRef(address=f"AA:00:00:00:00:0{i}", driver=f"bench_{kind.value}")
        for i, kind in enumerate(KINDS)
    }
    base_weight = rng.uniform(55, 110)
    out = []
    for day in range(days):
        morning = now - timedelta(days=day, hours=rng.uniform(1, 3))
        plan = [
            (Kind.WEIGHT, morning, {"weight_kg": round(base_weight + rng.gauss(0, 0.4), 1)}),
            (Kind.GLUCOSE, morning, {"glucose_mmol_l": round(rng.uniform(4.5, 8.5), 1)}),
            (
                Kind.GLUCOSE,
                morning - timedelta(hours=10),
                {"glucose_mmol_l": round(rng.uniform(4.5, 9), 1)},
            ),
        ]
        for hours in (0, 11):
            plan.append(
                (
                    Kind.BLOOD_PRESSURE,
                    morning - timedelta(hours=hours),
                    {
                        "systolic_mmhg": float(rng.randint(112, 150)),
                        "diastolic_mmhg": float(rng.randint(68, 92)),
                        "pulse_bpm": float(rng.randint(55, 90)),
                    },
                )
            )
        for kind, at, metrics in plan:
            out.append(
                WireReading.model_construct(
                    id=uuid.UUID(int=rng.getrandbits(128)).hex,
                    patient=patient,
                    gateway="gw-bench",
                    device=devices[kind],
                    kind=kind,
                    time=at,
                    received=at + timedelta(seconds=20),
                    device_time=None,
                    metrics=metrics,
                    flags=[],
                    attributes={},
                    user_index=None,
                    sequence=None,
                )
            )
    return out


def seed(data_dir: Path, patients: int, days: int, now: datetime) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    store = SqliteStore(data_dir / "readings.sqlite")
    ids = [f"p-{i:05d}" for i in range(patients)]
    for start in range(0, patients, 20):
        batch = [r for pid in ids[start : start + 20] for r in _readings(pid, now, days, rng)]
        store.write_batch(batch)
    store.close()
    engine = make_engine(f"sqlite:///{data_dir / 'veille.db'}")
    import_models()
    create_schema(engine)
    with session_factory(engine)() as s:
        team = add_team(s, "Bench team")
        nurse = add_professional(s, "Bench nurse", Role.NURSE, team_id=team.id, on_call_order=1)
        for index, pid in enumerate(ids):
            add_patient(s, pid, now=now - timedelta(days=days), label=f"Patient {index}")
            enrol(s, pid, team.id, now=now - timedelta(days=days))
            create_grant(
                s,
                pid,
                kinds=KINDS,
                alerts=True,
                team_id=team.id,
                ends_at=now + timedelta(days=200),
                now=now - timedelta(days=days - 1),
            )
        changes = []
        for index, pid in enumerate(ids):
            if index % 20 in (3, 4):
                changes.extend(_closed_low(pid, now, rng, reviewed=index % 20 == 4))
            if index % 20 not in (0, 1, 2):
                continue
            severity = Severity.URGENT if index % 20 == 0 else Severity.WARNING
            at = now - timedelta(hours=rng.uniform(1, 48))
            record = AlertRecord(
                id=uuid.uuid4().hex,
                patient=pid,
                category=Category.HYPERTENSION,
                kind=Kind.BLOOD_PRESSURE,
                severity=severity,
                status=Status.OPEN,
                opened_at=at,
                updated_at=at,
                message="home average above target",
                magnitude=1.0,
                rule="bp_home_average",
                rules_version="bench",
                params={
                    "shape": "average",
                    "metric": "systolic_mmhg",
                    "value": 141.0,
                    "threshold": 135.0,
                    "count": 12,
                    "days": 6,
                },
            )
            changes.append(Transition(record, Change.OPENED, at))
        persist(s, changes)
        create_account(s, "bench.nurse", PASSWORD, now=now, professional_id=nurse.id)
        s.commit()
    engine.dispose()
    (data_dir / "seeded").write_text(json.dumps(_marker(patients, days)))


def _marker(patients: int, days: int) -> dict[str, int]:
    """What a seeded directory holds (``alerts``: the version of the alerts seeded)."""
    return {"patients": patients, "days": days, "alerts": 2}


def _closed_low(pid: str, now: datetime, rng: random.Random, *, reviewed: bool) -> list[Transition]:
    """An urgent low that the next reading closed (to review), or one already reviewed."""
    at = now - timedelta(hours=rng.uniform(3, 40))
    record = AlertRecord(
        id=uuid.uuid4().hex,
        patient=pid,
        category=Category.SEVERE_HYPOGLYCEMIA,
        kind=Kind.GLUCOSE,
        severity=Severity.URGENT,
        status=Status.RESOLVED,
        opened_at=at,
        updated_at=at + timedelta(hours=1),
        message="severe low",
        magnitude=-2.8,
        rule="glucose_level2_hypo",
        rules_version="bench",
        params={"shape": "threshold", "metric": "glucose_mmol_l", "value": 2.8, "threshold": 3.0},
        resolution="all_clear",
        resolved_at=at + timedelta(hours=1),
    )
    if reviewed:
        record.reviewed_by = "Bench nurse"
        record.reviewed_at = at + timedelta(hours=2)
        record.review_note = "called"
    return [Transition(record, Change.RESOLVED, at + timedelta(hours=1))]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "artifacts" / "bench-web")
    args = parser.parse_args()

    marker = args.data_dir / "seeded"
    wanted = _marker(args.patients, args.days)
    seed_s = 0.0
    if not marker.exists() or json.loads(marker.read_text()) != wanted:
        for name in ("readings.sqlite", "veille.db"):
            for suffix in ("", "-wal", "-shm"):
                (args.data_dir / f"{name}{suffix}").unlink(missing_ok=True)
        began = time.perf_counter()
        seed(args.data_dir, args.patients, args.days, datetime.now(UTC))
        seed_s = time.perf_counter() - began

    port = _free_port()
    env = {
        **os.environ,
        "VEILLE_WEB__DATA_DIR": str(args.data_dir),
        "VEILLE_WEB__SECRET_KEY": "b" * 48,
        "VEILLE_WEB__COOKIE_SECURE": "false",
        "PYTHONPATH": str(ROOT),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "veille.cli",
            "web",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # two workers importing on a busy machine
        while True:
            try:
                httpx.get(f"{base}/login", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the web server did not start") from None
                time.sleep(0.1)
        # the first lists compute every patient's summary (minutes at 10,000 patients)
        login = httpx.Client(base_url=base, timeout=900)
        login.get("/login")
        answer = login.post(
            "/login",
            data={
                "username": "bench.nurse",
                "password": PASSWORD,
                "csrf": login.cookies["veille_csrf"],
            },
        )
        if answer.status_code != 303:
            raise RuntimeError(f"bench.nurse could not sign in: {answer.text}")
        cookies = dict(login.cookies)
        began = time.perf_counter()
        # the first list in each worker computes every patient's summary once (cold cache)
        cold = [login.get("/team") for _ in range(args.workers * 3)]
        cold_ms = (time.perf_counter() - began) * 1000
        if any(answer.status_code != 200 for answer in cold):
            raise RuntimeError("the triage list failed while cold")
        patient_ids = [f"p-{i:05d}" for i in range(args.patients)]
        alone: list[float] = []  # one request at a time: the service time itself
        for _ in range(20):
            t0 = time.perf_counter()
            login.get("/team")
            alone.append((time.perf_counter() - t0) * 1000)
        triage: list[float] = []
        pages: list[float] = []
        errors: list[int] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + args.seconds

        def worker(seed_value: int) -> None:
            rng = random.Random(seed_value)
            with httpx.Client(base_url=base, cookies=cookies, timeout=300) as client:
                while time.monotonic() < stop_at:
                    is_triage = rng.random() < 0.5
                    url = (
                        rng.choice(TRIAGE_VIEWS)
                        if is_triage
                        else f"/team/patients/{rng.choice(patient_ids)}"
                    )
                    t0 = time.perf_counter()
                    response = client.get(url)
                    elapsed = (time.perf_counter() - t0) * 1000
                    with lock:
                        if response.status_code != 200:
                            errors.append(response.status_code)
                        (triage if is_triage else pages).append(elapsed)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait(10)
    result = {
        "patients": args.patients,
        "days": args.days,
        "readings": args.patients * args.days * 5,
        "concurrency": args.concurrency,
        "server_workers": args.workers,
        "seconds": args.seconds,
        "requests": len(triage) + len(pages),
        "errors": len(errors),
        "triage_ms_p50_one_at_a_time": round(statistics.median(alone), 1),
        "triage_ms_p50": round(statistics.median(triage), 1),
        "triage_ms_p95": round(_percentile(triage, 0.95), 1),
        "patient_page_ms_p50": round(statistics.median(pages), 1),
        "patient_page_ms_p95": round(_percentile(pages, 0.95), 1),
        "warm_up_ms": round(cold_ms, 1),
        "seed_s": round(seed_s, 1),
        "cpu_count": os.cpu_count(),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
