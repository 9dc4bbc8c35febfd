"""A continuous oximetry stream made into readings a clinician can use.

PLX Continuous Measurement arrives about once a second for as long as the
probe is on; a care team cannot read 3,600 points an hour, and a rule fed
every sample would alarm at each twitch of the finger. `StreamSummary`
turns the samples (timed by the gateway's clock on arrival: the
characteristic carries no timestamp) into two kinds of ``spo2_continuous``
readings:

- **one per stable minute**, stamped at the minute's start: the median SpO2,
  pulse and perfusion index of the minute's *qualified* samples, when at
  least ``MIN_SAMPLES`` of them are qualified and their SpO2 spans at most
  ``STABLE_SPAN_PCT`` points. Attributes ``summary="minute"``, ``samples``.
- **one per desaturation episode**, stamped at its lowest point: the nadir
  SpO2 and the pulse with it, when qualified samples stayed at least
  ``DROP_PCT`` points below the baseline (median of the qualified samples
  of the ``BASELINE_S`` seconds before the drop) for ``MIN_EPISODE_S``
  seconds or more (the 3 % oxygen-desaturation criterion of sleep scoring).
  The episode ends once a qualified sample is back within ``RECOVERED_PCT``
  of the baseline, or the stream ends. Attributes ``summary="desaturation"``,
  ``baseline_pct``, ``duration_s``, ``samples``.

A sample is qualified when it has a SpO2 value and none of the flags in
`UNQUALIFIED`: poor signal, a displaced sensor, an invalid or questionable
measurement, test or demonstration data, an early estimate. Those samples
never make a reading (a sliding probe reads low: that is a device problem,
not a desaturation). A pulse flagged ``questionable_pulse_detected`` is
left out of the pulse median only.

Pure: no clock, no I/O; the driver feeds it and emits what it returns.
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from devices.codecs.plx_status import DEVICE_FLAGS, MEASUREMENT_FLAGS
from devices.reading import Kind, Reading

MIN_SAMPLES = 10
STABLE_SPAN_PCT = 3.0
DROP_PCT = 3.0
RECOVERED_PCT = 1.0
MIN_EPISODE_S = 10.0
BASELINE_S = 120.0
MIN_BASELINE_SAMPLES = 5

#: Status that says a sample is not a settled, trustworthy reading of the patient: every
#: device and sensor problem, and the measurement states that are not a measurement.
UNQUALIFIED = (
    frozenset(DEVICE_FLAGS.values())
    - {"extended_display_update_ongoing", "signal_analysis_ongoing", "questionable_pulse_detected"}
) | frozenset(MEASUREMENT_FLAGS.values()) - {
    "measurement_ongoing",
    "validated_data",
    "fully_qualified_data",
    "data_from_measurement_storage",
}


def qualified(sample: Reading) -> bool:
    return sample.metrics.get("spo2_pct") is not None and not UNQUALIFIED & set(sample.flags)


def _pulse(sample: Reading) -> float | None:
    if "questionable_pulse_detected" in sample.flags:
        return None
    return sample.metrics.get("pulse_bpm")


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


@dataclass(slots=True)
class _Episode:
    start: datetime
    baseline: float
    nadir_at: datetime
    nadir: Reading
    last_low: datetime
    samples: int = 1


@dataclass(slots=True)
class StreamSummary:
    """Feed `add` each sample with its arrival time; `close` when the stream ends."""

    minute: datetime | None = None
    in_minute: list[Reading] = field(default_factory=list)
    history: deque[tuple[datetime, float]] = field(default_factory=deque)
    episode: _Episode | None = None
    seen: int = 0

    def add(self, at: datetime, sample: Reading) -> list[Reading]:
        """The readings this sample completes (a finished minute, a finished episode)."""
        if sample.kind is not Kind.SPO2_CONTINUOUS:
            raise ValueError(f"a stream summary takes spo2_continuous samples, not {sample.kind}")
        self.seen += 1
        out: list[Reading] = []
        start = at.replace(second=0, microsecond=0)
        if self.minute is not None and start != self.minute:
            out += self._close_minute()
        self.minute = start
        if qualified(sample):
            self.in_minute.append(sample)
            out += self._track(at, sample)
        return out

    def close(self) -> list[Reading]:
        """What the samples so far still owe: the last minute, an episode not yet over."""
        out = self._close_minute()
        out += self._close_episode()
        self.minute = None
        return out

    # --- minutes ----------------------------------------------------------------------

    def _close_minute(self) -> list[Reading]:
        samples, self.in_minute = self.in_minute, []
        if self.minute is None or len(samples) < MIN_SAMPLES:
            return []
        spo2 = [s.metrics["spo2_pct"] or 0.0 for s in samples]
        if max(spo2) - min(spo2) > STABLE_SPAN_PCT:
            return []
        metrics: dict[str, float | None] = {
            "spo2_pct": statistics.median(spo2),
            "pulse_bpm": _median([_pulse(s) for s in samples]),
        }
        pai = [s.metrics.get("pulse_amplitude_index_pct") for s in samples]
        if any(v is not None for v in pai):
            metrics["pulse_amplitude_index_pct"] = _median(pai)
        return [
            Reading(
                Kind.SPO2_CONTINUOUS,
                metrics,
                time=self.minute,
                attributes={"summary": "minute", "samples": len(samples)},
            )
        ]

    # --- desaturation episodes --------------------------------------------------------

    def _baseline(self, at: datetime) -> float | None:
        while self.history and (at - self.history[0][0]).total_seconds() > BASELINE_S:
            self.history.popleft()
        if len(self.history) < MIN_BASELINE_SAMPLES:
            return None
        return statistics.median(v for _, v in self.history)

    def _track(self, at: datetime, sample: Reading) -> list[Reading]:
        spo2 = sample.metrics["spo2_pct"] or 0.0
        episode = self.episode
        if episode is None:
            baseline = self._baseline(at)
            if baseline is not None and spo2 <= baseline - DROP_PCT:
                self.episode = _Episode(at, baseline, at, sample, at)
                return []
            self.history.append((at, spo2))
            return []
        if spo2 >= episode.baseline - RECOVERED_PCT:
            out = self._close_episode()
            self.history.append((at, spo2))
            return out
        episode.samples += 1
        if spo2 <= episode.baseline - DROP_PCT:
            episode.last_low = at
        if spo2 < (episode.nadir.metrics["spo2_pct"] or 0.0):
            episode.nadir, episode.nadir_at = sample, at
        return []

    def _close_episode(self) -> list[Reading]:
        episode, self.episode = self.episode, None
        if episode is None:
            return []
        duration = (episode.last_low - episode.start).total_seconds()
        if duration < MIN_EPISODE_S:
            return []  # a blip: too short to be a desaturation
        at = episode.nadir_at
        if at.second == 0 and at.microsecond == 0:
            at += timedelta(seconds=1)  # a minute's reading is stamped there: keep ids apart
        return [
            Reading(
                Kind.SPO2_CONTINUOUS,
                {
                    "spo2_pct": episode.nadir.metrics["spo2_pct"],
                    "pulse_bpm": _pulse(episode.nadir),
                },
                time=at,
                attributes={
                    "summary": "desaturation",
                    "baseline_pct": episode.baseline,
                    "duration_s": round(duration),
                    "samples": episode.samples,
                },
            )
        ]
