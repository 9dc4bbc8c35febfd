"""What the pages show, computed from sharing, alerts and the store for one capability.

No HTTP here and no permission decision: every function takes the
`Capability` that `web.deps` obtained and shows what `sharing.visibility` lets it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.inbox import alerts_for
from alerts.lifecycle import AlertRecord
from alerts.models import Alert
from alerts.ruleset import AverageRule, RuleSet, ThresholdRule
from alerts.terms import Category, Severity, Status
from collector.store import ReadingStore
from devices.reading import Kind
from sharing.capability import Capability
from sharing.models import Patient
from sharing.terms import Language
from sharing.visibility import visible_alerts
from web.charts import Band, chart
from web.metric_labels import metric_label, metric_unit
from web.triage import FOLLOWED, KindCell, PatientSummary, points

LEVELS = ("urgent", "warning", "stopped", "ok")

#: The metrics each followed kind charts, on one axis (they share a unit).
CHARTED: Mapping[Kind, tuple[str, ...]] = {
    Kind.WEIGHT: ("weight_kg",),
    Kind.BLOOD_PRESSURE: ("systolic_mmhg", "diastolic_mmhg"),
    Kind.GLUCOSE: ("glucose_mmol_l",),
}


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


def bands(rules: RuleSet) -> dict[str, Band]:
    """Target band per metric: above the highest "too low" limit, below the lowest "too high"."""
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    for rule in rules.enabled():
        if not isinstance(rule, ThresholdRule | AverageRule):
            continue
        if rule.severity is Severity.INFO:
            continue
        for metric, limit in rule.limits.items():
            if rule.op in ("<", "<="):
                low[metric] = max(low.get(metric, limit), limit)
            else:
                high[metric] = min(high.get(metric, limit), limit)
    return {m: Band(low.get(m), high.get(m)) for m in set(low) | set(high)}


def patient_charts(
    store: ReadingStore,
    cap: Capability,
    *,
    days: int,
    now: datetime,
    rules: RuleSet,
    alerts: Sequence[AlertRecord],
    titles: Mapping[Kind, str],
    lang: Language,
) -> list[tuple[Kind, str]]:
    """One SVG chart per shared followed kind, with target bands and alert markers;
    legends and axis in ``lang`` (``titles``: each kind's name in it)."""
    start = now - timedelta(days=days)
    target = bands(rules)
    result = []
    for kind, metrics in CHARTED.items():
        if kind not in cap.kinds:
            continue
        frame = store.series(cap.patient_id, kind, start, now)
        lines = {}
        for metric in metrics:
            if metric in frame.columns:
                lines[metric] = points(frame[metric])
            else:
                lines[metric] = []
        markers = [
            a.opened_at.timestamp() for a in alerts if a.kind is kind and a.opened_at >= start
        ]
        svg = chart(
            lines,
            start=start.timestamp(),
            end=now.timestamp(),
            title=titles[kind],
            labels={m: metric_label(m, lang) for m in metrics},
            axis=f"{titles[kind][:1].upper()}{titles[kind][1:]} ({metric_unit(metrics[0])})",
            bands={m: target[m] for m in metrics if m in target},
            markers=markers,
        )
        result.append((kind, svg))
    return result


def patient_alerts(session: Session, cap: Capability) -> list[AlertRecord]:
    everything = alerts_for(session, [cap.patient_id], statuses=tuple(Status), limit=500)
    return visible_alerts(everything, cap)
