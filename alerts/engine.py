"""The rules engine: a reading (or the clock) in, alert changes out.

Stateless apart from its stores. Per patient it keeps a cache — the windows
of recent readings the rules look at, when readings arrived, the keys of the
open alerts — rebuilt from the `History` and the `AlertStore` when missing
or older than ``cache_ttl_s``, so most readings cost a bisect and a few
comparisons and touch no database. The alert store is read and written only
when a condition is active, or clears while an alert is open.

Confirmations across workers. Workers share the readings round robin (an
MQTT 5 shared subscription), so the first reading of a pair a ``confirm``
rule needs may have gone to another worker, and be neither in this cache
(refreshed every ``cache_ttl_s``) nor yet in the readings store (the
collector writes in batches; a gateway's backlog reaches every worker at
once). A worker's cache cannot see it, and refreshing from the store narrows
the gap without closing it. So each worker records every reading of a kind
some rule confirms in the shared database (`ReadingLog`, one small row,
kept a day past the longest confirmation window) before judging it, and a
reading past a confirm rule's limit reads back the patient's readings of
that kind within the confirmation window and adds those this cache lacks
(one indexed query, only for abnormal readings). The record commits before
the read, so of two readings judged at the same moment the later to commit
sees the other; the check looks at readings on both sides of the one judged
(a later one may have been judged first) and counts each reading id once (a
redelivery is one reading). Two workers may then both confirm one pair at
the same moment; the database keeps one unresolved alert per condition, so
the second to save loads again and updates the alert instead of opening a
twin. Without a `ReadingLog` (replay, bench) nothing changes: the cache is
the whole history.

Time is always passed in (``now``): the server's receive time, a virtual
clock in a replay, a manual one in tests. Missing data is measured against
it, never against the device's or the gateway's clock.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from statistics import median
from zoneinfo import ZoneInfo

from alerts import evaluate
from alerts.classify import Verdict, classify
from alerts.evaluate import Outcome, State
from alerts.history import RULE_METRICS, Arrivals, EmptyHistory, History, Window
from alerts.lifecycle import Key, PatientAlerts, Signal, Transition, apply
from alerts.ruleset import (
    AverageRule,
    ChangeRule,
    DeviceRule,
    MissingRule,
    RuleSet,
    ThresholdRule,
)
from alerts.store import (
    AlertConflict,
    AlertStore,
    Evaluated,
    MemoryAlertStore,
    NoTargets,
    ReadingLog,
    Shared,
    Targets,
)
from alerts.terms import Category, Severity
from devices.reading import Kind
from devices.wire import WireReading

#: Arrivals closer than this are one measuring session (a duplicate BP, a retry).
SESSION_S = 3600.0
SEEN_IDS = 256

Judged = ThresholdRule | ChangeRule | AverageRule


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
                by_kind.setdefault(rule.kind, {}).setdefault(rule.category, []).append(rule)
        frozen = {k: {c: tuple(v) for c, v in cats.items()} for k, cats in by_kind.items()}
        confirming: dict[Kind, list[ThresholdRule]] = {}
        for rule in rules.of_type(ThresholdRule):
            if rule.confirm > 1:
                confirming.setdefault(rule.kind, []).append(rule)
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


class Engine:
    def __init__(
        self,
        rules: RuleSet,
        *,
        history: History | None = None,
        store: AlertStore | None = None,
        targets: Targets | None = None,
        zone_of: Callable[[str], str | None] | None = None,
        cache_ttl_s: float | None = None,
        shared: ReadingLog | None = None,
    ) -> None:
        self.rules = rules
        self.history: History = history or EmptyHistory()
        self.store: AlertStore = store or MemoryAlertStore()
        self.targets: Targets = targets or NoTargets()
        self._zone_of = zone_of
        self.cache_ttl_s = cache_ttl_s
        self._default = Compiled.of(rules)
        self._states: dict[str, PatientState] = {}
        self.shared = shared
        #: ids a batch (`on_readings`) already put in the shared log
        self._recorded: set[str] = set()
        longest = max((r.confirm_within_hours for r in rules.of_type(ThresholdRule)), default=0)
        #: how long the shared log keeps a reading: a day past the longest confirmation
        self.share_for = timedelta(hours=longest + 24)

    # --- per-patient cache -------------------------------------------------

    def _zone(self, patient: str) -> ZoneInfo:
        name = self._zone_of(patient) if self._zone_of else None
        return ZoneInfo(name or self.rules.time_zone)

    def state(self, patient: str, now: datetime) -> PatientState:
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
                    arrivals.add(moment, _day(moment, state.zone))
                if previous is not None and kind in previous.arrivals:
                    # what this worker saw arrive is truer than the store's measurement
                    # times (a backlog measured days ago arrived now)
                    seen = previous.arrivals[kind]
                    for moment, day in zip(seen.times, seen.days, strict=True):
                        arrivals.add(moment, day)
                state.arrivals[kind] = arrivals
                self._set_deadline(state, kind, rule)
        state.open_keys = open_keys
        self._states[patient] = state
        return state

    def forget(self, patient: str) -> None:
        """Reload a patient's targets and alert state at their next reading."""
        state = self._states.get(patient)
        if state is not None:
            state.stale = True

    # --- readings -------------------------------------------------------------

    def on_readings(self, wires: Sequence[WireReading], now: datetime) -> list[Transition]:
        """`on_reading` for each, with the shared log written in one commit first: a
        worker records a batch of readings at the cost of one."""
        if self.shared is not None and len(wires) > 1:
            entries = [entry for wire in wires if (entry := self._to_share(wire, now))]
            if entries:
                self.shared.record_many(entries, now)
                self._recorded.update(reading.reading_id for _p, _k, reading in entries)
        try:
            return [change for wire in wires for change in self.on_reading(wire, now)]
        finally:
            self._recorded.clear()

    def _to_share(self, wire: WireReading, now: datetime) -> Shared | None:
        """What `on_reading` would record of ``wire`` in the shared log, if anything."""
        state = self.state(wire.patient, now)
        compiled = state.compiled
        window = state.windows.get(wire.kind)
        if wire.id in state.seen or window is None or wire.kind not in compiled.confirming:
            return None
        verdict = classify(wire, compiled.device.get(wire.kind), window)
        if verdict.verdict is not Verdict.CLINICAL:
            return None
        return wire.patient, wire.kind, Evaluated(wire.id, _measured_at(wire, now), verdict.metrics)

    def on_reading(self, wire: WireReading, now: datetime) -> list[Transition]:
        """Evaluate one reading that reached the server at ``now``."""
        state = self.state(wire.patient, now)
        if wire.id in state.seen:
            return []  # a resend of a reading already evaluated
        state.seen[wire.id] = None
        if len(state.seen) > SEEN_IDS:
            state.seen.popitem(last=False)
        compiled = state.compiled
        window = state.windows.get(wire.kind)
        verdict = classify(wire, compiled.device.get(wire.kind), window)
        if verdict.verdict is Verdict.IGNORE:
            return []
        signals: list[Signal] = []
        missing = compiled.missing.get(wire.kind)
        if missing is not None:
            stamp = now.timestamp()
            arrivals = state.arrivals[wire.kind]
            if arrivals.add(stamp, _day(stamp, state.zone)):
                self._set_deadline(state, wire.kind, missing)
            elif wire.kind in state.deadlines:  # same sitting: the habit has not changed
                deadline, usual, silence = state.deadlines[wire.kind]
                state.deadlines[wire.kind] = (max(deadline, stamp + silence), usual, silence)
            signals.append(
                Signal(Category.MISSING_DATA, wire.kind, active=False, reading_id=wire.id)
            )
        device = compiled.device.get(wire.kind)
        if verdict.problem:
            signals.append(
                Signal(
                    Category.DEVICE_PROBLEM,
                    wire.kind,
                    active=True,
                    severity=device.severity if device else Severity.INFO,
                    message=(
                        f"device_problem: check the {wire.kind.value} device "
                        f"({verdict.problem}: {verdict.detail})"
                    ),
                    rule=device.name if device else "device",
                    reading_id=wire.id,
                    reopen_hours=device.reopen_hours if device else 72.0,
                    params=_device_params(verdict.problem, verdict.detail),
                )
            )
        if verdict.verdict is Verdict.CLINICAL and window is not None:
            measured = _measured_at(wire, now)
            if self.shared is not None and wire.kind in compiled.confirming:
                reading = Evaluated(wire.id, measured, verdict.metrics)
                self._share(self.shared, state, wire, window, reading, now)
            stored_at = state.stored.pop(wire.id, None)
            if stored_at is None:
                index = window.add(measured, verdict.metrics, wire.id)
            else:
                index = window.index_of(stored_at)
            latest = index == len(window.times) - 1
            if index >= 0:
                if latest and not verdict.problem:
                    signals.append(
                        Signal(Category.DEVICE_PROBLEM, wire.kind, active=False, reading_id=wire.id)
                    )
                signals.extend(self._clinical(state, wire, window, index, latest))
        return self._apply(wire.patient, state, signals, now)

    def _share(
        self,
        log: ReadingLog,
        state: PatientState,
        wire: WireReading,
        window: Window,
        reading: Evaluated,
        now: datetime,
    ) -> None:
        """Record the reading for the other workers; when it may confirm a rule, add
        what they evaluated around it that this cache lacks (see the module doc)."""
        if reading.reading_id not in self._recorded:
            log.record(wire.patient, wire.kind, reading, now)
        rules = state.compiled.confirming[wire.kind]
        spans = [r.confirm_within_hours for r in rules if evaluate.crosses(r, reading.metrics)]
        if not spans:
            return
        span = max(spans) * 3600
        known = set(window.ids)
        start, end = reading.measured_at - span, reading.measured_at + span
        for other in log.between(wire.patient, wire.kind, start, end):
            if other.reading_id == wire.id or other.reading_id in known:
                continue
            window.add(other.measured_at, other.metrics, other.reading_id)
            state.stored[other.reading_id] = other.measured_at  # arriving here later: in place

    def _clinical(
        self, state: PatientState, wire: WireReading, window: Window, index: int, latest: bool
    ) -> Iterable[Signal]:
        for category, rules in state.compiled.by_kind.get(wire.kind, {}).items():
            is_open = (category, wire.kind) in state.open_keys
            judged: list[tuple[Judged, Outcome]] = []
            for rule in rules:
                if isinstance(rule, ThresholdRule):
                    judged.append((rule, evaluate.threshold(rule, window, index, is_open)))
                elif isinstance(rule, ChangeRule):
                    judged.append((rule, evaluate.change(rule, window, index, is_open)))
                elif isinstance(rule, AverageRule):
                    outcome = evaluate.average(rule, window, index, is_open, state.zone)
                    judged.append((rule, outcome))
            best = evaluate.combine([outcome for _rule, outcome in judged])
            if best.state is State.ACTIVE:
                lead = next(rule for rule, outcome in judged if outcome is best)
                yield Signal(
                    category,
                    wire.kind,
                    active=True,
                    severity=best.severity,
                    magnitude=best.magnitude,
                    message=f"{category.value}: {best.detail}",
                    rule=lead.name,
                    reading_id=wire.id,
                    reopen_hours=lead.reopen_hours,
                    worse_step=lead.worse_step,
                    params=best.params,
                )
            elif best.state is State.CLEAR and latest:
                yield Signal(category, wire.kind, active=False, reading_id=wire.id)

    # --- the clock ------------------------------------------------------------

    def _set_deadline(self, state: PatientState, kind: Kind, rule: MissingRule) -> None:
        arrivals = state.arrivals[kind]
        if arrivals.last is None or len(set(arrivals.days)) < rule.min_days:
            state.deadlines.pop(kind, None)
            return
        sessions = arrivals.sessions
        gaps = [b - a for a, b in pairwise(sessions)]
        usual = median(gaps) if gaps else 86400.0
        longest = max(gaps) if gaps else 0.0
        silence = max(
            rule.min_silence_hours * 3600, rule.gap_factor * usual, rule.longest_factor * longest
        )
        state.deadlines[kind] = (arrivals.last + silence, usual, silence)

    def tick(self, now: datetime) -> list[Transition]:
        """Advance the clock: open missing-data alerts whose silence has run out."""
        stamp = now.timestamp()
        if self.shared is not None:
            self.shared.prune(now - self.share_for)
        changes: list[Transition] = []
        for patient, state in self._states.items():
            signals = []
            for kind, (deadline, usual, _silence) in state.deadlines.items():
                if stamp < deadline or (Category.MISSING_DATA, kind) in state.open_keys:
                    continue
                rule = state.compiled.missing[kind]
                last = state.arrivals[kind].last or stamp
                hours = (stamp - last) / 3600
                signals.append(
                    Signal(
                        Category.MISSING_DATA,
                        kind,
                        active=True,
                        severity=rule.severity,
                        magnitude=hours,
                        message=(
                            f"missing_data: no {kind.value} reading received for {hours:.0f} h "
                            f"(usually every {usual / 3600:.0f} h)"
                        ),
                        rule=rule.name,
                        reopen_hours=rule.reopen_hours,
                        worse_step=24.0,
                        params={"shape": "missing", "hours": hours, "usual_hours": usual / 3600},
                    )
                )
            if signals:
                changes.extend(self._apply(patient, state, signals, now))
        return changes

    # --- alert state ----------------------------------------------------------

    def _apply(
        self, patient: str, state: PatientState, signals: list[Signal], now: datetime
    ) -> list[Transition]:
        if not any(s.active or s.key in state.open_keys for s in signals):
            return []
        for attempt in (1, 2):
            alerts: PatientAlerts = self.store.load(patient, now)
            changes: list[Transition] = []
            for signal in signals:
                changes.extend(apply(alerts, signal, now, state.compiled.rules.version))
            try:
                if changes:
                    self.store.save(patient, alerts, changes)
                break
            except AlertConflict:  # another worker opened it first: ours is an update
                if attempt == 2:
                    raise
        state.open_keys = {r.key for r in alerts.open_records()}
        return changes


def _device_params(problem: str, detail: str) -> dict[str, object]:
    """A device problem's parameters: the flags it saw, or which check it failed."""
    params: dict[str, object] = {"shape": "device", "problem": problem}
    if problem == "flag":
        params["flags"] = [flag for flag in detail.split(",") if flag]
    return params


def _day(stamp: float, zone: ZoneInfo) -> int:
    """The local calendar day of an instant, as an ordinal."""
    return datetime.fromtimestamp(stamp, zone).toordinal()


#: Flags that say the device's clock cannot be trusted for this reading.
CLOCK_FLAGS = frozenset({"time_fault", "device_clock_unreliable"})


def _measured_at(wire: WireReading, now: datetime) -> float:
    """When the reading was measured, as far as the rules can trust it: the receive
    time when the device's clock is flagged wrong, and never later than now (a clock
    running ahead would push every real reading out of the window)."""
    if CLOCK_FLAGS & set(wire.flags):
        return min(wire.received.timestamp(), now.timestamp())
    return min(wire.time.timestamp(), now.timestamp())
