"""Patients, care teams, professionals and enrolments: create, find, list.

Identities carry no health data. A patient's ``label`` is set here by the
care team, never received from the home. Accounts and passwords belong to
`web`, which references these rows.
"""

from __future__ import annotations

import secrets
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from sharing.errors import InvalidRequest
from sharing.models import CareTeam, Enrolment, Patient, Professional
from sharing.terms import Language, Role
from wire.reading import Identifier


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        message = f"unknown time zone {name!r}; use an IANA name such as Europe/Paris"
        raise InvalidRequest(message) from exc
    return name


#: The gateway's own rule for a patient id, so the server accepts exactly what the home sends.
_PATIENT_ID: TypeAdapter[str] = TypeAdapter(Identifier)


#: 20 base-32 characters: 100 random bits. A short id (``p-7f3a``: 65,536 values) can be
#: guessed by whoever holds one gateway's credentials; the collector refuses readings for
#: patients a gateway does not serve, and a long id makes another patient's id unguessable
#: in the first place. Ids made before keep working: this is for new patients only.
PATIENT_ID_BITS = 100
_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def new_patient_id() -> str:
    """A fresh pseudonymous patient id, ``p-`` and 100 random bits (`secrets`)."""
    return "p-" + "".join(secrets.choice(_ALPHABET) for _ in range(PATIENT_ID_BITS // 5))


def add_patient(
    session: Session,
    patient_id: str | None = None,
    *,
    now: datetime,
    label: str | None = None,
    time_zone: str = "Europe/Paris",
    language: Language | str = Language.FR,
) -> Patient:
    """Register a pseudonymous patient id (the id the gateway publishes); without one, a
    new unguessable id is made (`new_patient_id`)."""
    if patient_id is None:
        patient_id = new_patient_id()
    try:
        _PATIENT_ID.validate_python(patient_id)
    except ValidationError as exc:
        raise InvalidRequest(
            f"patient id {patient_id!r} is not pseudonymous (letters, digits, _.:-, at most 64)"
        ) from exc
    try:
        lang = Language(language).value
    except ValueError as exc:
        raise InvalidRequest(f"language must be fr or en, not {language!r}") from exc
    patient = Patient(
        id=patient_id,
        label=label,
        time_zone=_zone(time_zone),
        language=lang,
        created_at=now,
    )
    session.add(patient)
    session.flush()
    return patient


def update_patient(
    session: Session,
    patient_id: str,
    *,
    label: str | None = None,
    time_zone: str | None = None,
    language: Language | str | None = None,
) -> Patient:
    """Change what is given (the team sets the label; the patient their language and zone)."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise InvalidRequest(f"unknown patient {patient_id}")
    if label is not None:
        patient.label = label
    if time_zone is not None:
        patient.time_zone = _zone(time_zone)
    if language is not None:
        try:
            patient.language = Language(language).value
        except ValueError as exc:
            raise InvalidRequest(f"language must be fr or en, not {language!r}") from exc
    session.flush()
    return patient


def set_quiet_hours(
    session: Session, team_id: int, start: time | None, end: time | None
) -> CareTeam:
    """Quiet hours in the team's own zone (both or neither; ``start`` may be after ``end``)."""
    team = session.get(CareTeam, team_id)
    if team is None:
        raise InvalidRequest(f"unknown care team {team_id}")
    if (start is None) != (end is None):
        raise InvalidRequest("give both ends of the quiet hours, or neither")
    team.quiet_start, team.quiet_end = start, end
    session.flush()
    return team


def add_team(
    session: Session,
    name: str,
    *,
    time_zone: str = "Europe/Paris",
    quiet_start: time | None = None,
    quiet_end: time | None = None,
) -> CareTeam:
    team = CareTeam(
        name=name, time_zone=_zone(time_zone), quiet_start=quiet_start, quiet_end=quiet_end
    )
    session.add(team)
    session.flush()
    return team


def add_professional(
    session: Session,
    display_name: str,
    role: Role | str,
    *,
    team_id: int | None = None,
    on_call_order: int | None = None,
) -> Professional:
    professional = Professional(
        display_name=display_name,
        role=Role(role).value,
        team_id=team_id,
        on_call_order=on_call_order,
        active=True,
    )
    session.add(professional)
    session.flush()
    return professional


def enrol(session: Session, patient_id: str, team_id: int, *, now: datetime) -> Enrolment:
    """The team follows the patient (again, if it had stopped; an active enrolment keeps its
    date). Shares nothing by itself."""
    enrolment = session.get(Enrolment, (patient_id, team_id))
    if enrolment is None:
        enrolment = Enrolment(patient_id=patient_id, team_id=team_id, enrolled_at=now)
        session.add(enrolment)
    elif enrolment.ended_at is not None:
        enrolment.enrolled_at, enrolment.ended_at = now, None
    session.flush()
    return enrolment


def unenrol(session: Session, patient_id: str, team_id: int, *, now: datetime) -> None:
    enrolment = session.get(Enrolment, (patient_id, team_id))
    if enrolment is not None and enrolment.ended_at is None:
        enrolment.ended_at = now
        session.flush()


def is_enrolled(session: Session, patient_id: str, team_id: int | None) -> bool:
    if team_id is None:
        return False
    enrolment = session.get(Enrolment, (patient_id, team_id))
    return enrolment is not None and enrolment.ended_at is None


def team_patients(session: Session, team_id: int) -> list[Patient]:
    """Patients the team currently follows (the triage list's rows, before sharing)."""
    query = (
        select(Patient)
        .join(Enrolment, Enrolment.patient_id == Patient.id)
        .where(Enrolment.team_id == team_id, Enrolment.ended_at.is_(None))
        .order_by(Patient.id)
    )
    return list(session.scalars(query))


def patient_teams(session: Session, patient_id: str) -> list[CareTeam]:
    """Teams that follow the patient: what the sharing page offers to share with."""
    query = (
        select(CareTeam)
        .join(Enrolment, Enrolment.team_id == CareTeam.id)
        .where(Enrolment.patient_id == patient_id, Enrolment.ended_at.is_(None))
        .order_by(CareTeam.name)
    )
    return list(session.scalars(query))


def on_call(session: Session, team_id: int) -> list[Professional]:
    """Active professionals of a team in escalation order (1 first); others not included."""
    query = (
        select(Professional)
        .where(
            Professional.team_id == team_id,
            Professional.active.is_(True),
            Professional.on_call_order.is_not(None),
        )
        .order_by(Professional.on_call_order, Professional.id)
    )
    return list(session.scalars(query))


def professionals(session: Session) -> list[Professional]:
    """Every active professional, by name: whom a patient may share with one by one."""
    query = (
        select(Professional)
        .where(Professional.active.is_(True))
        .order_by(Professional.display_name, Professional.id)
    )
    return list(session.scalars(query))


def deactivate(session: Session, professional_id: int) -> None:
    """A professional who left: refused everywhere at once; grants stay for the history."""
    professional = session.get(Professional, professional_id)
    if professional is not None:
        professional.active = False
        session.flush()


def team_members(session: Session, team_id: int) -> list[Professional]:
    query = (
        select(Professional)
        .where(Professional.team_id == team_id, Professional.active.is_(True))
        .order_by(Professional.id)
    )
    return list(session.scalars(query))
