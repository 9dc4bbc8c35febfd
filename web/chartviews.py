"""A patient's charts for one capability: which kinds, which bands, which references.

No HTTP and no permission decision: `patient_charts` takes the `Capability`
that `web.deps` obtained and draws only its kinds, and only those the patient
actually measures (a shared kind with no device and no reading gets one line
saying so instead of an empty chart on a meaningless axis). Each chart comes
with its text alternative: per series the last value, minimum, maximum, mean.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from alerts.lifecycle import AlertRecord
from alerts.ruleset import AverageRule, ChangeRule, RuleSet, ThresholdRule
from alerts.terms import Severity
from collector.store import ReadingStore
from devices.reading import Kind
from sharing.capability import Capability
from sharing.terms import Language
from sharing.texts import text as sharing_text
from web import localnum
from web.charts import Band, Frame, Level, Marker, Point, Series, chart
from web.i18n import t
from web.metric_labels import metric_label, metric_unit
from web.triage import points
from web.words.catalogue import category_name

#: The metrics each charted kind draws, on one axis (they share a unit).
CHARTED: Mapping[Kind, tuple[str, ...]] = {
    Kind.WEIGHT: ("weight_kg",),
    Kind.BLOOD_PRESSURE: ("systolic_mmhg", "diastolic_mmhg"),
    Kind.GLUCOSE: ("glucose_mmol_l",),
    Kind.SPO2: ("spo2_pct",),
    Kind.SPO2_CONTINUOUS: ("spo2_pct",),
    Kind.TEMPERATURE: ("temperature_c",),
}
#: The value axis never spans less than this: ±0.3 kg of scale noise is not a spike,
#: nor ±1 % of an oximeter's or ±0.2 °C of a thermometer's.
MIN_SPAN: Mapping[Kind, float] = {
    Kind.WEIGHT: 4.0,
    Kind.BLOOD_PRESSURE: 40.0,
    Kind.GLUCOSE: 4.0,
    Kind.SPO2: 12.0,
    Kind.SPO2_CONTINUOUS: 12.0,
    Kind.TEMPERATURE: 4.0,
}
DIGITS: Mapping[Kind, int] = {
    Kind.WEIGHT: 1,
    Kind.BLOOD_PRESSURE: 0,
    Kind.GLUCOSE: 1,
    Kind.SPO2: 0,
    Kind.SPO2_CONTINUOUS: 0,
    Kind.TEMPERATURE: 1,
}


@dataclass(frozen=True, slots=True)
class ChartView:
    """One drawn chart and the sentences that say what it shows."""

    kind: Kind
    title: str
    svg: str
    stats: tuple[str, ...]
    banded: bool


@dataclass(frozen=True, slots=True)
class Charts:
    shown: tuple[ChartView, ...]
    #: one sentence per shared kind that has no device and no reading
    absent: tuple[str, ...]


def bands(rules: RuleSet) -> dict[str, Band]:
    """Target band per metric: above the highest "too low" limit, below the lowest "too
    high" one, of the warning and urgent threshold and average rules."""
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    for rule in rules.enabled():
        if not isinstance(rule, ThresholdRule | AverageRule) or rule.severity is Severity.INFO:
            continue
        for metric, limit in rule.limits.items():
            if rule.op in ("<", "<="):
                low[metric] = max(low.get(metric, limit), limit)
            else:
                high[metric] = min(high.get(metric, limit), limit)
    return {m: Band(low.get(m), high.get(m)) for m in set(low) | set(high)}


def band_words(band: Band, lang: Language, digits: int) -> str:
    """``zone cible 90 à 135`` / ``target up to 85``: words, never a comparison sign."""
    low = localnum.number(band.low, lang, digits)
    high = localnum.number(band.high, lang, digits)
    if band.low is not None and band.high is not None:
        return t("target_zone", lang).format(low=low, high=high)
    if band.low is not None:
        return t("target_from", lang).format(low=low)
    return t("target_upto", lang).format(high=high)


def gain_rule(rules: RuleSet) -> ChangeRule | None:
    """The weight-gain rule that looks least far back (the one a nurse checks first)."""
    found = [
        r
        for r in rules.of_type(ChangeRule)
        if r.kind is Kind.WEIGHT and r.direction == "gain" and r.metric == "weight_kg"
    ]
    return min(found, key=lambda r: r.baseline_from_hours, default=None)


def _span(hours: float, lang: Language) -> str:
    if hours % 24 == 0:
        return t("days_ago", lang).format(n=int(hours // 24))
    return t("hours_ago", lang).format(n=localnum.number(hours, lang, 0))


def weight_reference(
    rule: ChangeRule, weights: Sequence[Point], now: datetime, lang: Language
) -> tuple[list[Level], str] | None:
    """What the gain rule compares today's weighing against, and its alert level."""
    since = (now - timedelta(hours=rule.baseline_from_hours)).timestamp()
    until = (now - timedelta(hours=rule.baseline_to_hours)).timestamp()
    window = [v for at, v in weights if since <= at <= until]
    if not window:
        return None
    base = min(window) if rule.baseline == "extreme" else statistics.median(window)
    amount = rule.amount if rule.amount is not None else base * (rule.amount_pct or 0.0) / 100

    def kg(value: float) -> str:
        return f"{localnum.number(value, lang, 1, fixed=True)} kg"

    levels = [
        Level(base, t("reference", lang).format(value=kg(base))),
        Level(base + amount, t("alert_level", lang).format(value=kg(base + amount))),
    ]
    note = t("reference_note", lang).format(
        how=t("lowest" if rule.baseline == "extreme" else "median", lang),
        a=_span(rule.baseline_to_hours, lang),
        b=_span(rule.baseline_from_hours, lang),
        value=kg(base),
        limit=kg(base + amount),
        amount=kg(amount),
    )
    return levels, note


def series_stats(
    label: str, pts: Sequence[Point], unit: str, digits: int, lang: Language, zone: ZoneInfo
) -> str:
    """The text alternative of one series: last value and when, minimum, maximum, mean."""
    if not pts:
        return t("stats_none", lang).format(label=label)
    values = [v for _, v in pts]

    def n(v: float) -> str:
        return f"{localnum.number(v, lang, digits, fixed=True)} {unit}"

    when = localnum.moment(datetime.fromtimestamp(pts[-1][0], zone), lang, zone)
    return t("stats", lang).format(
        label=label,
        last=n(values[-1]),
        when=when,
        min=n(min(values)),
        max=n(max(values)),
        mean=n(statistics.fmean(values)),
        n=len(values),
    )


def alert_markers(
    alerts: Sequence[AlertRecord], kind: Kind, start: datetime, lang: Language, zone: ZoneInfo
) -> list[Marker]:
    return [
        Marker(
            a.opened_at.timestamp(),
            t(a.severity.value, lang),
            f"{t(a.severity.value, lang)} : {category_name(a.category.value, lang.value)}, "
            f"{localnum.moment(a.opened_at, lang, zone)}",
        )
        for a in alerts
        if a.kind is kind and a.opened_at >= start
    ]


def patient_charts(
    store: ReadingStore,
    cap: Capability,
    *,
    days: int,
    now: datetime,
    rules: RuleSet,
    alerts: Sequence[AlertRecord],
    lang: Language,
    zone: ZoneInfo,
    say_absent: bool = True,
) -> Charts:
    """One chart per kind the capability covers and the patient measures, in ``lang``."""
    start = now - timedelta(days=days)
    measured = {r.kind for r in store.latest(cap.patient_id)}
    target = bands(rules)
    frame = Frame(
        start.timestamp(),
        now.timestamp(),
        zone,
        lambda d: localnum.day(d, lang),
        lambda v: localnum.number(v, lang, 1),
    )
    shown: list[ChartView] = []
    absent: list[str] = []
    for kind, metrics in CHARTED.items():
        if kind not in cap.kinds:
            continue
        title = sharing_text(f"kind.{kind.value}", lang)
        title = title[:1].upper() + title[1:]
        if kind not in measured:
            if say_absent:
                absent.append(t("no_device", lang).format(kind=title))
            continue
        reference = gain_rule(rules) if kind is Kind.WEIGHT else None
        since = start
        if reference is not None:
            since = min(start, now - timedelta(hours=reference.baseline_from_hours))
        data = store.series(cap.patient_id, kind, since, now)
        series: list[Series] = []
        stats: list[str] = []
        unit, digits = metric_unit(metrics[0]), DIGITS[kind]
        for metric in metrics:
            every = points(data[metric]) if metric in data.columns else []
            pts = [p for p in every if p[0] >= start.timestamp()]
            band = target.get(metric)
            label = metric_label(metric, lang)
            legend = f"{label} · {band_words(band, lang, digits)}" if band else label
            series.append(Series(legend, pts, band))
            stats.append(series_stats(label, pts, unit, digits, lang, zone))
        levels: list[Level] = []
        if reference is not None and "weight_kg" in data.columns:
            found = weight_reference(reference, points(data["weight_kg"]), now, lang)
            if found is not None:
                levels, note = found
                stats.append(note)
        svg = chart(
            series,
            frame=frame,
            ident=f"chart-{kind.value}",
            title=title,
            axis=f"{title} ({unit})",
            zone_caption=t("zone_caption", lang).format(zone=zone.key),
            description=" ".join(stats),
            markers=alert_markers(alerts, kind, start, lang, zone),
            levels=levels,
            min_span=MIN_SPAN[kind],
        )
        shown.append(ChartView(kind, title, svg, tuple(stats), any(s.band for s in series)))
    return Charts(tuple(shown), tuple(absent))
