"""Is a reading a measurement of the patient, a device problem, or not for the rules at all?

Decided before any clinical rule looks at a value, so a loose cuff, a strip
error, a displaced oximeter sensor or a child on the scale becomes "check your
device" for the patient and never a clinical event for the team.
Control-solution tests, an oximeter's demonstration or test data and stored
error records are not measurements of anyone and are ignored altogether. A
value the device itself doubts while the rest of the reading stands (an
oximeter's questionable pulse) is withheld from the rules (`DeviceRule.withhold`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from statistics import median

from alerts.history import NOT_MEASUREMENTS, RULE_METRICS, Window
from alerts.ruleset import DeviceRule
from devices.reading import Kind
from wire.reading import WireReading

#: Metrics without which a reading of the kind measured nothing.
PRIMARY: Mapping[Kind, tuple[str, ...]] = {
    Kind.WEIGHT: ("weight_kg",),
    Kind.BLOOD_PRESSURE: ("systolic_mmhg", "diastolic_mmhg"),
    Kind.GLUCOSE: ("glucose_mmol_l",),
    Kind.SPO2: ("spo2_pct",),
    Kind.SPO2_CONTINUOUS: ("spo2_pct",),
    Kind.TEMPERATURE: ("temperature_c",),
}

#: A meter's LO / HI: below or above its measuring range, a clinical value, not an error.
METER_LOW_MMOL_L = 1.1
METER_HIGH_MMOL_L = 33.3

CONTROL = "control_solution"


class Verdict(Enum):
    IGNORE = "ignore"
    DEVICE = "device"
    CLINICAL = "clinical"


@dataclass(frozen=True, slots=True)
class Classified:
    verdict: Verdict
    #: for DEVICE, and for a CLINICAL value at the meter's limit (LO/HI): a reason code
    #: (``flag``, ``no_value``, ``implausible``, ``other_person``)
    problem: str = ""
    detail: str = ""
    metrics: Mapping[str, float | None] = field(default_factory=dict)


IGNORED = Classified(Verdict.IGNORE)


def not_a_measurement(wire: WireReading) -> bool:
    """A control solution, demo or test data, a stored error: nobody was measured."""
    attrs = wire.attributes
    return (
        not NOT_MEASUREMENTS.isdisjoint(wire.flags)
        or attrs.get("sample_type") == CONTROL
        or attrs.get("sample_location") == CONTROL
    )


def classify(wire: WireReading, rule: DeviceRule | None, window: Window | None) -> Classified:
    if wire.kind not in RULE_METRICS or not_a_measurement(wire):
        return IGNORED
    metrics: dict[str, float | None] = dict(wire.metrics)
    beyond_range = ""
    if wire.kind is Kind.GLUCOSE:
        value = metrics.get("glucose_mmol_l")
        if "result_too_low" in wire.flags:
            metrics["glucose_mmol_l"] = min(value or METER_LOW_MMOL_L, METER_LOW_MMOL_L)
            beyond_range = "result_too_low"
        elif "result_too_high" in wire.flags:
            metrics["glucose_mmol_l"] = max(value or METER_HIGH_MMOL_L, METER_HIGH_MMOL_L)
            beyond_range = "result_too_high"
    if rule is not None:
        flagged = sorted(set(wire.flags) & set(rule.flags))
        if flagged:
            return Classified(Verdict.DEVICE, "flag", ",".join(flagged))
        for name, doubts in rule.withhold.items():
            if name in metrics and not set(doubts).isdisjoint(wire.flags):
                metrics[name] = None
    missing = [name for name in PRIMARY[wire.kind] if metrics.get(name) is None]
    if missing:
        return Classified(Verdict.DEVICE, "no_value", ",".join(missing))
    if rule is None:
        return Classified(Verdict.CLINICAL, metrics=metrics)
    if beyond_range:
        # a value at the meter's limit is clinical (the team must know) and the patient
        # is asked to test again: both, so neither reading of the flag is lost
        return Classified(Verdict.CLINICAL, "flag", beyond_range, metrics)
    for name, (low, high) in rule.plausible.items():
        value = metrics.get(name)
        if value is not None and not low <= value <= high:
            return Classified(Verdict.DEVICE, "implausible", name)
    systolic, diastolic = metrics.get("systolic_mmhg"), metrics.get("diastolic_mmhg")
    if systolic is not None and diastolic is not None and systolic <= diastolic:
        return Classified(Verdict.DEVICE, "implausible", "systolic_mmhg<=diastolic_mmhg")
    if rule.jump_metric and window is not None and rule.jump_metric in window.values:
        jump = _jump(rule, window, metrics.get(rule.jump_metric), wire.time.timestamp())
        if jump:
            return Classified(Verdict.DEVICE, "other_person", jump)
    return Classified(Verdict.CLINICAL, metrics=metrics)


def _jump(rule: DeviceRule, window: Window, value: float | None, at: float) -> str:
    if value is None or rule.jump_metric is None:
        return ""
    start, stop = window.between(at - rule.jump_baseline_days * 86400, at)
    earlier = [v for v in window.values[rule.jump_metric][start:stop] if not math.isnan(v)]
    if len(earlier) < 3:
        return ""
    base = median(earlier)
    limit = max(rule.jump_amount or 0.0, base * (rule.jump_pct or 0.0) / 100)
    if abs(value - base) > limit:
        return f"{rule.jump_metric} differs from the usual by more than {limit:.0f}"
    return ""
