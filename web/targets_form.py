"""The targets editor: which rule parameters a physician may change, in words, and how a
typed value is read and checked before `alerts.sqlstore.DbTargets.set` records it.

Every threshold, home-average and weight-change rule of the kinds the patient
shares is a form; those of kinds the patient does not measure are folded
away. A value is read the way a French physician types it (``95,5``), must
be a value a body can have (`collector.plausibility.BOUNDS`, which the rules
enforce too: a "too low" systolic of 500 mmHg would make every reading a
hypotension) and
must keep each "too low" limit below every "too high" limit of the same metric.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alerts.ruleset import AverageRule, ChangeRule, RuleSet, ThresholdRule
from alerts.terms import Severity
from collector.plausibility import BOUNDS
from devices.reading import Kind
from sharing.terms import Language
from web import localnum
from web.i18n import t
from web.metric_labels import metric_label, metric_unit
from web.words.catalogue import category_name

#: Ranges of the parameters that are not a body's value (days, kilograms of change, %).
WINDOW_DAYS = (1.0, 30.0)
CHANGE_KG = (0.3, 15.0)
CHANGE_PCT = (1.0, 30.0)
#: When no device rule of the kind says what a body can produce.
ANY_VALUE = (0.0, 1000.0)


@dataclass(frozen=True, slots=True)
class TargetField:
    """One input: its form name, words, unit, current value and allowed range."""

    name: str
    label: str
    unit: str
    value: float
    low: float
    high: float

    def shown(self, lang: Language) -> str:
        return localnum.number(self.value, lang, 2)


@dataclass(frozen=True, slots=True)
class TargetForm:
    rule: str
    kind: Kind
    legend: str
    severity: Severity
    fields: tuple[TargetField, ...]


def rule_title(rule: Any, lang: Language) -> str:
    """``Hypotension · à surveiller``: the category and severity, never the rule's id."""
    return f"{category_name(rule.category.value, lang.value)} · {t(rule.severity.value, lang)}"


def plausible(metric: str) -> tuple[float, float]:
    """What a body can have for ``metric``: the one table ingest refuses readings by and
    the rules refuse limits by (`collector.plausibility.BOUNDS`), said here next to the
    field before the rule would refuse it."""
    return BOUNDS.get(metric, ANY_VALUE)


def _fields(rule: Any, rules: RuleSet, lang: Language) -> tuple[TargetField, ...]:
    if isinstance(rule, ThresholdRule | AverageRule):
        words = t(f"op.{rule.op}", lang)
        if isinstance(rule, AverageRule):
            words = f"{t('mean_of', lang)} — {words}"
        out = [
            TargetField(
                f"limits.{metric}",
                f"{metric_label(metric, lang)} : {words}"
                if lang is Language.FR
                else f"{metric_label(metric, lang)}: {words}",
                metric_unit(metric),
                limit,
                *plausible(metric),
            )
            for metric, limit in rule.limits.items()
        ]
        if isinstance(rule, AverageRule):
            out.append(
                TargetField(
                    "window_days", t("window_days", lang), "", rule.window_days, *WINDOW_DAYS
                )
            )
        return tuple(out)
    if isinstance(rule, ChangeRule):
        gain = rule.direction == "gain"
        out = []
        if rule.amount is not None:
            label = t("gain_amount" if gain else "loss_amount", lang)
            out.append(TargetField("amount", label, "kg", rule.amount, *CHANGE_KG))
        else:
            out.append(
                TargetField(
                    "amount_pct", t("change_pct", lang), "%", rule.amount_pct or 0.0, *CHANGE_PCT
                )
            )
        if rule.urgent_amount is not None:
            out.append(
                TargetField(
                    "urgent_amount", t("urgent_amount", lang), "kg", rule.urgent_amount, *CHANGE_KG
                )
            )
        days = rule.baseline_from_hours / 24
        shortest = max(WINDOW_DAYS[0], rule.baseline_to_hours / 24 + 0.5)  # after its window end
        out.append(
            TargetField("over_days", t("over_days", lang), "", days, shortest, WINDOW_DAYS[1])
        )
        return tuple(out)
    return ()


def target_forms(rules: RuleSet, kinds: frozenset[Kind], lang: Language) -> tuple[TargetForm, ...]:
    """A form per editable rule of ``kinds`` (``rules``: the patient's effective set)."""
    forms = []
    for rule in rules.enabled():
        # a rule fed by several kinds (the pulse: cuff and oximeter) is under the first shared
        shared = next((kind for kind in rule.kinds if kind in kinds), None)
        if shared is None:
            continue
        fields = _fields(rule, rules, lang)
        if fields:
            forms.append(
                TargetForm(rule.name, shared, rule_title(rule, lang), rule.severity, fields)
            )
    return tuple(forms)


def _limits_of(
    rules: RuleSet, metric: str
) -> tuple[list[tuple[float, Any]], list[tuple[float, Any]]]:
    low: list[tuple[float, Any]] = []
    high: list[tuple[float, Any]] = []
    for rule in rules.enabled():
        if isinstance(rule, ThresholdRule | AverageRule) and metric in rule.limits:
            side = low if rule.op in ("<", "<=") else high
            side.append((rule.limits[metric], rule))
    return low, high


def _pair_error(rules: RuleSet, rule: Any, metric: str, value: float, lang: Language) -> str | None:
    """A "too low" limit at or above a "too high" one of the same metric (or the reverse)."""
    low, high = _limits_of(rules, metric)
    unit = metric_unit(metric)
    if rule.op in ("<", "<="):
        others = [(v, r) for v, r in high if r.name != rule.name]
        if others:
            bound, other = min(others, key=lambda x: x[0])
            if value >= bound:
                return t("low_not_below_high", lang).format(
                    high=localnum.number(bound, lang, 2), unit=unit, rule=rule_title(other, lang)
                )
    else:
        others = [(v, r) for v, r in low if r.name != rule.name]
        if others:
            bound, other = max(others, key=lambda x: x[0])
            if value <= bound:
                return t("high_not_above_low", lang).format(
                    low=localnum.number(bound, lang, 2), unit=unit, rule=rule_title(other, lang)
                )
    return None


@dataclass(frozen=True, slots=True)
class Parsed:
    """What a submitted form gave: the parameters to record, or errors by field name."""

    params: dict[str, Any]
    errors: dict[str, str]


def parse_target(
    form: TargetForm, rules: RuleSet, raw: Mapping[str, str], lang: Language
) -> Parsed:
    """Read and check every field of ``form`` from ``raw`` (the submitted strings)."""
    rule = rules.by_name[form.rule]
    errors: dict[str, str] = {}
    values: dict[str, float] = {}
    for field in form.fields:
        text = raw.get(field.name, "").strip()
        if not text:
            errors[field.name] = t("field_required", lang)
            continue
        value = localnum.parse_number(text)
        if value is None:
            errors[field.name] = t("not_a_number", lang)
            continue
        if not field.low <= value <= field.high:
            errors[field.name] = t("out_of_range", lang).format(
                low=localnum.number(field.low, lang, 2),
                high=localnum.number(field.high, lang, 2),
                unit=f" {field.unit}" if field.unit else "",
            )
            continue
        if field.name.startswith("limits."):
            pair = _pair_error(rules, rule, field.name.removeprefix("limits."), value, lang)
            if pair is not None:
                errors[field.name] = pair
                continue
        values[field.name] = value
    if errors:
        return Parsed({}, errors)
    params: dict[str, Any] = {}
    limits = {k.removeprefix("limits."): v for k, v in values.items() if k.startswith("limits.")}
    if limits:
        params["limits"] = limits
    for key in ("window_days", "amount", "amount_pct", "urgent_amount"):
        if key in values:
            params[key] = values[key]
    if "over_days" in values:
        params["baseline_from_hours"] = values["over_days"] * 24
    return Parsed(params, {})
