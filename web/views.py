"""What the pages show, computed from sharing, alerts and the store for one capability.

No HTTP here and no permission decision: every function takes the
`Capability` that `web.deps` obtained and shows only the kinds it allows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.inbox import alerts_for
from alerts.lifecycle import AlertRecord
from alerts.ruleset import AverageRule, RuleSet, ThresholdRule
from alerts.terms import Category, Severity, Status
from collector.store import ReadingStore
from devices.reading import Kind
from sharing.capability import Capability
from sharing.models import Enrolment, Grant, Professional
from sharing.models import live as grant_live
from sharing.terms import Language
from web.charts import Band, chart
from web.metric_labels import metric_label, metric_unit
from web.triage import points

#: The metrics each followed kind charts, on one axis (they share a unit).
CHARTED: Mapping[Kind, tuple[str, ...]] = {
    Kind.WEIGHT: ("weight_kg",),
    Kind.BLOOD_PRESSURE: ("systolic_mmhg", "diastolic_mmhg"),
    Kind.GLUCOSE: ("glucose_mmol_l",),
}


class _Categorised(Protocol):
    @property
    def category(self) -> Category: ...
    @property
    def kind(self) -> Kind | None: ...


A = TypeVar("A", bound=_Categorised)


def visible_alerts(alerts: Sequence[A], cap: Capability) -> list[A]:
    """Clinical alerts on kinds the capability covers (device problems go to the patient)."""
    return [
        a
        for a in alerts
        if a.category.clinical and ((a.kind is None and cap.kinds) or a.kind in cap.kinds)
    ]


def team_patient_ids(session: Session, professional_id: int, now: datetime) -> list[str]:
    """Patients the professional's team follows, plus those who share with them directly."""
    professional = session.get(Professional, professional_id)
    ids: set[str] = set()
    if professional is not None and professional.team_id is not None:
        enrolled = select(Enrolment.patient_id).where(
            Enrolment.team_id == professional.team_id, Enrolment.ended_at.is_(None)
        )
        ids |= set(session.scalars(enrolled))
    direct = session.execute(
        select(Grant.patient_id, Grant.starts_at, Grant.ends_at, Grant.revoked_at).where(
            Grant.professional_id == professional_id
        )
    )
    ids |= {row[0] for row in direct if grant_live(row[1], row[2], row[3], now)}
    return sorted(ids)


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
