"""A small, real world for web tests: SQLite database and SQLite reading store on disk.

Cardiology team (nurse Claire, Dr Martin) follows four patients:
``p-red`` (an open urgent hypoglycaemia alert), ``p-amber`` (a warning),
``p-silent`` (stopped measuring 6 days ago) and ``p-green`` (stable).
``p-other`` is followed by another team (nurse Sam) and shares only with it.
``p-green`` shares weight only with the cardiology team. Every patient has
an account named after their id; passwords are ``<name>-password``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

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

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
CLINICAL = (Kind.WEIGHT, Kind.BLOOD_PRESSURE, Kind.GLUCOSE)
SECRET = "k" * 48


@dataclass(frozen=True)
class World:
    sessions: sessionmaker[Session]
    store: SqliteStore
    team: int
    other_team: int
    nurse: int
    physician: int
    stranger: int
    alerts: dict[str, str]  # name -> alert id


def password(name: str) -> str:
    return f"{name}-password"


def _device(kind: Kind) -> DeviceRef:
    driver = {Kind.WEIGHT: "ble_weight", Kind.BLOOD_PRESSURE: "ble_bp"}.get(kind, "ble_glucose")
    return DeviceRef(address=f"AA:BB:CC:00:00:0{len(kind.value) % 10}", driver=driver, model=None)


def reading(
    patient: str,
    kind: Kind,
    at: datetime,
    metrics: dict[str, float | None],
    flags: list[str] | None = None,
) -> WireReading:
    return WireReading(
        id=uuid.uuid4().hex,
        patient=patient,
        gateway="gw-test",
        device=_device(kind),
        kind=kind,
        time=at,
        received=at + timedelta(seconds=30),
        metrics=metrics,
        flags=flags or [],
    )


def history(patient: str, *, days: int, last: datetime, glucose: float = 6.0) -> list[WireReading]:
    """Twice-daily readings of the three clinical kinds, ending at ``last``."""
    out = []
    for day in range(days):
        for hour in (0, 12):
            at = last - timedelta(days=day, hours=hour)
            out.append(reading(patient, Kind.WEIGHT, at, {"weight_kg": 80.0 + (day % 5) * 0.2}))
            out.append(
                reading(
                    patient,
                    Kind.BLOOD_PRESSURE,
                    at,
                    {"systolic_mmhg": 128.0 + day % 7, "diastolic_mmhg": 80.0, "pulse_bpm": 70.0},
                )
            )
            out.append(
                reading(patient, Kind.GLUCOSE, at, {"glucose_mmol_l": glucose + (day % 3) * 0.3})
            )
    return out


def _alert(
    patient: str, category: Category, kind: Kind, severity: Severity, message: str
) -> AlertRecord:
    return AlertRecord(
        id=uuid.uuid4().hex,
        patient=patient,
        category=category,
        kind=kind,
        severity=severity,
        status=Status.OPEN,
        opened_at=NOW - timedelta(hours=2),
        updated_at=NOW - timedelta(hours=2),
        message=message,
        magnitude=1.0,
        rule="test",
        rules_version="test",
    )


def build(root: Path) -> World:
    engine = make_engine(f"sqlite:///{root / 'veille.db'}")
    import_models()
    create_schema(engine)
    sessions = session_factory(engine)
    store = SqliteStore(root / "readings.sqlite")
    alerts: dict[str, str] = {}
    with sessions() as s:
        team = add_team(s, "Cardiologie")
        other = add_team(s, "Autre équipe")
        nurse = add_professional(s, "Claire (IDE)", Role.NURSE, team_id=team.id, on_call_order=1)
        physician = add_professional(s, "Dr Martin", Role.PHYSICIAN, team_id=team.id)
        stranger = add_professional(s, "Sam (IDE)", Role.NURSE, team_id=other.id)
        for pid, label, lang in (
            ("p-red", "Mme Rouge", "fr"),
            ("p-amber", "M. Ambre", "fr"),
            ("p-silent", "Mme Silence", "en"),
            ("p-green", "M. Vert", "fr"),
            ("p-other", "Mme Ailleurs", "fr"),
        ):
            add_patient(s, pid, now=NOW - timedelta(days=120), label=label, language=lang)
            create_account(s, pid, password(pid), now=NOW, patient_id=pid)
        for pid in ("p-red", "p-amber", "p-silent", "p-green"):
            enrol(s, pid, team.id, now=NOW - timedelta(days=100))
        enrol(s, "p-other", other.id, now=NOW - timedelta(days=100))
        for pid in ("p-red", "p-amber", "p-silent"):
            create_grant(
                s,
                pid,
                kinds=CLINICAL,
                alerts=True,
                team_id=team.id,
                ends_at=NOW + timedelta(days=200),
                now=NOW - timedelta(days=90),
            )
        create_grant(
            s,
            "p-green",
            kinds=(Kind.WEIGHT,),
            alerts=False,
            team_id=team.id,
            ends_at=NOW + timedelta(days=200),
            now=NOW - timedelta(days=90),
        )
        create_grant(
            s,
            "p-other",
            kinds=CLINICAL,
            alerts=True,
            team_id=other.id,
            ends_at=NOW + timedelta(days=200),
            now=NOW - timedelta(days=90),
        )
        create_account(s, "claire", password("claire"), now=NOW, professional_id=nurse.id)
        create_account(s, "martin", password("martin"), now=NOW, professional_id=physician.id)
        create_account(s, "sam", password("sam"), now=NOW, professional_id=stranger.id)
        records = {
            "red": _alert(
                "p-red",
                Category.SEVERE_HYPOGLYCEMIA,
                Kind.GLUCOSE,
                Severity.URGENT,
                "glucose 2.6 mmol/L",
            ),
            "amber": _alert(
                "p-amber",
                Category.HYPERTENSION,
                Kind.BLOOD_PRESSURE,
                Severity.WARNING,
                "home average 142/88 mmHg",
            ),
            "other": _alert(
                "p-other",
                Category.HYPERGLYCEMIA,
                Kind.GLUCOSE,
                Severity.WARNING,
                "glucose 15 mmol/L",
            ),
            "green_glucose": _alert(
                "p-green",
                Category.HYPERGLYCEMIA,
                Kind.GLUCOSE,
                Severity.URGENT,
                "glucose 20 mmol/L",
            ),
        }
        persist(s, [Transition(r, Change.OPENED, r.opened_at) for r in records.values()])
        alerts = {name: r.id for name, r in records.items()}
        s.commit()
        ids = (team.id, other.id, nurse.id, physician.id, stranger.id)
    batch = []
    batch += history("p-red", days=30, last=NOW - timedelta(hours=3), glucose=5.0)
    batch.append(reading("p-red", Kind.GLUCOSE, NOW - timedelta(hours=2), {"glucose_mmol_l": 2.6}))
    batch += history("p-amber", days=30, last=NOW - timedelta(hours=5))
    batch += history("p-silent", days=20, last=NOW - timedelta(days=6))
    batch += history("p-green", days=30, last=NOW - timedelta(hours=1))
    batch += history("p-other", days=30, last=NOW - timedelta(hours=1))
    batch.append(
        reading(
            "p-green",
            Kind.GLUCOSE,
            NOW - timedelta(minutes=30),
            {"glucose_mmol_l": None},
            ["sensor_malfunction"],
        )
    )
    store.write_batch(batch)
    return World(sessions, store, ids[0], ids[1], ids[2], ids[3], ids[4], alerts)


def close(world: World) -> None:
    """Close every connection (so SQLite folds its WAL into the files, ready to copy)."""
    world.store.close()
    engine = world.sessions.kw["bind"]
    engine.dispose()


def reopen(template: World, root: Path) -> World:
    """The same world in ``root``, from files `build` left in a template directory."""
    engine = make_engine(f"sqlite:///{root / 'veille.db'}")
    import_models()
    return replace(
        template, sessions=session_factory(engine), store=SqliteStore(root / "readings.sqlite")
    )
