"""Break-glass: emergency access to all of a patient's measurements, for a short window.

Only a professional of a care team that follows the patient may open it,
and only with a stated reason. The patient is told at once (a notice on
their page) and the audit log keeps the reason. It never routes alerts. The
lessons behind it are the DMP's "bris de glace" and the CNIL's criticism of
it: a reason, a short window, the patient informed. A second one in a row by the
same team needs a written justification, which the team lead reviews
(`team_review`): a renewal without end would be a grant the patient never gave.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sharing.audit import local_time, professional_actor, record
from sharing.errors import InvalidRequest
from sharing.identities import is_enrolled
from sharing.models import BreakGlass, Patient, Professional
from sharing.notifications import notify
from sharing.policy import DEFAULT_BREAK_GLASS_POLICY, BreakGlassPolicy
from sharing.terms import Event, Reason, Result, Via
from veille.errors import NotAllowed


class JustificationNeeded(InvalidRequest):
    """A second emergency access in a row on one patient by one team: say why, for the lead."""


def previous_in_a_row(
    session: Session,
    team_id: int | None,
    patient_id: str,
    now: datetime,
    policy: BreakGlassPolicy = DEFAULT_BREAK_GLASS_POLICY,
) -> BreakGlass | None:
    """The team's last emergency access on the patient if still open or ended within
    ``policy.in_a_row``: opening another now is a renewal, not a fresh emergency."""
    if team_id is None:
        return None
    last = session.scalars(
        select(BreakGlass)
        .where(BreakGlass.patient_id == patient_id, BreakGlass.team_id == team_id)
        .order_by(BreakGlass.opened_at.desc(), BreakGlass.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return None
    ended = min(last.expires_at, last.closed_at or last.expires_at)
    return last if ended > now - policy.in_a_row else None


def open_break_glass(
    session: Session,
    professional_id: int,
    patient_id: str,
    reason: str,
    *,
    now: datetime,
    window: timedelta | None = None,
    justification: str | None = None,
    policy: BreakGlassPolicy = DEFAULT_BREAK_GLASS_POLICY,
    commit: bool = True,
) -> BreakGlass:
    """Open emergency access; notify the patient and audit the reason.

    A professional outside the patient's care teams is refused with
    ``not_enrolled``, and that attempt is audited (and committed) too. When the
    team's previous emergency access on this patient is still open or ended
    less than ``policy.in_a_row`` ago, a ``justification`` is required
    (`JustificationNeeded`); it is kept for the team lead's review
    (`team_review`) and shown to the patient with the reason.
    """
    reason = reason.strip()
    justification = (justification or "").strip() or None
    if len(reason) < policy.min_reason_chars:
        raise InvalidRequest(
            f"state the reason for emergency access (at least {policy.min_reason_chars} characters)"
        )
    span = window if window is not None else policy.default_window
    if not timedelta(0) < span <= policy.max_window:
        hours = policy.max_window.total_seconds() / 3600
        raise InvalidRequest(f"emergency access lasts at most {hours:g} hours")
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotAllowed(f"unknown patient {patient_id}", reason=Reason.UNKNOWN_PATIENT)
    professional = session.get(Professional, professional_id)
    actor = professional_actor(professional, professional_id)
    if (
        professional is None
        or not professional.active
        or not is_enrolled(session, patient_id, professional.team_id)
    ):
        record(
            session,
            patient_id=patient_id,
            actor=actor,
            now=now,
            event=Event.BREAK_GLASS_OPENED,
            result=Result.REFUSED,
            reason=Reason.NOT_ENROLLED.value,
            detail=reason,
        )
        if commit:
            session.commit()
        raise NotAllowed(
            "emergency access is for the care teams that follow this patient",
            reason=Reason.NOT_ENROLLED,
        )
    previous = previous_in_a_row(session, professional.team_id, patient_id, now, policy)
    if previous is not None and len(justification or "") < policy.min_justification_chars:
        raise JustificationNeeded(
            "emergency access to this patient was opened by your team less than "
            f"{policy.in_a_row.total_seconds() / 3600:g} hours ago: write for your team lead "
            f"why it is needed again (at least {policy.min_justification_chars} characters)"
        )
    glass = BreakGlass(
        patient_id=patient_id,
        professional_id=professional_id,
        reason=reason,
        opened_at=now,
        expires_at=now + span,
        team_id=professional.team_id,
        follows_id=previous.id if previous is not None else None,
        justification=justification if previous is not None else None,
    )
    session.add(glass)
    session.flush()
    told = reason if glass.justification is None else f"{reason} — {glass.justification}"
    record(
        session,
        patient_id=patient_id,
        actor=actor,
        now=now,
        event=Event.BREAK_GLASS_OPENED,
        via=Via.BREAK_GLASS,
        ref_id=glass.id,
        until=glass.expires_at,
        detail=told,
    )
    notify(
        session,
        patient_id,
        "notify.break_glass",
        {
            "who": actor.label or "?",
            "when": local_time(now, patient.time_zone),
            "until": local_time(glass.expires_at, patient.time_zone),
            "reason": told,
        },
        now=now,
    )
    if commit:
        session.commit()
    return glass


def close_break_glass(
    session: Session, glass_id: int, *, professional_id: int, now: datetime
) -> None:
    """End one's own emergency access before its window runs out."""
    glass = session.get(BreakGlass, glass_id)
    if glass is None or glass.professional_id != professional_id:
        raise NotAllowed("not your emergency access", reason=Reason.UNKNOWN_ACCESSOR)
    if glass.closed_at is None:
        glass.closed_at = now
        session.flush()


@dataclass(frozen=True, slots=True)
class GlassReview:
    """One emergency access as the team lead reviews it; ``in_a_row`` when it followed
    another without a pause (then ``justification`` says why)."""

    id: int
    patient_id: str
    patient_label: str | None
    who: str
    opened_at: datetime
    expires_at: datetime
    closed_at: datetime | None
    reason: str
    in_a_row: bool
    justification: str | None


def team_review(
    session: Session, team_id: int, *, since: datetime, limit: int = 200
) -> list[GlassReview]:
    """The team's emergency accesses opened since ``since``, newest first."""
    rows = session.execute(
        select(BreakGlass, Professional.display_name, Patient.label)
        .join(Professional, Professional.id == BreakGlass.professional_id)
        .join(Patient, Patient.id == BreakGlass.patient_id)
        .where(BreakGlass.team_id == team_id, BreakGlass.opened_at >= since)
        .order_by(BreakGlass.opened_at.desc(), BreakGlass.id.desc())
        .limit(limit)
    ).all()
    return [
        GlassReview(
            id=glass.id,
            patient_id=glass.patient_id,
            patient_label=label,
            who=name,
            opened_at=glass.opened_at,
            expires_at=glass.expires_at,
            closed_at=glass.closed_at,
            reason=glass.reason,
            in_a_row=glass.follows_id is not None,
            justification=glass.justification,
        )
        for glass, name, label in rows
    ]
