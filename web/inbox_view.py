"""What the alert inbox shows: the alerts a filter picks, each with its context.

Every choice of the filter form is a valid query: severity (all, or one),
state (``""``: what needs someone — open, acknowledged, or closed but not
reviewed; ``to_review``; ``open``; ``acknowledged``; ``resolved``; ``all``).
An unknown value reads as the default rather than an error page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session

from alerts.lifecycle import AlertRecord
from alerts.models import Alert
from alerts.sqlstore import to_record
from alerts.terms import Severity, Status
from collector.store import ReadingStore
from devices.reading import Kind
from sharing.capability import Capability
from sharing.visibility import visible_alerts
from web.triage_list import _needs_review_clause

#: The state filter's choices, default first.
INBOX_STATES = ("", "to_review", "open", "acknowledged", "resolved", "all")
SEVERITIES = ("", *(s.value for s in Severity))
#: Readings shown around the one that raised an alert (before and after it).
CONTEXT_BEFORE = timedelta(days=2)
CONTEXT_AFTER = timedelta(days=1)
CONTEXT_ROWS = 8

#: The metrics of each kind in the order a clinician reads them.
CLINICAL_ORDER: Mapping[Kind, tuple[str, ...]] = {
    Kind.BLOOD_PRESSURE: ("systolic_mmhg", "diastolic_mmhg", "mean_arterial_mmhg", "pulse_bpm"),
    Kind.WEIGHT: ("weight_kg",),
    Kind.GLUCOSE: ("glucose_mmol_l",),
}


def parse_filters(severity: str | None, state: str | None) -> tuple[str, str]:
    """The form's values, any unknown one read as "all" / the default view."""
    return (
        severity if severity in SEVERITIES else "",
        state if state in INBOX_STATES else "",
    )


def inbox_alerts(
    session: Session,
    caps: Mapping[str, Capability],
    *,
    severity: str,
    state: str,
    limit: int = 500,
) -> list[AlertRecord]:
    """Alerts of the allowed patients the filter picks, urgent first, then the latest."""
    if not caps:
        return []
    query = select(Alert).where(Alert.patient_id.in_(list(caps)))
    live = Alert.status.in_([Status.OPEN.value, Status.ACKNOWLEDGED.value])
    if state == "":
        query = query.where(or_(live, _needs_review_clause()))
    elif state == "to_review":
        query = query.where(_needs_review_clause())
    elif state != "all":
        query = query.where(Alert.status == state)
    if severity:
        query = query.where(Alert.severity == severity)
    rank = case(
        (Alert.severity == Severity.URGENT.value, 0),
        (Alert.severity == Severity.WARNING.value, 1),
        else_=2,
    )
    query = query.order_by(rank, Alert.opened_at.desc()).limit(limit)
    found = [to_record(row) for row in session.scalars(query)]
    return [a for a in found if visible_alerts([a], caps[a.patient])]


def to_review_count(session: Session, caps: Mapping[str, Capability]) -> int:
    """How many alerts of these patients wait for a review (the navigation's badge)."""
    query = select(Alert.patient_id, Alert.kind).where(_needs_review_clause())
    count = 0
    for pid, kind in session.execute(query):
        cap = caps.get(pid)
        if cap is not None and (kind is None or Kind(kind) in cap.kinds):
            count += 1
    return count


@dataclass(frozen=True, slots=True)
class ContextRow:
    """One reading around an alert: when, values in clinical order, device, its role."""

    time: datetime
    values: tuple[tuple[str, float | None], ...]
    flags: tuple[str, ...]
    device: str | None
    role: str  # "raised", "cleared" or ""


def alert_context(
    store: ReadingStore, alert: AlertRecord, cap: Capability, now: datetime
) -> list[ContextRow]:
    """The readings that raised ``alert`` and those around it (if its kind is shared)."""
    if alert.kind is None or alert.kind not in cap.kinds:
        return []
    metrics = CLINICAL_ORDER.get(alert.kind)
    start = alert.opened_at - CONTEXT_BEFORE
    end = min(max(alert.opened_at + CONTEXT_AFTER, alert.resolved_at or alert.opened_at), now)
    rows: list[ContextRow] = []
    for reading in store.readings(alert.patient, since=start, kind=alert.kind):
        if reading.time > end:
            break
        names: Sequence[str] = metrics or tuple(sorted(reading.metrics))
        role = ""
        if reading.id == alert.reading_id:
            role = "raised"
        elif reading.id == alert.resolved_reading_id:
            role = "cleared"
        rows.append(
            ContextRow(
                reading.time,
                tuple((name, reading.metrics.get(name)) for name in names),
                tuple(reading.flags),
                reading.device.model,
                role,
            )
        )
    if len(rows) <= CONTEXT_ROWS:
        return rows
    centre = next((i for i, r in enumerate(rows) if r.role == "raised"), len(rows) - 1)
    first = max(0, min(centre - CONTEXT_ROWS // 2, len(rows) - CONTEXT_ROWS))
    kept = rows[first : first + CONTEXT_ROWS]
    cleared = [r for r in rows if r.role == "cleared" and r not in kept]
    return kept + cleared  # the reading that cleared it is always shown
