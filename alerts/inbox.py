"""What the web's alert inbox reads: alerts of the patients a user may see, an alert's
timeline and its deliveries (a failed one shown, never hidden).

Which patients a user may see is `sharing`'s decision: the web asks it first
(`sharing.access.authorize`, audited) and passes the allowed patient ids here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from alerts.lifecycle import AlertRecord
from alerts.models import Alert, AlertEvent, Delivery
from alerts.sqlstore import to_record
from alerts.terms import Severity, Status


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    change: str
    at: str
    severity: str
    message: str
    actor: str | None
    when: datetime | None = None
    note: str | None = None
    reading_id: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryView:
    channel: str
    recipient: str
    status: str
    attempts: int
    last_error: str | None
    digest: bool


def alerts_for(
    session: Session,
    patient_ids: Collection[str],
    *,
    statuses: Collection[Status] = (Status.OPEN, Status.ACKNOWLEDGED),
    limit: int = 200,
) -> list[AlertRecord]:
    """Alerts of these patients, urgent first, then the most recently opened."""
    if not patient_ids:
        return []
    rank = case(
        (Alert.severity == Severity.URGENT.value, 0),
        (Alert.severity == Severity.WARNING.value, 1),
        else_=2,
    )
    query = (
        select(Alert)
        .where(
            Alert.patient_id.in_(list(patient_ids)), Alert.status.in_([s.value for s in statuses])
        )
        .order_by(rank, Alert.opened_at.desc())
        .limit(limit)
    )
    return [to_record(row) for row in session.scalars(query)]


def timeline(session: Session, alert_id: str) -> list[TimelineEntry]:
    query = select(AlertEvent).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.id)
    return [
        TimelineEntry(
            e.change,
            e.at.isoformat(),
            e.severity,
            e.message,
            e.actor,
            e.at,
            e.note,
            e.reading_id,
        )
        for e in session.scalars(query)
    ]


def deliveries(session: Session, alert_id: str) -> list[DeliveryView]:
    query = select(Delivery).where(Delivery.alert_id == alert_id).order_by(Delivery.id)
    return [
        DeliveryView(
            d.channel,
            f"{d.recipient_type}:{d.recipient_id}",
            d.status,
            d.attempts,
            d.last_error,
            d.digest,
        )
        for d in session.scalars(query)
    ]
