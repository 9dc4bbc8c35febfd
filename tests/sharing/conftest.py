"""A real SQLite file database with one small world: two patients, two teams, three people."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import sharing.models  # noqa: F401  (registers the tables on Base)
from devices.reading import Kind
from sharing.grants import create_grant
from sharing.identities import add_patient, add_professional, add_team, enrol
from sharing.models import AuditEntry, Grant
from sharing.terms import Role
from tests.support.postgres import Postgres
from veille.db import create_schema, make_engine, session_factory

NOW = datetime(2026, 3, 28, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class World:
    """Ids of the people every sharing test talks about."""

    alice: str  # patient followed by the cardiology team
    bob: str  # another patient of the same team
    cardio: int  # care team
    other_team: int
    nurse: int  # cardio nurse, on call 1
    doctor: int  # cardio physician, on call 2
    stranger: int  # nurse of the other team
    gp: int  # a professional in no team


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """One real PostgreSQL for the session; each test gets its own database."""
    with Postgres() as server:
        yield server


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """Every sharing test runs on the embedded default (SQLite) and on a server's PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'veille.db'}"
    else:
        url = request.getfixturevalue("postgres").new_database()
    engine = make_engine(url)
    create_schema(engine)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def world(factory: sessionmaker[Session]) -> World:
    with factory() as s:
        add_patient(s, "p-a11c", now=NOW, label="Mme A.", language="fr")
        add_patient(s, "p-b0b0", now=NOW, label="M. B.", language="en", time_zone="Europe/London")
        cardio = add_team(s, "Cardiologie Nord")
        other = add_team(s, "Diabétologie Sud")
        nurse = add_professional(
            s, "Infirmière Claire", Role.NURSE, team_id=cardio.id, on_call_order=1
        )
        doctor = add_professional(
            s, "Dr Martin", Role.PHYSICIAN, team_id=cardio.id, on_call_order=2
        )
        stranger = add_professional(s, "Infirmier Paul", Role.NURSE, team_id=other.id)
        gp = add_professional(s, "Dr Durand", Role.PHYSICIAN)
        enrol(s, "p-a11c", cardio.id, now=NOW)
        enrol(s, "p-b0b0", cardio.id, now=NOW)
        s.commit()
        return World(
            "p-a11c", "p-b0b0", cardio.id, other.id, nurse.id, doctor.id, stranger.id, gp.id
        )


def audit_rows(factory: sessionmaker[Session], patient_id: str) -> list[AuditEntry]:
    """Every audit row of a patient, oldest first, read in a fresh session."""
    with factory() as s:
        query = select(AuditEntry).where(AuditEntry.patient_id == patient_id)
        return list(s.scalars(query.order_by(AuditEntry.id)))


def later(**kwargs: float) -> datetime:
    return NOW + timedelta(**kwargs)


def share(
    s: Session,
    patient: str,
    kinds: Iterable[Kind],
    *,
    alerts: bool,
    team_id: int | None = None,
    professional_id: int | None = None,
    days: float = 30,
) -> Grant:
    """The patient shares ``kinds`` from NOW for ``days`` (the caller commits)."""
    return create_grant(
        s,
        patient,
        kinds=kinds,
        alerts=alerts,
        ends_at=later(days=days),
        now=NOW,
        team_id=team_id,
        professional_id=professional_id,
    )
