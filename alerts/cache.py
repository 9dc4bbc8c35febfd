"""The engine's per-patient state: compiled rules, reading windows, arrivals, open alerts.

Per patient the engine keeps a cache — the windows of recent readings the rules
look at, when readings arrived, the keys of the open alerts — rebuilt from the
`History` and the `AlertStore` when missing or older than ``cache_ttl_s``, so
most readings cost a bisect and a few comparisons and touch no database. What
the engine decides from it lives in `alerts.engine`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from statistics import median
from zoneinfo import ZoneInfo

from alerts.history import RULE_METRICS, Arrivals, EmptyHistory, History, Window
from alerts.lifecycle import Key
from alerts.ruleset import DeviceRule, MissingRule, RuleSet, ThresholdRule
from alerts.store import AlertStore, Targets
from alerts.terms import Category
from devices.reading import Kind

#: Arrivals closer than this are one measuring session (a duplicate BP, a retry).
SESSION_S = 3600.0
SEEN_IDS = 256


@dataclass(frozen=True, slots=True)
class Compiled:
    """A rule set sorted for evaluation: per kind, the rules of each category."""

    rules: RuleSet
    by_kind: dict[Kind, dict[Category, tuple[object, ...]]]
    missing: dict[Kind, MissingRule]
    device: dict[Kind, DeviceRule]
    #: per kind, the threshold rules that need ``confirm`` readings
    confirming: dict[Kind, tuple[ThresholdRule, ...]]

    @classmethod
    def of(cls, rules: RuleSet) -> Compiled:
        by_kind: dict[Kind, dict[Category, list[object]]] = {}
        missing: dict[Kind, MissingRule] = {}
        device: dict[Kind, DeviceRule] = {}
        for rule in rules.enabled():
            if isinstance(rule, MissingRule):
                missing[rule.kind] = rule
            elif isinstance(rule, DeviceRule):
                device[rule.kind] = rule
            else:
                for kind in rule.kinds:
                    by_kind.setdefault(kind, {}).setdefault(rule.category, []).append(rule)
        frozen = {k: {c: tuple(v) for c, v in cats.items()} for k, cats in by_kind.items()}
        confirming: dict[Kind, list[ThresholdRule]] = {}
        for rule in rules.of_type(ThresholdRule):
            for kind in rule.kinds if rule.confirm > 1 else ():
                confirming.setdefault(kind, []).append(rule)
        return cls(rules, frozen, missing, device, {k: tuple(v) for k, v in confirming.items()})


@dataclass(slots=True)
class PatientState:
    compiled: Compiled
    zone: ZoneInfo
    loaded_at: float
    windows: dict[Kind, Window] = field(default_factory=dict)
    arrivals: dict[Kind, Arrivals] = field(default_factory=dict)
    #: kind -> (when silence becomes missing data, usual gap, silence allowed), in seconds
    deadlines: dict[Kind, tuple[float, float, float]] = field(default_factory=dict)
    open_keys: set[Key] = field(default_factory=set)
    seen: OrderedDict[str, None] = field(default_factory=OrderedDict)
    #: readings the windows were loaded with from the store (id -> measurement time): one
    #: of them arriving now is evaluated in its place, not added twice
    stored: dict[str, float] = field(default_factory=dict)
    stale: bool = False

    def first_sight(self, reading_id: str) -> bool:
        """Whether ``reading_id`` is new here (the last `SEEN_IDS` are remembered)."""
        if reading_id in self.seen:
            return False  # a resend of a reading already evaluated
        self.seen[reading_id] = None
        if len(self.seen) > SEEN_IDS:
            self.seen.popitem(last=False)
        return True

    def set_deadline(self, kind: Kind, rule: MissingRule) -> None:
        """When silence on ``kind`` becomes missing data, from the patient's habit."""
        arrivals = self.arrivals[kind]
        if arrivals.last is None or len(set(arrivals.days)) < rule.min_days:
            self.deadlines.pop(kind, None)
            return
        sessions = arrivals.sessions
        gaps = [b - a for a, b in pairwise(sessions)]
        usual = median(gaps) if gaps else 86400.0
        longest = max(gaps) if gaps else 0.0
        silence = max(
            rule.min_silence_hours * 3600, rule.gap_factor * usual, rule.longest_factor * longest
        )
        self.deadlines[kind] = (arrivals.last + silence, usual, silence)


class PatientCache:
    """Each patient's `PatientState`, loaded from the stores and kept ``cache_ttl_s``."""

    def __init__(
        self,
        rules: RuleSet,
        history: History,
        store: AlertStore,
        targets: Targets,
        zone_of: Callable[[str], str | None] | None,
        cache_ttl_s: float | None,
    ) -> None:
        self.rules = rules
        self.history = history
        self.store = store
        self.targets = targets
        self._zone_of = zone_of
        self.cache_ttl_s = cache_ttl_s
        self._default = Compiled.of(rules)
        self._states: dict[str, PatientState] = {}

    def _zone(self, patient: str) -> ZoneInfo:
        name = self._zone_of(patient) if self._zone_of else None
        return ZoneInfo(name or self.rules.time_zone)

    def get(self, patient: str, now: datetime) -> PatientState:
        """The patient's cache, rebuilt when missing or older than ``cache_ttl_s``."""
        stamp = now.timestamp()
        state = self._states.get(patient)
        ttl = float("inf") if self.cache_ttl_s is None else self.cache_ttl_s
        if state is not None and not state.stale and stamp - state.loaded_at <= ttl:
            return state
        overrides = self.targets.for_patient(patient)
        compiled = Compiled.of(self.rules.with_targets(overrides)) if overrides else self._default
        open_keys = {r.key for r in self.store.load(patient, now).open_records()}
        if state is not None and isinstance(self.history, EmptyHistory):
            # the cache is the only history there is: refresh what others may have
            # changed (targets, acknowledgements), keep the readings
            state.compiled, state.loaded_at, state.open_keys = compiled, stamp, open_keys
            state.stale = False
            return state
        previous, state = state, PatientState(compiled, self._zone(patient), stamp)
        for kind in RULE_METRICS:
            horizon_h = compiled.rules.horizon_hours(kind)
            series = self.history.load(patient, kind, now - timedelta(hours=horizon_h), now)
            if series.ids:  # a store that names its readings
                state.stored.update(zip(series.ids, series.times, strict=True))
            state.windows[kind] = Window.from_series(series, RULE_METRICS[kind], horizon_h * 3600)
            rule = compiled.missing.get(kind)
            if rule is not None:
                arrivals = Arrivals(rule.learn_days * 86400, SESSION_S)
                for moment in series.received:
                    arrivals.add(moment, local_day(moment, state.zone))
                if previous is not None and kind in previous.arrivals:
                    # what this worker saw arrive is truer than the store's measurement
                    # times (a backlog measured days ago arrived now)
                    seen = previous.arrivals[kind]
                    for moment, day in zip(seen.times, seen.days, strict=True):
                        arrivals.add(moment, day)
                state.arrivals[kind] = arrivals
                state.set_deadline(kind, rule)
        state.open_keys = open_keys
        self._states[patient] = state
        return state

    def forget(self, patient: str) -> None:
        """Reload a patient's targets and alert state at their next reading."""
        state = self._states.get(patient)
        if state is not None:
            state.stale = True

    def __iter__(self) -> Iterator[tuple[str, PatientState]]:
        """Every cached patient and their state (the clock's pass)."""
        return iter(self._states.items())


def local_day(stamp: float, zone: ZoneInfo) -> int:
    """The local calendar day of an instant, as an ordinal."""
    return datetime.fromtimestamp(stamp, zone).toordinal()
