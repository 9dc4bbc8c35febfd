"""Pure rule checks: a rule, a window of readings, the reading just added -> an outcome.

No clock, no store, no state: the outcome says whether the condition holds
(`ACTIVE`), has clearly gone (`CLEAR`, with the rule's hysteresis margin when
an alert is open), sits in between (`HOLD`: keep what is there), or cannot
be judged from these readings (`NONE`). The engine aggregates outcomes per
category and the lifecycle turns them into alert changes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from enum import Enum
from statistics import median

from alerts.history import Window
from alerts.ruleset import AverageRule, ChangeRule, Op, ThresholdRule
from alerts.terms import Severity


class State(Enum):
    ACTIVE = 3
    HOLD = 2
    CLEAR = 1
    NONE = 0


@dataclass(frozen=True, slots=True)
class Outcome:
    state: State
    severity: Severity = Severity.INFO
    #: how bad the condition is, in the metric's unit, larger is worse (a value for a high,
    #: minus the value for a low, the change for a trend): "worse by a step" compares these
    magnitude: float = 0.0
    detail: str = ""
    #: the same, structured (``shape``, ``metric``, ``value``, ``threshold``…): what a page
    #: renders in the viewer's words (`web.words.alerts`), stored with the alert
    params: Mapping[str, float | int | str] = field(default_factory=dict)


NONE = Outcome(State.NONE)


def _beyond(value: float, limit: float, op: Op) -> float | None:
    """How far ``value`` is past ``limit`` (>= 0), or None when it is not past it."""
    if op == ">":
        return value - limit if value > limit else None
    if op == ">=":
        return value - limit if value >= limit else None
    if op == "<":
        return limit - value if value < limit else None
    return limit - value if value <= limit else None


def _inside(value: float, limit: float, op: Op, margin: float) -> bool:
    """Back on the safe side of ``limit`` by at least ``margin``."""
    if op in (">", ">="):
        return value <= limit - margin
    return value >= limit + margin


def _badness(value: float, op: Op) -> float:
    return value if op in (">", ">=") else -value


def _fmt(name: str, value: float) -> str:
    return f"{name}={value:.1f}"


Crossing = tuple[float, str, dict[str, float | int | str]]


def _crossing(rule: ThresholdRule, window: Window, index: int) -> Crossing | None:
    worst: Crossing | None = None
    for name, limit in rule.limits.items():
        value = window.values[name][index]
        if math.isnan(value):
            continue
        past = _beyond(value, limit, rule.op)
        if past is not None and (worst is None or _badness(value, rule.op) > worst[0]):
            params: dict[str, float | int | str] = {
                "shape": "threshold",
                "metric": name,
                "value": value,
                "threshold": limit,
                "op": rule.op,
                "confirm": rule.confirm,
            }
            worst = (_badness(value, rule.op), f"{_fmt(name, value)} {rule.op} {limit:g}", params)
    return worst


def crosses(rule: ThresholdRule, metrics: Mapping[str, float | None]) -> bool:
    """Whether one reading's values are past any of the rule's limits."""
    return any(
        (value := metrics.get(name)) is not None
        and not math.isnan(value)
        and _beyond(value, limit, rule.op) is not None
        for name, limit in rule.limits.items()
    )


def _confirmed(rule: ThresholdRule, window: Window, index: int) -> bool:
    """``confirm`` consecutive readings past the limit, this one among them, measured
    within ``confirm_within_hours``. Readings on both sides count, so the outcome does
    not depend on the order readings reached the workers (a later one may have been
    judged first, by another worker); a reading seen twice (same id) counts once."""
    span = rule.confirm_within_hours * 3600
    here = window.times[index]
    counted = {window.ids[index]} - {""}

    def run(step: int) -> list[float]:
        """Times of the distinct readings past the limit next to this one, nearest first."""
        found: list[float] = []
        at = index + step
        while 0 <= at < len(window.times) and len(found) < rule.confirm - 1:
            if abs(window.times[at] - here) > span:
                break
            ident = window.ids[at]
            if ident not in counted:
                if _crossing(rule, window, at) is None:
                    break
                if ident:
                    counted.add(ident)
                found.append(window.times[at])
            at += step
        return found

    times = [*reversed(run(-1)), here, *run(1)]
    need = rule.confirm
    return any(times[i + need - 1] - times[i] <= span for i in range(len(times) - need + 1))


def threshold(rule: ThresholdRule, window: Window, index: int, is_open: bool) -> Outcome:
    crossing = _crossing(rule, window, index)
    if crossing is not None:
        if rule.confirm == 1 or _confirmed(rule, window, index):
            detail = crossing[1] + (f" on {rule.confirm} readings" if rule.confirm > 1 else "")
            return Outcome(State.ACTIVE, rule.severity, crossing[0], detail, crossing[2])
        return Outcome(State.HOLD) if is_open else NONE
    values = [(window.values[name][index], limit) for name, limit in rule.limits.items()]
    known = [(value, limit) for value, limit in values if not math.isnan(value)]
    if not known:
        return NONE
    margin = rule.clear_margin if is_open else 0.0
    if all(_inside(value, limit, rule.op, margin) for value, limit in known):
        return Outcome(State.CLEAR)
    return Outcome(State.HOLD) if is_open else NONE


def average(rule: AverageRule, window: Window, index: int, is_open: bool, zone: tzinfo) -> Outcome:
    end = window.times[index]
    start, stop = window.between(end - rule.window_days * 86400, end)
    if stop - start < rule.min_readings:
        return NONE
    days = {datetime.fromtimestamp(t, zone).date() for t in window.times[start:stop]}
    if len(days) < rule.min_days:
        return NONE
    worst: Crossing | None = None
    inside = True
    margin = rule.clear_margin if is_open else 0.0
    for name, limit in rule.limits.items():
        column = [v for v in window.values[name][start:stop] if not math.isnan(v)]
        if len(column) < rule.min_readings:
            return NONE
        mean = sum(column) / len(column)
        past = _beyond(mean, limit, rule.op)
        if past is not None and (worst is None or _badness(mean, rule.op) > worst[0]):
            params: dict[str, float | int | str] = {
                "shape": "average",
                "metric": name,
                "value": mean,
                "threshold": limit,
                "op": rule.op,
                "count": stop - start,
                "days": len(days),
            }
            worst = (
                _badness(mean, rule.op),
                f"mean {_fmt(name, mean)} {rule.op} {limit:g}",
                params,
            )
        inside = inside and _inside(mean, limit, rule.op, margin)
    if worst is not None:
        detail = f"{worst[1]} over {stop - start} readings on {len(days)} days"
        return Outcome(State.ACTIVE, rule.severity, worst[0], detail, worst[2])
    if inside:
        return Outcome(State.CLEAR)
    return Outcome(State.HOLD) if is_open else NONE


def change(rule: ChangeRule, window: Window, index: int, is_open: bool) -> Outcome:
    now = window.times[index]
    value = window.values[rule.metric][index]
    if math.isnan(value):
        return NONE
    start, stop = window.between(
        now - rule.baseline_from_hours * 3600, now - rule.baseline_to_hours * 3600
    )
    earlier = [v for v in window.values[rule.metric][start:stop] if not math.isnan(v)]
    if not earlier:
        return NONE
    if rule.baseline == "median":
        base = median(earlier)
    else:
        base = min(earlier) if rule.direction == "gain" else max(earlier)
    delta = value - base if rule.direction == "gain" else base - value
    limit = rule.amount if rule.amount is not None else base * (rule.amount_pct or 0.0) / 100
    if delta > limit and rule.reference_hours is not None:
        start, stop = window.between(
            now - rule.reference_hours * 3600, now - rule.baseline_to_hours * 3600
        )
        usual = [v for v in window.values[rule.metric][start:stop] if not math.isnan(v)]
        if len(usual) < rule.reference_min_readings:
            return Outcome(State.HOLD) if is_open else NONE
        shift = value - median(usual) if rule.direction == "gain" else median(usual) - value
        if shift <= rule.reference_amount:
            return Outcome(State.CLEAR) if not is_open else Outcome(State.HOLD)
    if delta > limit:
        severity = rule.severity
        if rule.urgent_amount is not None and delta > rule.urgent_amount:
            severity = Severity.URGENT
        days = (rule.baseline_from_hours + rule.baseline_to_hours) / 48
        detail = (
            f"{rule.metric} {rule.direction} {delta:.1f} (> {limit:.1f}) over about {days:.0f} days"
        )
        params: dict[str, float | int | str] = {
            "shape": "change",
            "metric": rule.metric,
            "direction": rule.direction,
            "delta": delta,
            "threshold": limit,
            "baseline": base,
            "value": value,
            "days": round(days),
        }
        return Outcome(State.ACTIVE, severity, delta, detail, params)
    margin = rule.clear_margin if is_open else 0.0
    if delta <= limit - margin:
        return Outcome(State.CLEAR)
    return Outcome(State.HOLD) if is_open else NONE


def combine(outcomes: list[Outcome]) -> Outcome:
    """A category's outcome from its rules': the gravest active one, else hold, else clear."""
    best = NONE
    for outcome in outcomes:
        if outcome.state.value > best.state.value or (
            outcome.state is State.ACTIVE
            and best.state is State.ACTIVE
            and (outcome.severity.rank, outcome.magnitude) > (best.severity.rank, best.magnitude)
        ):
            best = outcome
    return best
