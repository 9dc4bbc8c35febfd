"""Rules as data: the TOML rule set, its validation, and per-patient targets.

A rule set is a versioned TOML file (``alerts/rules/default.toml`` ships with
Veille); each ``[[rule]]`` names its category, parameters and the guideline it
comes from. Care teams set per-patient targets that override a rule's
parameters (a TOML file or the ``alert_targets`` table); the effective rules
of a patient are the defaults with those overrides laid over them and
validated again, so a target can never make a rule invalid.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from alerts.terms import Category, Severity
from collector.plausibility import BOUNDS
from devices.reading import FLAGS, METRICS, Kind
from veille.errors import ConfigError

Op = Literal[">", ">=", "<", "<="]
Positive = Annotated[float, Field(gt=0)]


class _Rule(BaseModel):
    # no NaN or infinity in any parameter: a NaN limit compares false with every reading,
    # which silently switched a rule off (issue 17)
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    category: Category
    kind: Kind
    severity: Severity = Severity.WARNING
    source: Annotated[str, Field(min_length=3)]
    description: str = ""
    enabled: bool = True
    #: after an all clear, the same condition within this many hours reopens the same alert
    reopen_hours: Annotated[float, Field(ge=0)] = 72.0
    #: an acknowledged alert is raised again when it gets this much worse
    worse_step: Positive = 1.0

    @property
    def kinds(self) -> tuple[Kind, ...]:
        """The kinds of reading the rule judges."""
        return (self.kind,)


def _check_metrics(names: Mapping[str, float]) -> None:
    unknown = sorted(set(names) - METRICS.keys())
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}")
    if not names:
        raise ValueError("at least one metric limit is needed")


def _check_limits(limits: Mapping[str, float]) -> None:
    """Each limit finite and a value a body can have (the table ingest refuses readings by).

    A limit outside it can never be crossed, or is crossed by every reading: either way the
    rule no longer says what its name says.
    """
    _check_metrics(limits)
    for metric, value in limits.items():
        if not math.isfinite(value):
            raise ValueError(f"{metric}: {value} is not a finite number")
        low, high = BOUNDS[metric]
        if not low <= value <= high:
            raise ValueError(
                f"{metric}: {value:g} is outside what a body can have, {low:g} to {high:g}"
            )


class ThresholdRule(_Rule):
    """Any metric of one reading beyond its limit; ``confirm`` consecutive readings
    (within ``confirm_within_hours``) must agree before it fires."""

    type: Literal["threshold"]
    limits: dict[str, float]
    op: Op
    confirm: Annotated[int, Field(ge=1, le=10)] = 1
    confirm_within_hours: Positive = 48.0
    clear_margin: Annotated[float, Field(ge=0)] = 0.0
    #: other kinds whose readings carry the same metrics and feed this rule too (the
    #: oximeter's pulse feeds the pulse rules); each kind keeps its own alert
    also_kinds: list[Kind] = Field(default_factory=list)

    @property
    def kinds(self) -> tuple[Kind, ...]:
        return (self.kind, *(k for k in self.also_kinds if k != self.kind))

    @model_validator(mode="after")
    def _metrics(self) -> ThresholdRule:
        _check_limits(self.limits)
        return self


class AverageRule(_Rule):
    """The mean of the last ``window_days`` of readings beyond a limit (home BP)."""

    type: Literal["average"]
    limits: dict[str, float]
    op: Op
    window_days: Positive = 7.0
    min_readings: Annotated[int, Field(ge=1)] = 6
    min_days: Annotated[int, Field(ge=1)] = 3
    clear_margin: Annotated[float, Field(ge=0)] = 0.0

    @model_validator(mode="after")
    def _metrics(self) -> AverageRule:
        _check_limits(self.limits)
        return self


class ChangeRule(_Rule):
    """A reading compared with the extreme (or median) of an earlier window.

    ``baseline_from_hours``..``baseline_to_hours`` before the reading bound the
    window; a gain compares with its lowest value, a loss with its highest,
    unless ``baseline`` is ``median``. ``amount`` is in the metric's unit,
    ``amount_pct`` a percentage of the baseline; either may be set.
    """

    type: Literal["change"]
    metric: str
    direction: Literal["gain", "loss"]
    amount: Positive | None = None
    amount_pct: Positive | None = None
    baseline: Literal["extreme", "median"] = "extreme"
    baseline_from_hours: Positive
    baseline_to_hours: Annotated[float, Field(ge=0)]
    urgent_amount: Positive | None = None
    clear_margin: Annotated[float, Field(ge=0)] = 0.5
    #: the reading must also differ from the median of this many hours before it by more
    #: than ``reference_amount``, so a return to the usual weight (after a gain has been
    #: treated) is not mistaken for a loss, nor a recovery from a loss for a gain
    reference_hours: Positive | None = None
    reference_amount: Annotated[float, Field(ge=0)] = 0.0
    #: fewer readings than this in the reference window: too new a patient to judge
    reference_min_readings: Annotated[int, Field(ge=1)] = 1

    @model_validator(mode="after")
    def _shape(self) -> ChangeRule:
        _check_metrics({self.metric: 0.0})
        if (self.amount is None) == (self.amount_pct is None):
            raise ValueError("set exactly one of amount and amount_pct")
        if self.baseline_to_hours >= self.baseline_from_hours:
            raise ValueError("baseline_to_hours must be less than baseline_from_hours")
        return self


class MissingRule(_Rule):
    """A kind the patient measures regularly has gone silent (server receive time)."""

    type: Literal["missing"]
    min_silence_hours: Positive = 48.0
    gap_factor: Positive = 3.0
    #: and longer than this many times the longest silence of the learning window: a
    #: patient who often skips a few days is not "missing" on the third
    longest_factor: Annotated[float, Field(ge=0)] = 0.0
    learn_days: Positive = 14.0
    min_days: Annotated[int, Field(ge=2)] = 4


class DeviceRule(_Rule):
    """Readings that are not measurements of the patient: status flags, values no
    body produces, a jump that means someone else stepped on the scale."""

    type: Literal["device"]
    flags: list[str] = Field(default_factory=list)
    plausible: dict[str, tuple[float, float]] = Field(default_factory=dict)
    jump_metric: str | None = None
    jump_amount: Positive | None = None
    jump_pct: Positive | None = None
    jump_baseline_days: Positive = 14.0
    #: metric -> flags that make that one value unfit for the rules while the rest of
    #: the reading stands (an oximeter's doubtful pulse beside a sound saturation)
    withhold: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _shape(self) -> DeviceRule:
        if self.plausible:
            _check_metrics(dict.fromkeys(self.plausible, 0.0))
        if self.withhold:
            _check_metrics(dict.fromkeys(self.withhold, 0.0))
        named = set(self.flags).union(*self.withhold.values())
        unknown = sorted(named - FLAGS)
        if unknown:
            raise ValueError(f"unknown flag(s) {unknown}")
        if self.jump_metric is not None:
            _check_metrics({self.jump_metric: 0.0})
        return self


Rule = Annotated[
    ThresholdRule | AverageRule | ChangeRule | MissingRule | DeviceRule,
    Field(discriminator="type"),
]


class _RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Annotated[str, Field(min_length=1)]
    time_zone: str = "Europe/Paris"
    rule: list[Rule]


class RuleSet:
    """A validated, versioned set of rules, indexed by kind."""

    def __init__(self, version: str, time_zone: str, rules: tuple[Any, ...]) -> None:
        names = [rule.name for rule in rules]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ConfigError(f"rule set {version}: rule names used twice: {duplicates}")
        self.version = version
        self.time_zone = time_zone
        self.rules: tuple[Any, ...] = rules

    @cached_property
    def by_name(self) -> dict[str, Any]:
        return {rule.name: rule for rule in self.rules}

    def enabled(self) -> tuple[Any, ...]:
        return tuple(rule for rule in self.rules if rule.enabled)

    def of_type(self, cls: type[Any]) -> tuple[Any, ...]:
        return tuple(rule for rule in self.enabled() if isinstance(rule, cls))

    @cached_property
    def kinds(self) -> frozenset[Kind]:
        return frozenset(kind for rule in self.enabled() for kind in rule.kinds)

    def horizon_hours(self, kind: Kind) -> float:
        """How far back the rules of ``kind`` look: the history a window must hold."""
        hours = 48.0
        for rule in self.enabled():
            if kind not in rule.kinds:
                continue
            if isinstance(rule, ChangeRule):
                hours = max(hours, rule.baseline_from_hours + 12, (rule.reference_hours or 0) + 12)
            elif isinstance(rule, AverageRule):
                hours = max(hours, rule.window_days * 24 + 24)
            elif isinstance(rule, MissingRule):
                hours = max(hours, rule.learn_days * 24)
            elif isinstance(rule, DeviceRule) and rule.jump_metric:
                hours = max(hours, rule.jump_baseline_days * 24)
            elif isinstance(rule, ThresholdRule):
                hours = max(hours, rule.confirm_within_hours)
        return hours

    def with_targets(self, targets: Mapping[str, Mapping[str, Any]]) -> RuleSet:
        """This set with a patient's overrides (rule name -> parameters) laid over it."""
        if not targets:
            return self
        unknown = sorted(set(targets) - self.by_name.keys())
        if unknown:
            raise ConfigError(f"targets name unknown rule(s) {unknown} (rule set {self.version})")
        rules = []
        for rule in self.rules:
            over = targets.get(rule.name)
            if not over:
                rules.append(rule)
                continue
            if "name" in over or "type" in over or "category" in over:
                raise ConfigError(f"target for {rule.name}: name, type and category are fixed")
            merged = {**rule.model_dump(), **over}
            try:
                rules.append(type(rule).model_validate(merged))
            except ValidationError as err:
                first = err.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise ConfigError(f"target for {rule.name}: {where}: {first['msg']}") from err
        return RuleSet(self.version, self.time_zone, tuple(rules))


def parse_rules(text: str, origin: str = "<rules>") -> RuleSet:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"rule file {origin}: {err}") from err
    try:
        parsed = _RuleFile.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"rule file {origin}: {where}: {first['msg']}") from err
    return RuleSet(parsed.version, parsed.time_zone, tuple(parsed.rule))


def load_rules(path: Path | None = None) -> RuleSet:
    """The rule set at ``path``, or the default one shipped with Veille."""
    if path is None:
        text = resources.files("alerts.rules").joinpath("default.toml").read_text("utf-8")
        return parse_rules(text, "alerts/rules/default.toml")
    try:
        return parse_rules(path.read_text("utf-8"), str(path))
    except OSError as err:
        raise ConfigError(f"rule file {path}: cannot read it ({err.strerror})") from err
