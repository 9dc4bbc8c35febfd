"""Who may receive an alert about a patient: only what the patient shares, with alerts.

The alerts engine calls `alert_recipients` when it delivers (and again on
each retry or escalation), so a grant revoked a second ago already counts.
Device problems (a loose cuff, a sensor fault, an implausible value) go to
the patient alone: they are "check your device", not a clinical event.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from devices.reading import Kind
from sharing.audit import record
from sharing.capability import Recipient
from sharing.grants import recipient_actor
from sharing.models import Grant, Professional
from sharing.terms import Purpose, RecipientType, Via
from veille.errors import Inconsistent

#: The alert category that never leaves the patient (see the replay contract of issue 5).
DEVICE_PROBLEM = "device_problem"


def alert_recipients(
    session: Session,
    patient_id: str,
    kind: Kind | None,
    now: datetime,
    *,
    category: str | None = None,
    audit: bool = True,
) -> list[Recipient]:
    """Recipients of an alert on ``kind`` (None or ``category="device_problem"``: the patient).

    A care team or professional is included only if one of its grants is
    active now, covers ``kind`` and has ``alerts`` on; a deactivated
    professional is left out. With ``audit`` (the default, for a delivery)
    each recipient is written to the patient's audit log with purpose
    ``alert``; the caller commits. Pass ``audit=False`` to preview.
    """
    if kind is None or category == DEVICE_PROBLEM:
        return [Recipient(RecipientType.PATIENT, patient_id)]
    query = (
        select(Grant)
        .where(
            Grant.patient_id == patient_id,
            Grant.alerts.is_(True),
            or_(Grant.revoked_at.is_(None), Grant.revoked_at > now),
            Grant.starts_at <= now,
            Grant.ends_at > now,
        )
        .order_by(Grant.id)
    )
    recipients: list[Recipient] = []
    seen: set[tuple[RecipientType, int]] = set()
    for grant in session.scalars(query):
        if kind not in grant.kind_set():
            continue
        if grant.team_id is not None:
            key = (RecipientType.CARE_TEAM, grant.team_id)
            recipient = Recipient(key[0], patient_id, team_id=grant.team_id, grant_id=grant.id)
        else:
            if grant.professional_id is None:  # the table's check constraint says one is set
                raise Inconsistent(f"grant {grant.id} has neither a team nor a professional")
            professional = session.get(Professional, grant.professional_id)
            if professional is None or not professional.active:
                continue
            key = (RecipientType.PROFESSIONAL, grant.professional_id)
            recipient = Recipient(
                key[0], patient_id, professional_id=professional.id, grant_id=grant.id
            )
        if key in seen:
            continue
        seen.add(key)
        recipients.append(recipient)
        if audit:
            record(
                session,
                patient_id=patient_id,
                actor=recipient_actor(session, grant),
                now=now,
                kind=kind.value,
                purpose=Purpose.ALERT.value,
                via=Via.GRANT,
                ref_id=grant.id,
            )
    return recipients
