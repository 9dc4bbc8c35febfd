"""The rules engine: a reading (or the clock) in, alert changes out.

Stateless apart from its stores and its per-patient cache (`alerts.cache`:
windows of recent readings, arrivals, open alert keys), so most readings cost
a bisect and a few comparisons and touch no database. The alert store is read
and written only when a condition is active, or clears while an alert is open.

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

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from alerts import evaluate
from alerts.cache import PatientCache, PatientState, local_day
from alerts.classify import Verdict, classify
from alerts.evaluate import Outcome, State
from alerts.history import EmptyHistory, History, Window
from alerts.lifecycle import PatientAlerts, Signal, Transition, apply
from alerts.ruleset import AverageRule, ChangeRule, RuleSet, ThresholdRule
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
from wire.reading import WireReading

Judged = ThresholdRule | ChangeRule | AverageRule


class Engine:
    """Readings and the clock in, alert transitions out (the state lives in `PatientCache`)."""

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
        self.store: AlertStore = store or MemoryAlertStore()
        self.cache = PatientCache(
            rules,
            history or EmptyHistory(),
            self.store,
            targets or NoTargets(),
            zone_of,
            cache_ttl_s,
        )
        self.shared = shared
        #: ids a batch (`on_readings`) already put in the shared log
        self._recorded: set[str] = set()
        longest = max((r.confirm_within_hours for r in rules.of_type(ThresholdRule)), default=0)
        #: how long the shared log keeps a reading: a day past the longest confirmation
        self.share_for = timedelta(hours=longest + 24)

    def state(self, patient: str, now: datetime) -> PatientState:
        """The patient's cache, rebuilt when missing or older than ``cache_ttl_s``."""
        return self.cache.get(patient, now)

    def forget(self, patient: str) -> None:
        """Reload a patient's targets and alert state at their next reading."""
        self.cache.forget(patient)

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
        if not state.first_sight(wire.id):
            return []  # a resend of a reading already evaluated
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
            if arrivals.add(stamp, local_day(stamp, state.zone)):
                state.set_deadline(wire.kind, missing)
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

    def tick(self, now: datetime) -> list[Transition]:
        """Advance the clock: open missing-data alerts whose silence has run out."""
        stamp = now.timestamp()
        if self.shared is not None:
            self.shared.prune(now - self.share_for)
        changes: list[Transition] = []
        for patient, state in self.cache:
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


#: Flags that say the device's clock cannot be trusted for this reading.
CLOCK_FLAGS = frozenset({"time_fault", "device_clock_unreliable"})


def _measured_at(wire: WireReading, now: datetime) -> float:
    """When the reading was measured, as far as the rules can trust it: the receive
    time when the device's clock is flagged wrong, and never later than now (a clock
    running ahead would push every real reading out of the window)."""
    if CLOCK_FLAGS & set(wire.flags):
        return min(wire.received.timestamp(), now.timestamp())
    return min(wire.time.timestamp(), now.timestamp())
