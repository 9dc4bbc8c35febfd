"""Synthetic COPD follow-up patients: spot-check oximetry, a thermometer, a night oximeter.

A patient checks saturation and pulse morning and evening and takes their
temperature each morning, with realistic noise; a story changes a few days of
it (a desaturation, a fever, a displaced sensor, a doubtful pulse, ...) and
says which alerts it must raise — and, as important, which it must not.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from devices.envelope import envelope
from devices.reading import Kind, Reading
from tests.alerts.synthetic import PARIS
from wire.reading import DeviceRef, WireReading

START = date(2026, 2, 2)
EVENT_DAY = 20

Expect = frozenset[tuple[str, str, str]]  # (category, kind, highest severity)


@dataclass(slots=True)
class Story:
    """One patient's month; ``expect`` the clinical alerts it must raise, nothing more."""

    id: str
    expect: Expect = frozenset()
    spo2: float = 96.0
    pulse: float = 72.0
    temperature: float = 36.7
    targets: dict[str, dict[str, object]] = field(default_factory=dict)
    #: day offset -> what changes that day (see `_day`)
    days: dict[int, str] = field(default_factory=dict)


def _at(day: date, hour: float, rng: random.Random) -> datetime:
    minutes = hour * 60 + rng.uniform(-20, 20)
    return (datetime.combine(day, time(0), PARIS) + timedelta(minutes=minutes)).astimezone(UTC)


def _wire(
    patient: str,
    kind: Kind,
    at: datetime,
    metrics: dict[str, float | None],
    seq: int,
    flags: tuple[str, ...] = (),
) -> WireReading:
    reading = Reading(
        kind=kind,
        metrics=metrics,
        time=at.astimezone(PARIS).replace(tzinfo=None),
        sequence=seq,
        flags=flags,
        attributes={"site": "armpit"} if kind is Kind.TEMPERATURE else {},
    )
    device = DeviceRef(address=f"AA:{kind.value[:4]}:{patient[-6:]}", driver=kind.value)
    return envelope(
        reading,
        patient=patient,
        gateway=f"gw-{patient}",
        device=device,
        time=at,
        received=at + timedelta(seconds=15),
    )


def generate(story: Story, days: int, seed: int) -> Iterator[WireReading]:
    rng = random.Random(seed)
    seq = 0
    for offset in range(days):
        day = START + timedelta(days=offset)
        change = story.days.get(offset, "")
        for slot, hour in enumerate((8.0, 20.0)):
            spo2 = min(100.0, round(story.spo2 + rng.gauss(0, 0.9)))
            pulse = round(story.pulse + rng.gauss(0, 4))
            flags: tuple[str, ...] = ()
            if change == "desaturation":
                spo2 = 90 + rng.choice((-1, 0, 1))
            elif change == "severe_desaturation" and slot == 0:
                spo2 = 85
            elif change == "dip" and slot == 0:
                spo2 = 90  # one low reading, the next back to usual: not "stays below"
            elif change == "displaced" and slot == 0:
                spo2, flags = 78, ("sensor_displaced",)
            elif change == "doubtful_pulse":
                pulse, flags = 134, ("questionable_pulse_detected",)
            elif change == "tachycardia":
                pulse = 114 + rng.choice((0, 2, 4))
            elif change == "demo" and slot == 1:
                spo2, flags = 70, ("data_for_demonstration",)
            elif change == "copd_drop":
                spo2 = 84 + rng.choice((0, 1))
            seq += 1
            metrics: dict[str, float | None] = {"spo2_pct": spo2, "pulse_bpm": pulse}
            yield _wire(story.id, Kind.SPO2, _at(day, hour, rng), metrics, seq, flags)
        temperature = round(story.temperature + rng.gauss(0, 0.2), 1)
        morning = _at(day, 7.5, rng)
        if change == "fever":
            temperature = round(38.4 + 0.2 * (offset - EVENT_DAY), 1)
        elif change == "high_fever":
            temperature = 39.8
        elif change == "warm":
            temperature = 38.2  # one warm reading, not confirmed: no fever
        elif change == "hypothermia":
            temperature = 34.6
        elif change == "room":
            temperature = 24.0  # the thermometer measured the room
        for step, partial in enumerate((35.2, 36.9, 39.0) if change == "intermediate" else ()):
            seq += 1
            yield _wire(
                story.id,
                Kind.INTERMEDIATE_TEMPERATURE,
                morning + timedelta(seconds=5 * step),
                {"temperature_c": partial},
                seq,
            )
        seq += 1
        yield _wire(story.id, Kind.TEMPERATURE, morning, {"temperature_c": temperature}, seq)
        if change in ("fever", "hypothermia", "warm"):  # measured again in the evening
            evening = temperature if change != "warm" else 37.0
            seq += 1
            yield _wire(
                story.id, Kind.TEMPERATURE, _at(day, 19, rng), {"temperature_c": evening}, seq
            )
        if change.startswith("night"):
            yield from _night(story.id, day, change, rng, seq)
            seq += 1000


def _night(
    patient: str, day: date, change: str, rng: random.Random, seq: int
) -> Iterator[WireReading]:
    """A night on the continuous oximeter: what the gateway publishes of it, a reading
    per stable minute (every 5 minutes here) and the minimum of each desaturation."""
    start = datetime.combine(day, time(23), PARIS).astimezone(UTC)
    for minute in range(0, 360, 5):
        spo2 = min(100.0, round(95 + rng.gauss(0, 0.8)))
        if change == "night_sustained" and 120 <= minute < 160:
            spo2 = 86 + rng.choice((0, 1))
        seq += 1
        metrics: dict[str, float | None] = {"spo2_pct": spo2, "pulse_bpm": 64 + rng.choice((0, 2))}
        yield _wire(patient, Kind.SPO2_CONTINUOUS, start + timedelta(minutes=minute), metrics, seq)
        if change == "night_dip" and minute == 180:
            seq += 1  # a brief desaturation (an apnoea): its minimum, then back to usual
            metrics = {"spo2_pct": 84, "pulse_bpm": 70}
            yield _wire(patient, Kind.SPO2_CONTINUOUS, start + timedelta(minutes=182), metrics, seq)


def _on(days: range, what: str) -> dict[int, str]:
    return dict.fromkeys(days, what)


D = EVENT_DAY


def stories() -> list[Story]:
    """Every story once, and stable patients beside them."""
    return [
        Story("c-stable-1"),
        Story("c-stable-2", spo2=95.0, pulse=80.0, temperature=36.4),
        Story(
            "c-desaturation",
            frozenset({("low_spo2", "spo2", "warning")}),
            days=_on(range(D, D + 3), "desaturation"),
        ),
        Story(
            "c-severe", frozenset({("low_spo2", "spo2", "urgent")}), days={D: "severe_desaturation"}
        ),
        Story("c-dip", days={D: "dip", D + 6: "dip"}),
        Story("c-displaced", days={D: "displaced", D + 5: "displaced"}),
        Story("c-doubtful-pulse", days=_on(range(D, D + 3), "doubtful_pulse")),
        Story(
            "c-tachycardia",
            frozenset({("tachycardia", "spo2", "warning")}),
            days=_on(range(D, D + 2), "tachycardia"),
        ),
        Story("c-demo", days=_on(range(D, D + 3), "demo")),
        Story(
            "c-fever",
            frozenset({("fever", "temperature", "warning")}),
            days=_on(range(D, D + 2), "fever"),
        ),
        Story(
            "c-high-fever", frozenset({("fever", "temperature", "urgent")}), days={D: "high_fever"}
        ),
        Story("c-warm", days={D: "warm", D + 7: "warm"}),
        Story(
            "c-hypothermia",
            frozenset({("hypothermia", "temperature", "urgent")}),
            days={D: "hypothermia"},
        ),
        Story("c-room", days={D: "room"}),
        Story("c-intermediate", days=_on(range(D, D + 4), "intermediate")),
        # hypercapnic COPD: lives at 89-91 %, the team lowered the targets to 88 / 85
        Story(
            "c-hypercapnic",
            frozenset({("low_spo2", "spo2", "urgent")}),
            spo2=90.0,
            targets={
                "spo2_low": {"limits": {"spo2_pct": 88}},
                "spo2_very_low": {"limits": {"spo2_pct": 86}},
            },
            days=_on(range(D, D + 2), "copd_drop"),
        ),
        Story("c-night-dip", days={**_on(range(D - 3, D), "night"), D: "night_dip"}),
        Story(
            "c-night-sustained",
            frozenset({("low_spo2", "spo2_continuous", "urgent")}),
            days={**_on(range(D - 3, D), "night"), D: "night_sustained"},
        ),
    ]
