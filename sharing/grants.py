"""Grants: the patient shares some kinds with one care team or one professional.

A grant always ends: ``ends_at`` is required and at most `MAX_GRANT` ahead
(the DMP's one-year renewable authorisation is the precedent; products whose
sharing never expires leave patients sharing with people they forgot).
Renewing moves the end date; revoking stamps ``revoked_at`` and takes effect
at the next `sharing.access` decision, that is at once. Every change is in
the patient's audit log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from devices.reading import Kind
from sharing.audit import Actor, professional_actor, record
from sharing.errors import InvalidRequest
from sharing.kinds import with_companions
from sharing.models import CareTeam, Grant, Patient, Professional
from sharing.terms import ActorType, Event, Reason
from veille.errors import Inconsistent, NotAllowed

#: The longest a grant may run before the patient renews it.
MAX_GRANT = timedelta(days=366)

#: What the sharing page proposes when the patient does not pick an end date.
DEFAULT_GRANT = timedelta(days=365)


def recipient_actor(session: Session, grant: Grant) -> Actor:
    """The grant's recipient as an audit actor (name snapshot)."""
    if grant.team_id is not None:
        team = session.get(CareTeam, grant.team_id)
        return Actor(ActorType.CARE_TEAM, str(grant.team_id), team.name if team else None)
    if grant.professional_id is None:  # the table's check constraint says one is set
        raise Inconsistent(f"grant {grant.id} has neither a team nor a professional")
    professional = session.get(Professional, grant.professional_id)
    return professional_actor(professional, grant.professional_id)


def _kinds(kinds: Iterable[Kind | str]) -> list[str]:
    try:
        values = with_companions(kinds)
    except ValueError as exc:
        raise InvalidRequest(f"unknown kind: {exc}") from exc
    if not values:
        raise InvalidRequest("a grant must cover at least one kind")
    return values


def _check_end(ends_at: datetime, starts_at: datetime, now: datetime) -> None:
    if ends_at <= max(starts_at, now):
        raise InvalidRequest("the end date must be in the future and after the start")
    if ends_at - now > MAX_GRANT:
        raise InvalidRequest(f"a grant may run at most {MAX_GRANT.days} days; renew it later")


def create_grant(
    session: Session,
    patient_id: str,
    *,
    kinds: Iterable[Kind | str],
    alerts: bool,
    ends_at: datetime,
    now: datetime,
    team_id: int | None = None,
    professional_id: int | None = None,
    starts_at: datetime | None = None,
) -> Grant:
    """Share ``kinds`` with exactly one of ``team_id`` / ``professional_id`` until ``ends_at``.

    ``alerts`` says whether alerts on those kinds go to that recipient.
    """
    if (team_id is None) == (professional_id is None):
        raise InvalidRequest("a grant names exactly one recipient: a care team or a professional")
    if session.get(Patient, patient_id) is None:
        raise InvalidRequest(f"unknown patient {patient_id}")
    if team_id is not None and session.get(CareTeam, team_id) is None:
        raise InvalidRequest(f"unknown care team {team_id}")
    if professional_id is not None and session.get(Professional, professional_id) is None:
        raise InvalidRequest(f"unknown professional {professional_id}")
    start = starts_at or now
    _check_end(ends_at, start, now)
    grant = Grant(
        patient_id=patient_id,
        team_id=team_id,
        professional_id=professional_id,
        kinds=_kinds(kinds),
        alerts=alerts,
        starts_at=start,
        ends_at=ends_at,
        created_at=now,
    )
    session.add(grant)
    session.flush()
    _record_change(session, grant, Event.GRANT_CREATED, now, until=ends_at)
    return grant


def _record_change(
    session: Session, grant: Grant, event: Event, now: datetime, until: datetime | None = None
) -> None:
    """The patient's log line for a change to one of their grants."""
    record(
        session,
        patient_id=grant.patient_id,
        actor=recipient_actor(session, grant),
        now=now,
        event=event,
        kind=",".join(grant.kinds),
        ref_id=grant.id,
        until=until,
    )


def _own_grant(session: Session, grant_id: int, patient_id: str) -> Grant:
    grant = session.get(Grant, grant_id)
    if grant is None or grant.patient_id != patient_id:
        # the same answer for "no such grant" and "not yours": nothing to learn by probing
        raise NotAllowed(f"grant {grant_id} is not one of yours", reason=Reason.OTHER_PATIENT)
    return grant


def revoke_grant(session: Session, grant_id: int, *, patient_id: str, now: datetime) -> Grant:
    """Stop sharing now. Revoking twice is harmless (the first time stands)."""
    grant = _own_grant(session, grant_id, patient_id)
    if grant.revoked_at is None:
        grant.revoked_at = now
        _record_change(session, grant, Event.GRANT_REVOKED, now)
        session.flush()
    return grant


def renew_grant(
    session: Session, grant_id: int, *, patient_id: str, ends_at: datetime, now: datetime
) -> Grant:
    """Move the end date of a grant that is not revoked (an expired one may be renewed)."""
    grant = _own_grant(session, grant_id, patient_id)
    if grant.revoked_at is not None:
        raise InvalidRequest("a revoked grant cannot be renewed; create a new one")
    _check_end(ends_at, grant.starts_at, now)
    grant.ends_at = ends_at
    _record_change(session, grant, Event.GRANT_RENEWED, now, until=ends_at)
    session.flush()
    return grant


@dataclass(frozen=True, slots=True)
class GrantView:
    """A grant as the sharing page lists it. ``status``: active, scheduled, expired, revoked."""

    id: int
    recipient_type: ActorType
    recipient_id: int
    recipient_label: str | None
    kinds: frozenset[Kind]
    alerts: bool
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    revoked_at: datetime | None
    status: str


def status(grant: Grant, now: datetime) -> str:
    if grant.revoked(now):
        return "revoked"
    if now >= grant.ends_at:
        return "expired"
    if now < grant.starts_at:
        return "scheduled"
    return "active"


def grants_for_patient(
    session: Session, patient_id: str, *, now: datetime, include_ended: bool = True
) -> list[GrantView]:
    """The patient's grants, newest first: who can see what, until when."""
    query = select(Grant).where(Grant.patient_id == patient_id).order_by(Grant.id.desc())
    views = []
    for grant in session.scalars(query):
        state = status(grant, now)
        if not include_ended and state in {"revoked", "expired"}:
            continue
        actor = recipient_actor(session, grant)
        views.append(
            GrantView(
                id=grant.id,
                recipient_type=actor.type,
                recipient_id=int(actor.id or 0),
                recipient_label=actor.label,
                kinds=grant.kind_set(),
                alerts=grant.alerts,
                starts_at=grant.starts_at,
                ends_at=grant.ends_at,
                created_at=grant.created_at,
                revoked_at=grant.revoked_at,
                status=state,
            )
        )
    return views
