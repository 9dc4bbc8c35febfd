"""What the pages show, computed from sharing, alerts and the store for one capability.

No HTTP here and no permission decision: every function takes the
`Capability` that `web.deps` obtained and shows what `sharing.visibility` lets it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.inbox import alerts_for
from alerts.lifecycle import AlertRecord
from alerts.models import Alert
from alerts.terms import Category, Severity, Status
from devices.reading import Kind
from sharing.capability import Capability
from sharing.models import Patient
from sharing.visibility import visible_alerts
from web.triage import FOLLOWED, KindCell, PatientSummary

LEVELS = ("urgent", "warning", "stopped", "ok")


@dataclass(frozen=True, slots=True)
class AlertLine:
    """What the triage list needs of an open alert (read as plain columns: a list of
    a thousand patients cannot afford an ORM object per alert)."""

    patient: str
    category: Category
    kind: Kind | None
    severity: Severity
    status: Status
    message: str


def open_alert_lines(session: Session, patient_ids: Sequence[str]) -> list[AlertLine]:
    """Open and acknowledged alerts of these patients, urgent first."""
    # Open alerts are few (they are worked on): read them all by status and keep those of
    # these patients, rather than binding a thousand patient ids into the query.
    query = select(
        Alert.patient_id, Alert.category, Alert.kind, Alert.severity, Alert.status, Alert.message
    ).where(Alert.status.in_([Status.OPEN.value, Status.ACKNOWLEDGED.value]))
    wanted = set(patient_ids)
    lines = [
        AlertLine(pid, Category(cat), Kind(kind) if kind else None, Severity(sev), Status(st), msg)
        for pid, cat, kind, sev, st, msg in session.execute(query)
        if pid in wanted
    ]
    lines.sort(key=lambda a: -a.severity.rank)
    return lines


@dataclass(frozen=True, slots=True)
class TriageRow:
    patient_id: str
    label: str
    level: str
    alerts: list[AlertLine]
    cells: Sequence[KindCell]
    adherence: int | None
    last_time: datetime | None


def triage_rows(
    session: Session,
    caps: Mapping[str, Capability],
    summaries: Mapping[str, PatientSummary],
    now: datetime,
) -> list[TriageRow]:
    """The allowed patients, urgent first, then warnings, then silent, then the rest."""
    labels = dict(
        session.execute(select(Patient.id, Patient.label).where(Patient.id.in_(list(caps)))).all()
    )
    by_patient: dict[str, list[AlertLine]] = {}
    for alert in open_alert_lines(session, list(caps)):
        by_patient.setdefault(alert.patient, []).append(alert)
    rows = []
    followed: dict[frozenset[Kind], frozenset[Kind]] = {}  # few distinct grants: cut once each
    for pid, cap in caps.items():
        summary = summaries[pid]
        alerts = by_patient.get(pid)
        shown = visible_alerts(alerts, cap) if alerts else []
        kinds = followed.get(cap.kinds)
        if kinds is None:
            kinds = followed[cap.kinds] = frozenset(k for k in FOLLOWED if k in cap.kinds)
        severities = {a.severity for a in shown}
        view = summary.view(kinds)
        if Severity.URGENT in severities:
            level = "urgent"
        elif Severity.WARNING in severities:
            level = "warning"
        elif kinds and summary.stopped(kinds, now):
            level = "stopped"
        else:
            level = "ok"
        rows.append(
            TriageRow(
                pid,
                labels.get(pid) or pid,
                level,
                shown,
                view.cells,
                view.adherence,
                view.last_time,
            )
        )
    unacked = {r.patient_id: any(a.status is Status.OPEN for a in r.alerts) for r in rows}
    rows.sort(key=lambda r: (LEVELS.index(r.level), not unacked[r.patient_id], r.label))
    return rows


def patient_alerts(session: Session, cap: Capability) -> list[AlertRecord]:
    everything = alerts_for(session, [cap.patient_id], statuses=tuple(Status), limit=500)
    return visible_alerts(everything, cap)
