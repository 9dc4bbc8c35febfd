"""Remind the patient before a grant ends, so ending is a choice and not a surprise.

Grants always end (see `sharing.grants`); a care team that silently loses
access to a patient it follows would be as bad as sharing forever. A daily
job (``veille sharing daily``, from cron or a systemd timer) calls `remind_ending`;
each grant gets at most one reminder.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sharing.audit import local_time
from sharing.grants import recipient_actor
from sharing.models import Grant, Patient, PatientNotification
from sharing.notifications import notify

#: How long before the end the patient hears of it.
REMIND_BEFORE = timedelta(days=14)

TOPIC = "notify.grant_ending"


def remind_ending(session: Session, now: datetime, *, within: timedelta = REMIND_BEFORE) -> int:
    """Add a notice for every active grant ending within ``within``; returns how many.

    Idempotent: a grant already reminded of (same end date) is skipped, so the
    job may run as often as one likes. The caller commits.
    """
    query = select(Grant).where(
        Grant.revoked_at.is_(None), Grant.ends_at > now, Grant.ends_at <= now + within
    )
    added = 0
    for grant in session.scalars(query):
        marker = f"{grant.id}@{grant.ends_at.isoformat()}"
        reminded = session.scalars(
            select(PatientNotification.params).where(
                PatientNotification.patient_id == grant.patient_id,
                PatientNotification.topic == TOPIC,
            )
        )
        if any(params.get("grant") == marker for params in reminded):
            continue
        patient = session.get(Patient, grant.patient_id)
        params = {
            "grant": marker,
            "who": recipient_actor(session, grant).label or "?",
            "kind__keys": ",".join(f"kind.{k}" for k in sorted(grant.kinds)),
            "until": local_time(grant.ends_at, patient.time_zone if patient else "UTC"),
        }
        notify(session, grant.patient_id, TOPIC, params, now=now)
        added += 1
    return added
