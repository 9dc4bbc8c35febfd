"""What the triage list needs per patient, computed once and reused for a short while.

A list of a thousand patients must answer in well under 150 ms, so it never
reads 90 days per request: each patient's summary (latest value per kind, a
14-day trend, adherence) is computed from the store once and kept for
``ttl`` seconds. The summary holds every kind; what a viewer may see is
cut from it per request by their `Capability`, so the cache never widens access.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
}
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


@dataclass(frozen=True, slots=True)
class PatientSummary:
    patient_id: str
    computed_at: datetime
    kinds: Mapping[Kind, KindSummary]

    def last_time(self, kinds: frozenset[Kind]) -> datetime | None:
        times = [s.last_time for k, s in self.kinds.items() if k in kinds and s.last_time]
        return max(times) if times else None

    def adherence(self, kinds: frozenset[Kind]) -> int | None:
        """Per cent of the last 14 days with a reading, averaged over the kinds measured."""
        measured = [s.days_measured for k, s in self.kinds.items() if k in kinds and s.last_time]
        if not measured:
            return None
        return round(100 * sum(measured) / (len(measured) * TREND_DAYS))

    def stopped(self, kinds: frozenset[Kind], now: datetime) -> bool:
        last = self.last_time(kinds)
        return last is None or now - last > STOPPED_AFTER


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
            kinds[kind] = KindSummary(None, {}, (), 0, sparkline((), 0, 1, kind.value))
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
        spark = sparkline(trend, start.timestamp(), now.timestamp(), kind.value)
        kinds[kind] = KindSummary(
            pd.DatetimeIndex(frame.index)[-1].to_pydatetime(),
            metrics,
            trend,
            min(days, TREND_DAYS),
            spark,
        )
    return PatientSummary(patient_id, now, kinds)


class SummaryCache:
    """Summaries per patient, recomputed when older than ``ttl`` seconds (thread-safe)."""

    def __init__(self, store: ReadingStore, ttl: float) -> None:
        self.store = store
        self.ttl = ttl
        self._lock = threading.Lock()
        self._items: dict[str, tuple[float, PatientSummary]] = {}

    def get_many(self, patient_ids: Sequence[str], now: datetime) -> dict[str, PatientSummary]:
        fresh: dict[str, PatientSummary] = {}
        stale: list[str] = []
        clock = time.monotonic()
        with self._lock:
            for pid in patient_ids:
                item = self._items.get(pid)
                if item is not None and clock - item[0] < self.ttl:
                    fresh[pid] = item[1]
                else:
                    stale.append(pid)
        for pid in stale:
            summary = summarise(self.store, pid, now)
            with self._lock:
                self._items[pid] = (time.monotonic(), summary)
            fresh[pid] = summary
        return fresh

    def forget(self, patient_id: str) -> None:
        with self._lock:
            self._items.pop(patient_id, None)
