"""The one-page summary a physician prints (or saves as PDF) for a consultation.

Thirty days of each shared kind the patient measures, in numbers a clinician
reads at a glance (mean, minimum, maximum, readings per week; for glucose the
share of readings below 3.9 and 3.0 mmol/L and above 10 and 13.9 — the
consensus time-in-range cut-offs), the alerts of the period with who reviewed
them and how, and the targets in force. No HTTP, no permission decision: the
route's capability says which kinds, and has written the audit row.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from alerts.inbox import timeline
from alerts.lifecycle import AlertRecord
from alerts.ruleset import RuleSet
from collector.store import ReadingStore
from devices.reading import Kind
from sharing.capability import Capability
from sharing.terms import Language
from sharing.texts import text as sharing_text
from web import localnum
from web.chartviews import CHARTED, DIGITS
from web.i18n import t
from web.metric_labels import metric_label, metric_unit
from web.targets_form import TargetForm, target_forms
from web.triage import points
from web.words import Words, describe

DAYS = 30
#: (words key, test) of the glucose shares, in mmol/L
GLUCOSE_SHARES: tuple[tuple[str, float, bool], ...] = (
    ("below", 3.9, True),
    ("below", 3.0, True),
    ("above", 10.0, False),
    ("above", 13.9, False),
)
#: Metrics a summary reports per kind (the cuff's and the spot-check oximeter's pulse too).
REPORTED: Mapping[Kind, tuple[str, ...]] = {
    **CHARTED,
    Kind.BLOOD_PRESSURE: ("systolic_mmhg", "diastolic_mmhg", "pulse_bpm"),
    Kind.SPO2: ("spo2_pct", "pulse_bpm"),
}


@dataclass(frozen=True, slots=True)
class MetricLine:
    label: str
    mean: str
    low: str
    high: str
    count: int


@dataclass(frozen=True, slots=True)
class KindBlock:
    kind: Kind
    title: str
    per_week: str
    lines: tuple[MetricLine, ...]
    shares: tuple[str, ...]  # glucose only: "below 3.9 mmol/L: 12 %"


@dataclass(frozen=True, slots=True)
class ReviewedAlert:
    alert: AlertRecord
    category: str
    reviews: tuple[str, ...]  # "acknowledged by Claire (IDE), 20/11 10:05: « called »"


@dataclass(frozen=True, slots=True)
class Summary:
    start: datetime
    end: datetime
    blocks: tuple[KindBlock, ...]
    alerts: tuple[ReviewedAlert, ...]
    targets: tuple[TargetForm, ...]
    personal: frozenset[str]  # rules whose target is the patient's own


def _share(values: Sequence[float], limit: float, below: bool) -> float:
    hits = [v for v in values if (v < limit if below else v > limit)]
    return 100 * len(hits) / len(values) if values else 0.0


def kind_block(
    store: ReadingStore, patient: str, kind: Kind, start: datetime, end: datetime, lang: Language
) -> KindBlock | None:
    frame = store.series(patient, kind, start, end)
    if frame.empty:
        return None
    digits = DIGITS[kind]
    lines = []
    for metric in REPORTED[kind]:
        if metric not in frame.columns:
            continue
        values = [v for _, v in points(frame[metric])]
        if not values:
            continue
        unit = metric_unit(metric)

        def n(v: float, unit: str = unit) -> str:
            return f"{localnum.number(v, lang, digits, fixed=True)} {unit}"

        lines.append(
            MetricLine(
                metric_label(metric, lang),
                n(statistics.fmean(values)),
                n(min(values)),
                n(max(values)),
                len(values),
            )
        )
    weeks = (end - start).total_seconds() / (7 * 86400)
    shares: list[str] = []
    if kind is Kind.GLUCOSE and "glucose_mmol_l" in frame.columns:
        values = [v for _, v in points(frame["glucose_mmol_l"])]
        for words, limit, below in GLUCOSE_SHARES:
            shares.append(
                t(f"share_{words}", lang).format(
                    limit=localnum.number(limit, lang, 1),
                    pct=localnum.number(_share(values, limit, below), lang, 0),
                )
            )
    title = sharing_text(f"kind.{kind.value}", lang)
    return KindBlock(
        kind,
        title[:1].upper() + title[1:],
        localnum.number(len(frame) / weeks, lang, 1),
        tuple(lines),
        tuple(shares),
    )


def _reviews(session: Session, alert: AlertRecord, lang: Language, zone: ZoneInfo) -> list[str]:
    out = []
    for entry in timeline(session, alert.id):
        if entry.change not in ("acknowledged", "resolved", "reviewed"):
            continue
        at = localnum.moment(datetime.fromisoformat(entry.at), lang, zone)
        who = entry.actor or t("by_engine", lang)
        what = Words(lang, zone).say(f"change.{entry.change}")
        note = f" · « {entry.note} »" if entry.note else ""
        out.append(f"{what} · {who} · {at}{note}")
    if alert.ack_note and not any(alert.ack_note in line for line in out):
        out.append(f"« {alert.ack_note} »")
    return out


def summary(
    session: Session,
    store: ReadingStore,
    cap: Capability,
    *,
    now: datetime,
    rules: RuleSet,
    personal: Mapping[str, Any],
    alerts: Sequence[AlertRecord],
    lang: Language,
    zone: ZoneInfo,
) -> Summary:
    start = now - timedelta(days=DAYS)
    blocks = []
    for kind in CHARTED:
        if kind in cap.kinds:
            block = kind_block(store, cap.patient_id, kind, start, now, lang)
            if block is not None:
                blocks.append(block)
    measured = frozenset(b.kind for b in blocks)
    recent = [a for a in alerts if a.opened_at >= start or a.resolved_at is None]
    return Summary(
        start,
        now,
        tuple(blocks),
        tuple(
            ReviewedAlert(
                a,
                describe(
                    Words(lang, zone), a.category.value, a.kind.value if a.kind else None, a.params
                ),
                tuple(_reviews(session, a, lang, zone)),
            )
            for a in recent
        ),
        target_forms(rules, measured, lang),
        frozenset(personal),
    )
