"""The triage list's rows: state per patient, search, filter, sort.

A patient's state comes from their alerts as well as their readings: an
urgent or warning alert nobody has reviewed keeps the row urgent or amber
even when its condition cleared by itself ("1 urgent event to review"); the
last review (when, by whom) is shown. Alerts are read as plain columns: a list
of thousands of patients cannot afford an ORM object per alert.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from alerts.lifecycle import Resolution
from alerts.models import Alert
from alerts.terms import Category, Severity, Status
from devices.reading import Kind
from sharing.capability import Capability
from sharing.models import Patient
from sharing.visibility import visible_alerts
from web.triage import FOLLOWED, KindCell, PatientSummary

LEVELS = ("urgent", "warning", "stopped", "ok")
#: What the state filter offers (``to_review``: any alert waiting for a review).
STATES = ("urgent", "to_review", "stopped", "ok")


@dataclass(frozen=True, slots=True)
class AlertLine:
    """What the triage list needs of an alert that is open or waits for its review."""

    patient: str
    category: Category
    kind: Kind | None
    severity: Severity
    status: Status
    params: Mapping[str, Any]
    opened_at: datetime
    to_review: bool


def _needs_review_clause() -> Any:
    return and_(
        Alert.reviewed_at.is_(None),
        Alert.severity != Severity.INFO.value,
        Alert.category != Category.DEVICE_PROBLEM.value,
        or_(Alert.resolution.is_(None), Alert.resolution != Resolution.SUPERSEDED),
    )


def alert_lines(session: Session, patient_ids: Sequence[str]) -> list[AlertLine]:
    """Open alerts and alerts waiting for a review of these patients, urgent first."""
    # Both are few (they are worked on): read them all and keep those of these patients,
    # rather than binding thousands of patient ids into the query.
    query = select(
        Alert.patient_id,
        Alert.category,
        Alert.kind,
        Alert.severity,
        Alert.status,
        Alert.params,
        Alert.opened_at,
        Alert.reviewed_at,
        Alert.resolution,
    ).where(
        or_(
            Alert.status.in_([Status.OPEN.value, Status.ACKNOWLEDGED.value]),
            _needs_review_clause(),
        )
    )
    wanted = set(patient_ids)
    lines = []
    for pid, cat, kind, sev, st, params, opened, reviewed, resolution in session.execute(query):
        if pid not in wanted:
            continue
        category, severity = Category(cat), Severity(sev)
        to_review = (
            reviewed is None
            and severity is not Severity.INFO
            and category.clinical
            and resolution != Resolution.SUPERSEDED
        )
        kind_ = Kind(kind) if kind else None
        lines.append(
            AlertLine(pid, category, kind_, severity, Status(st), params or {}, opened, to_review)
        )
    lines.sort(key=lambda a: (-a.severity.rank, -a.opened_at.timestamp()))
    return lines


def last_reviews(
    session: Session, caps: Mapping[str, Capability]
) -> dict[str, tuple[datetime, str]]:
    """Per patient, the latest review of an alert on a kind the viewer may see."""
    latest = (
        select(Alert.patient_id, Alert.kind, func.max(Alert.reviewed_at).label("at"))
        .where(Alert.reviewed_by.is_not(None))
        .group_by(Alert.patient_id, Alert.kind)
        .subquery()
    )
    query = select(Alert.patient_id, Alert.kind, Alert.reviewed_at, Alert.reviewed_by).join(
        latest,
        and_(
            Alert.patient_id == latest.c.patient_id,
            Alert.kind == latest.c.kind,
            Alert.reviewed_at == latest.c.at,
        ),
    )
    found: dict[str, tuple[datetime, str]] = {}
    for pid, kind, at, by in session.execute(query):
        cap = caps.get(pid)
        if cap is None or at is None or (kind is not None and Kind(kind) not in cap.kinds):
            continue
        if pid not in found or at > found[pid][0]:
            found[pid] = (at, by or "")
    return found


@dataclass(frozen=True, slots=True)
class TriageRow:
    patient_id: str
    label: str
    level: str
    alerts: list[AlertLine]  # open (or acknowledged) ones
    to_review: list[AlertLine]  # open or closed, waiting for a professional's review
    cells: Sequence[KindCell]
    adherence: int | None
    last_time: datetime | None
    #: followed kinds the patient shares but sent nothing of lately (named on the row)
    missing: tuple[Kind, ...]
    last_review: tuple[datetime, str] | None

    @property
    def urgent_to_review(self) -> int:
        return sum(1 for a in self.to_review if a.severity is Severity.URGENT)

    @property
    def latest_event(self) -> float:
        times = [a.opened_at.timestamp() for a in (*self.alerts, *self.to_review)]
        return max(times) if times else 0.0

    def matches(self, state: str | None) -> bool:
        if not state:
            return True
        if state == "to_review":
            return bool(self.to_review)
        return self.level == state


def _level(shown: list[AlertLine], stopped: bool) -> str:
    """Urgent or amber while an alert of that severity is open or waits for review."""
    severities = {a.severity for a in shown if a.status is not Status.RESOLVED or a.to_review}
    if Severity.URGENT in severities:
        return "urgent"
    if Severity.WARNING in severities:
        return "warning"
    return "stopped" if stopped else "ok"


def triage_rows(
    session: Session,
    caps: Mapping[str, Capability],
    summaries: Mapping[str, PatientSummary],
    now: datetime,
) -> list[TriageRow]:
    """The allowed patients, by severity (urgent, warning, silent, stable), then the most
    recent event first, then by name."""
    labels = dict(
        session.execute(select(Patient.id, Patient.label).where(Patient.id.in_(list(caps)))).all()
    )
    by_patient: dict[str, list[AlertLine]] = {}
    for alert in alert_lines(session, list(caps)):
        by_patient.setdefault(alert.patient, []).append(alert)
    reviews = last_reviews(session, caps)
    rows = []
    followed: dict[frozenset[Kind], frozenset[Kind]] = {}  # few distinct grants: cut once each
    for pid, cap in caps.items():
        summary = summaries[pid]
        alerts = by_patient.get(pid)
        shown = visible_alerts(alerts, cap) if alerts else []
        kinds = followed.get(cap.kinds)
        if kinds is None:
            kinds = followed[cap.kinds] = frozenset(k for k in FOLLOWED if k in cap.kinds)
        view = summary.view(kinds)
        stopped = bool(kinds) and summary.stopped(kinds, now)
        missing = tuple(
            k
            for k in FOLLOWED
            if k in kinds and (summary.kinds.get(k) is None or summary.kinds[k].stale(now))
        )
        rows.append(
            TriageRow(
                pid,
                labels.get(pid) or pid,
                _level(shown, stopped),
                [a for a in shown if a.status is not Status.RESOLVED],
                [a for a in shown if a.to_review],
                view.cells,
                view.adherence,
                view.last_time,
                missing,
                reviews.get(pid),
            )
        )
    rows.sort(key=lambda r: (LEVELS.index(r.level), -r.latest_event, r.label))
    return rows


def search(rows: Sequence[TriageRow], query: str | None, state: str | None) -> list[TriageRow]:
    """Rows whose name or pseudonym contains ``query`` (any case), in ``state``."""
    wanted = (query or "").strip().casefold()
    return [
        row
        for row in rows
        if row.matches(state)
        and (not wanted or wanted in row.label.casefold() or wanted in row.patient_id.casefold())
    ]
