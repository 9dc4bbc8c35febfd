"""What the triage list needs per patient, computed once and reused for a short while.

A list of a thousand patients must answer in well under 150 ms, so it never
reads 90 days per request: each patient's summary (latest value per kind, a
14-day trend, adherence) is computed from the store once and kept for
``ttl`` seconds. The summary holds every kind; what a viewer may see is
cut from it per request by their `Capability`, so the cache never widens access.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd

from collector.store import ReadingStore
from devices.reading import Kind
from web.charts import Point, sparkline

#: The kinds the care team follows, with the metric their trend draws.
FOLLOWED: Mapping[Kind, str] = {
    Kind.WEIGHT: "weight_kg",
    Kind.BLOOD_PRESSURE: "systolic_mmhg",
    Kind.GLUCOSE: "glucose_mmol_l",
    Kind.SPO2: "spo2_pct",
    Kind.TEMPERATURE: "temperature_c",
}
#: Followed kinds measured when unwell, not daily: they do not count in adherence.
OCCASIONAL: frozenset[Kind] = frozenset({Kind.TEMPERATURE})
TREND_DAYS = 14
#: No reading of any followed kind for this long: the patient "stopped measuring".
STOPPED_AFTER = timedelta(days=3)


@dataclass(frozen=True, slots=True)
class KindSummary:
    last_time: datetime | None
    last_metrics: Mapping[str, float | None]
    trend: tuple[Point, ...]
    days_measured: int
    spark: str  # the 14-day sparkline, drawn once per summary
    text: str | None  # the latest value in words (``128/80 mmHg · 70 /min``)

    def stale(self, now: datetime) -> bool:
        """Nothing of this kind for `STOPPED_AFTER`: the row names the kind as missing."""
        return self.last_time is None or now - self.last_time > STOPPED_AFTER


def _last_time(kinds: Mapping[Kind, KindSummary], wanted: frozenset[Kind]) -> datetime | None:
    times = [s.last_time for k, s in kinds.items() if k in wanted and s.last_time]
    return max(times) if times else None


def _adherence(kinds: Mapping[Kind, KindSummary], wanted: frozenset[Kind]) -> int | None:
    measured = [
        s.days_measured
        for k, s in kinds.items()
        if k in wanted and s.last_time and k not in OCCASIONAL
    ]
    if not measured:
        return None
    return round(100 * sum(measured) / (len(measured) * TREND_DAYS))


#: Every set of followed kinds a capability can cut out of a summary (2^5 of them).
FOLLOWED_SUBSETS: tuple[frozenset[Kind], ...] = tuple(
    frozenset(k for i, k in enumerate(FOLLOWED) if mask >> i & 1)
    for mask in range(1 << len(FOLLOWED))
)


@dataclass(frozen=True, slots=True)
class KindCell:
    """One kind's cell in a triage row: latest value in words, when, and the sparkline."""

    kind: Kind
    latest: str | None
    when: datetime | None
    spark: str
    metrics: Mapping[str, float | None] = field(default_factory=dict)


def _cells(kinds: Mapping[Kind, KindSummary], wanted: frozenset[Kind]) -> tuple[KindCell, ...]:
    return tuple(
        KindCell(k, kinds[k].text, kinds[k].last_time, kinds[k].spark, kinds[k].last_metrics)
        for k in FOLLOWED
        if k in wanted and k in kinds
    )


@dataclass(frozen=True, slots=True)
class Derived:
    """What a triage row shows of a summary for one set of followed kinds."""

    last_time: datetime | None
    adherence: int | None
    cells: tuple[KindCell, ...]


def derive(kinds: Mapping[Kind, KindSummary], wanted: frozenset[Kind]) -> Derived:
    return Derived(_last_time(kinds, wanted), _adherence(kinds, wanted), _cells(kinds, wanted))


@dataclass(frozen=True, slots=True)
class PatientSummary:
    """``derived`` holds last time, adherence and cells for each subset of followed kinds,
    computed with the summary, so a list of a thousand patients only looks them up.
    """

    patient_id: str
    computed_at: datetime
    kinds: Mapping[Kind, KindSummary]
    derived: Mapping[frozenset[Kind], Derived] = field(default_factory=dict)

    @classmethod
    def of(
        cls, patient_id: str, computed_at: datetime, kinds: Mapping[Kind, KindSummary]
    ) -> PatientSummary:
        derived = {s: derive(kinds, s) for s in FOLLOWED_SUBSETS}
        return cls(patient_id, computed_at, kinds, derived)

    def last_time(self, kinds: frozenset[Kind]) -> datetime | None:
        return self.view(kinds).last_time

    def adherence(self, kinds: frozenset[Kind]) -> int | None:
        """Per cent of the last 14 days with a reading, averaged over the kinds measured."""
        return self.view(kinds).adherence

    def view(self, kinds: frozenset[Kind]) -> Derived:
        """What a viewer of ``kinds`` sees (precomputed for subsets of `FOLLOWED`)."""
        found = self.derived.get(kinds)
        return found if found is not None else derive(self.kinds, kinds)

    def stopped(self, kinds: frozenset[Kind], now: datetime) -> bool:
        last = self.last_time(kinds)
        return last is None or now - last > STOPPED_AFTER


def latest_text(kind: Kind, metrics: Mapping[str, float | None]) -> str:
    """A latest value in words, as the triage list and the patient read it."""

    def f(name: str, digits: int = 0) -> str:
        value = metrics.get(name)
        return "—" if value is None else f"{value:.{digits}f}"

    if kind is Kind.WEIGHT:
        return f"{f('weight_kg', 1)} kg"
    if kind is Kind.BLOOD_PRESSURE:
        text = f"{f('systolic_mmhg')}/{f('diastolic_mmhg')} mmHg"
        return text + (f" · {f('pulse_bpm')} /min" if "pulse_bpm" in metrics else "")
    if kind in (Kind.SPO2, Kind.SPO2_CONTINUOUS):
        return f"SpO₂ {f('spo2_pct')} %" + (
            f" · {f('pulse_bpm')} /min" if metrics.get("pulse_bpm") is not None else ""
        )
    if kind in (Kind.TEMPERATURE, Kind.INTERMEDIATE_TEMPERATURE):
        return f"{f('temperature_c', 1)} °C"
    return f"{f('glucose_mmol_l', 1)} mmol/L"


def points(series: pd.Series) -> list[Point]:
    """(epoch seconds, value) of a time-indexed series, missing values left out."""
    values = series.dropna()
    seconds = pd.DatetimeIndex(values.index).as_unit("ns").asi8 / 1e9
    return [(float(t), float(v)) for t, v in zip(seconds, values.to_numpy(), strict=True)]


def summarise(store: ReadingStore, patient_id: str, now: datetime) -> PatientSummary:
    start = now - timedelta(days=TREND_DAYS)
    kinds: dict[Kind, KindSummary] = {}
    for kind, metric in FOLLOWED.items():
        frame = store.series(patient_id, kind, start, now)
        if frame.empty:
            kinds[kind] = KindSummary(None, {}, (), 0, sparkline((), 0, 1), None)
            continue
        last = frame.iloc[-1]
        metrics = {
            str(name): (None if value != value else float(value))
            for name, value in last.items()
            if name not in ("id", "flags")
        }
        trend: tuple[Point, ...] = ()
        days = 0
        if metric in frame.columns:
            trend = tuple(points(frame[metric]))
            days = int(pd.DatetimeIndex(frame.index).normalize().nunique())
        spark = sparkline(trend, start.timestamp(), now.timestamp())
        kinds[kind] = KindSummary(
            pd.DatetimeIndex(frame.index)[-1].to_pydatetime(),
            metrics,
            trend,
            min(days, TREND_DAYS),
            spark,
            latest_text(kind, metrics),
        )
    return PatientSummary.of(patient_id, now, kinds)


class SummaryCache:
    """Summaries per patient; one older than ``ttl`` seconds is served while a background
    thread recomputes it (a list never waits for a thousand patients at once), and only a
    patient never summarised is computed inline. Thread-safe. ``clock`` (monotonic seconds)
    is injectable so a test can age an entry without waiting.
    """

    def __init__(
        self, store: ReadingStore, ttl: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.store = store
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._items: dict[str, tuple[float, PatientSummary]] = {}
        self._stale: queue.SimpleQueue[tuple[str, datetime]] = queue.SimpleQueue()
        self._queued: set[str] = set()
        self._worker: threading.Thread | None = None

    def get_many(self, patient_ids: Sequence[str], now: datetime) -> dict[str, PatientSummary]:
        found: dict[str, PatientSummary] = {}
        missing: list[str] = []
        clock = self._clock()
        with self._lock:
            for pid in patient_ids:
                item = self._items.get(pid)
                if item is None:
                    missing.append(pid)
                    continue
                found[pid] = item[1]
                if clock - item[0] >= self.ttl and pid not in self._queued:
                    if self.ttl == 0:
                        missing.append(pid)
                        continue
                    self._queued.add(pid)
                    self._stale.put((pid, now))
            if self._queued and self._worker is None:
                self._worker = threading.Thread(target=self._refresh, daemon=True)
                self._worker.start()
        for pid in missing:
            found[pid] = self._compute(pid, now)
        return found

    def _compute(self, patient_id: str, now: datetime) -> PatientSummary:
        summary = summarise(self.store, patient_id, now)
        with self._lock:
            self._items[patient_id] = (self._clock(), summary)
        return summary

    def _refresh(self) -> None:
        while True:
            patient_id, now = self._stale.get()
            self._compute(patient_id, now)
            with self._lock:
                self._queued.discard(patient_id)

    def forget(self, patient_id: str) -> None:
        with self._lock:
            self._items.pop(patient_id, None)
