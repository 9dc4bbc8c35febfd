"""A patient's recent readings, as the rules need them, from any store.

`History` is the small seam between the rules and where readings live: the
collector's `ReadingStore` on a server (`StoreHistory`, pandas at the
boundary), nothing at all for a replay or a benchmark that feeds the engine
itself (`EmptyHistory`). The engine keeps one `Window` per patient and kind in
memory, rebuilt from the history when it is missing or old, and appends the
readings it evaluates, so a check is a bisect and a few floats, not a query.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import pandas as pd

from devices.reading import Kind

#: Readings of nobody, or no measurement at all: never in a window.
NOT_MEASUREMENTS = frozenset(
    {"control_solution", "data_for_demonstration", "data_for_testing", "stored_error_record"}
)

#: The metrics the default rules read, per kind; a window keeps only these.
RULE_METRICS: Mapping[Kind, tuple[str, ...]] = {
    Kind.WEIGHT: ("weight_kg",),
    Kind.BLOOD_PRESSURE: ("systolic_mmhg", "diastolic_mmhg", "pulse_bpm"),
    Kind.GLUCOSE: ("glucose_mmol_l",),
    Kind.SPO2: ("spo2_pct", "pulse_bpm"),
    Kind.SPO2_CONTINUOUS: ("spo2_pct", "pulse_bpm"),
    Kind.TEMPERATURE: ("temperature_c",),
}


@dataclass(frozen=True, slots=True)
class Series:
    """Readings of one kind in time order: epoch seconds and one column per metric."""

    times: Sequence[float]
    received: Sequence[float]
    metrics: Mapping[str, Sequence[float]]
    ids: Sequence[str] = ()


class History(Protocol):
    def load(self, patient: str, kind: Kind, start: datetime, end: datetime) -> Series:
        """Clinical readings of ``kind`` measured in [start, end), oldest first."""
        ...


class EmptyHistory:
    """No stored readings: the engine learns only from what it is fed (replay, bench)."""

    def load(self, patient: str, kind: Kind, start: datetime, end: datetime) -> Series:
        return Series((), (), {})


class SeriesStore(Protocol):
    """The part of the collector's `ReadingStore` the rules read."""

    def series(self, patient: str, kind: Kind, start: datetime, end: datetime) -> Any:
        """A pandas DataFrame: UTC DatetimeIndex, one column per metric."""
        ...


class StoreHistory:
    """History read from the collector's `ReadingStore` (pandas at this boundary).

    The store keeps every reading, so what the rules must not read is dropped
    here: readings flagged as device problems, control-solution tests, stored
    error records, values outside ``plausible``. The store keeps the
    measurement time only, which stands in for the receive time.
    """

    def __init__(
        self,
        store: SeriesStore,
        skip_flags: frozenset[str] = frozenset(),
        plausible: Mapping[str, tuple[float, float]] | None = None,
        withhold: Mapping[Kind, Mapping[str, frozenset[str]]] | None = None,
    ) -> None:
        self._store = store
        self._skip = skip_flags | NOT_MEASUREMENTS
        self._plausible = dict(plausible or {})
        self._withhold = dict(withhold or {})

    @classmethod
    def for_rules(cls, store: SeriesStore, device_rules: Sequence[Any]) -> StoreHistory:
        """Skip what the rule set's device rules call device problems."""
        flags: set[str] = set()
        plausible: dict[str, tuple[float, float]] = {}
        withhold: dict[Kind, dict[str, frozenset[str]]] = {}
        for rule in device_rules:
            flags.update(rule.flags)
            plausible.update(rule.plausible)
            if rule.withhold:
                withhold[rule.kind] = {m: frozenset(f) for m, f in rule.withhold.items()}
        return cls(store, frozenset(flags), plausible, withhold)

    def load(self, patient: str, kind: Kind, start: datetime, end: datetime) -> Series:
        frame = self._store.series(patient, kind, start, end)
        if frame is None or len(frame) == 0:
            return Series((), (), {})
        frame = frame.sort_index()
        keep = [True] * len(frame)
        if "flags" in frame.columns:
            keep = [not (set(str(f).split(",")) & self._skip) for f in frame["flags"].tolist()]
        for name, (low, high) in self._plausible.items():
            if name in frame.columns:
                values = frame[name].astype(float).tolist()
                keep = [
                    k and (v != v or low <= v <= high) for k, v in zip(keep, values, strict=True)
                ]
        frame = frame[keep]
        doubted = self._withhold.get(kind, {})
        if doubted and "flags" in frame.columns:
            frame = frame.copy()
            marks = [set(str(f).split(",")) for f in frame["flags"].tolist()]
            for name, doubts in doubted.items():
                if name in frame.columns:
                    unfit = [not doubts.isdisjoint(mark) for mark in marks]
                    frame.loc[unfit, name] = math.nan
        times = [float(t) / 1e9 for t in pd.DatetimeIndex(frame.index).as_unit("ns").asi8]
        columns = {
            name: [float(v) if v == v else math.nan for v in frame[name].astype(float).tolist()]
            for name in RULE_METRICS.get(kind, ())
            if name in frame.columns
        }
        ids = [str(i) for i in frame["id"].tolist()] if "id" in frame.columns else []
        return Series(times, times, columns, ids)


@dataclass(slots=True)
class Window:
    """A patient's clinical readings of one kind over the rules' horizon, in time order."""

    horizon_s: float
    times: list[float] = field(default_factory=list)
    values: dict[str, list[float]] = field(default_factory=dict)
    #: each reading's id ("" when the history does not name its readings), so a reading
    #: seen twice is recognised as one
    ids: list[str] = field(default_factory=list)

    @classmethod
    def from_series(cls, series: Series, metrics: Sequence[str], horizon_s: float) -> Window:
        ids = list(series.ids) if series.ids else [""] * len(series.times)
        window = cls(horizon_s, list(series.times), ids=ids)
        for name in metrics:
            column = series.metrics.get(name)
            window.values[name] = list(column) if column else [math.nan] * len(window.times)
        return window

    def add(self, time: float, metrics: Mapping[str, float | None], reading_id: str = "") -> int:
        """Insert a reading (late ones land in their place); returns its index."""
        index = bisect_right(self.times, time)
        self.times.insert(index, time)
        self.ids.insert(index, reading_id)
        for name, column in self.values.items():
            value = metrics.get(name)
            column.insert(index, math.nan if value is None else float(value))
        return index - self._trim()

    def _trim(self) -> int:
        """Forget readings older than the horizon; returns how many were dropped."""
        cutoff = self.times[-1] - self.horizon_s
        drop = bisect_left(self.times, cutoff)
        if drop:
            del self.times[:drop]
            del self.ids[:drop]
            for column in self.values.values():
                del column[:drop]
        return drop

    def index_of(self, time: float) -> int:
        """Index of the last reading measured at ``time``."""
        return bisect_right(self.times, time) - 1

    def between(self, start: float, end: float) -> tuple[int, int]:
        """Index range of readings measured in [start, end]."""
        return bisect_left(self.times, start), bisect_right(self.times, end)

    def column(self, name: str) -> list[float]:
        return self.values[name]


@dataclass(slots=True)
class Arrivals:
    """When readings of one kind reached the server, grouped in sessions (arrivals
    closer than ``session_s`` are one sitting), with the patient's local days: what
    missing-data rules learn the patient's habit from. Kept incrementally."""

    horizon_s: float
    session_s: float = 3600.0
    times: list[float] = field(default_factory=list)
    days: list[int] = field(default_factory=list)
    sessions: list[float] = field(default_factory=list)

    def add(self, time: float, day: int) -> bool:
        """Record an arrival; True when it changed the sessions (a new sitting)."""
        in_order = not self.times or time >= self.times[-1]
        index = bisect_right(self.times, time)
        self.times.insert(index, time)
        self.days.insert(index, day)
        drop = bisect_left(self.times, self.times[-1] - self.horizon_s)
        if drop:
            del self.times[:drop]
            del self.days[:drop]
        if in_order and not drop:
            if not self.sessions or time - self.sessions[-1] > self.session_s:
                self.sessions.append(time)
                return True
            return False
        self.sessions = []
        for moment in self.times:
            if not self.sessions or moment - self.sessions[-1] > self.session_s:
                self.sessions.append(moment)
        return True

    @property
    def last(self) -> float | None:
        return self.times[-1] if self.times else None
