"""The continuous-oximetry summary, pure: minutes, episodes, what does not count."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from devices.drivers.oximeter_stream import StreamSummary
from devices.reading import Kind, Reading

T0 = datetime(2026, 3, 2, 22, 0)


def sample(spo2: float, pulse: float = 80.0, *flags: str) -> Reading:
    return Reading(Kind.SPO2_CONTINUOUS, {"spo2_pct": spo2, "pulse_bpm": pulse}, flags=flags)


def feed(values: list[Reading], start: datetime = T0) -> list[Reading]:
    summary = StreamSummary()
    out: list[Reading] = []
    for i, value in enumerate(values):
        out += summary.add(start + timedelta(seconds=i), value)
    return out + summary.close()


def test_a_blip_shorter_than_ten_seconds_is_no_episode() -> None:
    out = feed([sample(95)] * 60 + [sample(88)] * 5 + [sample(95)] * 115)
    # The second minute held the blip: not stable, so no minute reading either.
    assert [(r.attributes["summary"], r.time) for r in out] == [
        ("minute", T0),
        ("minute", T0 + timedelta(minutes=2)),
    ]


def test_an_episode_still_going_when_the_stream_ends_is_reported() -> None:
    out = feed([sample(95)] * 30 + [sample(87)] * 20 + [sample(85, 110.0)] * 5)
    [episode] = [r for r in out if r.attributes["summary"] == "desaturation"]
    assert episode.metrics == {"spo2_pct": 85.0, "pulse_bpm": 110.0}
    assert episode.time == T0 + timedelta(seconds=50)


def test_an_unstable_minute_gives_no_minute_reading() -> None:
    out = feed([sample(90 + (i % 7)) for i in range(60)])
    assert out == []


def test_a_questionable_pulse_stays_out_of_the_pulse_median() -> None:
    values = [sample(96, 70.0)] * 40 + [sample(96, 150.0, "questionable_pulse_detected")] * 20
    [minute] = feed(values)
    assert minute.metrics["pulse_bpm"] == 70.0
    assert minute.attributes == {"summary": "minute", "samples": 60}


def test_a_minute_with_too_few_qualified_samples_is_not_a_reading() -> None:
    values = [sample(96)] * 5 + [sample(96, 80.0, "poor_signal_detected")] * 55
    assert feed(values) == []


def test_a_sample_of_another_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="spo2_continuous"):
        StreamSummary().add(T0, Reading(Kind.SPO2, {"spo2_pct": 95.0}))
