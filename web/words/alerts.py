"""An alert in clinical words, from the structured parameters the engine stored with it.

``Crise hypertensive : PAS 184 mmHg (seuil 180)``, ``Prise de poids : +3,0 kg
en 7 jours (seuil +2,3 kg)``: rendered per viewer, so a French nurse and an
English physician read the same alert in their own words. An alert stored
before parameters existed (``params`` empty) reads as its category's name,
never as the engine's identifier string.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from web.words.fmt import Words

#: Decimals a metric is read with (others: none).
DIGITS: Mapping[str, int] = {
    "weight_kg": 1,
    "glucose_mmol_l": 1,
    "temperature_c": 1,
    "bmi": 1,
    "body_fat_pct": 1,
}


def _num(words: Words, metric: str, value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "—"
    return words.number(number, DIGITS.get(metric, 0))


def _problem(words: Words, params: Mapping[str, Any]) -> str:
    problem = str(params.get("problem", ""))
    if problem == "flag":
        return words.flags([str(f) for f in params.get("flags", [])])
    if problem in ("no_value", "implausible", "other_person"):
        return words.say(f"problem.{problem}")
    return "—"


def describe(words: Words, category: str, kind: str | None, params: Mapping[str, Any]) -> str:
    """The alert's sentence for ``words``' viewer."""
    name = words.category(category)
    shape = params.get("shape")
    metric = str(params.get("metric", ""))
    unit = words.unit(metric)
    if shape in ("threshold", "average"):
        common = {
            "category": name,
            "metric": words.metric_short(metric),
            "value": _num(words, metric, params.get("value")),
            "unit": unit,
            "threshold": _num(words, metric, params.get("threshold")),
        }
        if shape == "average":
            return words.say(
                "alert.average",
                count=int(params.get("count", 0)),
                days=int(params.get("days", 0)),
                **common,
            )
        count = int(params.get("confirm", 1))
        if count > 1:
            return words.say("alert.threshold_confirmed", count=count, **common)
        return words.say("alert.threshold", **common)
    if shape == "change":
        sign = -1.0 if params.get("direction") == "loss" else 1.0
        digits = DIGITS.get(metric, 0)
        return words.say(
            "alert.change",
            category=name,
            delta=words.signed(sign * float(params.get("delta", 0.0)), digits),
            threshold=words.signed(sign * float(params.get("threshold", 0.0)), digits),
            unit=unit,
            days=words.number(float(params.get("days", 0.0))),
        )
    if shape == "missing":
        return words.say(
            "alert.missing",
            category=name,
            kind=words.kind(kind) if kind else "—",
            hours=words.number(float(params.get("hours", 0.0))),
            usual=words.number(float(params.get("usual_hours", 0.0))),
        )
    if shape == "device":
        return words.say(
            "alert.device",
            category=name,
            kind=words.kind(kind) if kind else "—",
            problem=_problem(words, params),
        )
    return name


def latest_value(words: Words, kind: str, metrics: Mapping[str, float | None]) -> str:
    """A latest value as the triage list reads it (``128/80 mmHg · pouls 70 /min``)."""
    if not metrics:
        return "—"
    if kind == "blood_pressure":
        text = (
            f"{_num(words, 'systolic_mmhg', metrics.get('systolic_mmhg'))}/"
            f"{_num(words, 'diastolic_mmhg', metrics.get('diastolic_mmhg'))} mmHg"
        )
        if metrics.get("pulse_bpm") is not None:
            pulse = _num(words, "pulse_bpm", metrics.get("pulse_bpm"))
            text += f" · {words.metric_short('pulse_bpm')} {pulse} /min"
        return text
    if "spo2_pct" in metrics:
        text = f"SpO₂ {_num(words, 'spo2_pct', metrics.get('spo2_pct'))} %"
        if metrics.get("pulse_bpm") is not None:
            pulse = _num(words, "pulse_bpm", metrics.get("pulse_bpm"))
            text += f" · {words.metric_short('pulse_bpm')} {pulse} /min"
        return text
    for name in ("weight_kg", "glucose_mmol_l", "temperature_c"):
        if name in metrics:
            unit = words.unit(name)
            return f"{_num(words, name, metrics.get(name))} {unit}".strip()
    return "—"
