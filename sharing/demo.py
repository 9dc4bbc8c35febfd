"""A small, realistic sharing world for the demo and for other packages' tests.

One care team with a nurse (on call first) and a physician, every demo
patient enrolled, and each patient's choices varied on purpose so the demo
shows that sharing matters: most share everything with alerts, one shares
weight only without alerts, one shares nothing. Idempotent on patient ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from devices.reading import Kind
from sharing.grants import DEFAULT_GRANT, create_grant
from sharing.identities import add_patient, add_professional, add_team, enrol
from sharing.models import CareTeam, Grant, Patient, Professional
from sharing.terms import Role

TEAM_NAME = "Équipe démo"
CLINICAL = (Kind.WEIGHT, Kind.BLOOD_PRESSURE, Kind.GLUCOSE, Kind.SPO2, Kind.TEMPERATURE)


@dataclass(frozen=True, slots=True)
class DemoWorld:
    team_id: int
    nurse_id: int
    physician_id: int
    patient_ids: tuple[str, ...]


def _team(session: Session) -> tuple[CareTeam, Professional, Professional]:
    team = session.scalars(select(CareTeam).where(CareTeam.name == TEAM_NAME)).first()
    if team is None:
        team = add_team(session, TEAM_NAME, quiet_start=time(21, 0), quiet_end=time(7, 0))
        add_professional(session, "Claire (IDE)", Role.NURSE, team_id=team.id, on_call_order=1)
        add_professional(session, "Dr Martin", Role.PHYSICIAN, team_id=team.id, on_call_order=2)
    nurse, physician = session.scalars(
        select(Professional).where(Professional.team_id == team.id).order_by(Professional.id)
    ).all()[:2]
    return team, nurse, physician


def seed_demo(session: Session, patient_ids: Sequence[str], *, now: datetime) -> DemoWorld:
    """Create (or complete) the demo world; the caller commits.

    In each group of four patients, the third shares weight only, without
    alerts, and the fourth shares nothing; the others share the clinical
    kinds with alerts.
    """
    team, nurse, physician = _team(session)
    for index, patient_id in enumerate(patient_ids):
        if session.get(Patient, patient_id) is None:
            add_patient(session, patient_id, now=now, label=f"Patient {index + 1}")
        enrol(session, patient_id, team.id, now=now)
        already = session.scalars(
            select(Grant.id).where(Grant.patient_id == patient_id, Grant.team_id == team.id)
        ).first()
        if already is not None or index % 4 == 3:
            continue
        only_weight = index % 4 == 2
        create_grant(
            session,
            patient_id,
            team_id=team.id,
            kinds=(Kind.WEIGHT,) if only_weight else CLINICAL,
            alerts=not only_weight,
            ends_at=now + DEFAULT_GRANT,
            now=now,
        )
    return DemoWorld(team.id, nurse.id, physician.id, tuple(patient_ids))
