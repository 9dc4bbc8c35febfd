"""Break-glass: emergency access to all of a patient's measurements, for a short window.

Only a professional of a care team that follows the patient may open it,
and only with a stated reason. The patient is told at once (a notice on
their page) and the audit log keeps the reason. It never routes alerts. The
lessons behind it are the DMP's "bris de glace" and the CNIL's criticism of
it: a reason, a short window, the patient informed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from sharing.audit import local_time, professional_actor, record
from sharing.errors import InvalidRequest
from sharing.identities import is_enrolled
from sharing.models import BreakGlass, Patient, Professional
from sharing.notifications import notify
from sharing.policy import DEFAULT_BREAK_GLASS_POLICY, BreakGlassPolicy
from sharing.terms import Event, Reason, Result, Via
from veille.errors import NotAllowed


def open_break_glass(
    session: Session,
    professional_id: int,
    patient_id: str,
    reason: str,
    *,
    now: datetime,
    window: timedelta | None = None,
    policy: BreakGlassPolicy = DEFAULT_BREAK_GLASS_POLICY,
    commit: bool = True,
) -> BreakGlass:
    """Open emergency access; notify the patient and audit the reason.

    A professional outside the patient's care teams is refused with
    ``not_enrolled``, and that attempt is audited (and committed) too.
    """
    reason = reason.strip()
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
    glass = BreakGlass(
        patient_id=patient_id,
        professional_id=professional_id,
        reason=reason,
        opened_at=now,
        expires_at=now + span,
    )
    session.add(glass)
    session.flush()
    record(
        session,
        patient_id=patient_id,
        actor=actor,
        now=now,
        event=Event.BREAK_GLASS_OPENED,
        via=Via.BREAK_GLASS,
        ref_id=glass.id,
        until=glass.expires_at,
        detail=reason,
    )
    notify(
        session,
        patient_id,
        "notify.break_glass",
        {
            "who": actor.label or "?",
            "when": local_time(now, patient.time_zone),
            "until": local_time(glass.expires_at, patient.time_zone),
            "reason": reason,
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
