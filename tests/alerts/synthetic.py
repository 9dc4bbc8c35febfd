"""Synthetic patients in the `veille.reading/1` wire format, with known events.

A stable patient weighs themselves every morning, measures blood pressure
morning and evening and glucose three times a day, with realistic noise and
jitter, and now and then skips a day. An event patient is the same with one
clinical (or device) event injected over known days, so a replay can be
scored: every event flagged, and false or repeated alerts per patient-month.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from devices.envelope import envelope
from devices.reading import Kind, Reading
from wire.reading import DeviceRef, WireReading

PARIS = ZoneInfo("Europe/Paris")

EVENTS = (
    "severe_hypoglycemia",
    "hypoglycemia",
    "hyperglycemia",
    "hypertensive_crisis",
    "hypertension",
    "hypotension",
    "tachycardia",
    "bradycardia",
    "weight_gain",
    "weight_loss",
    "missing_data",
    "device_problem",
)


SHORT_EVENTS = ("hyperglycemia", "hypertensive_crisis", "hypotension", "tachycardia", "bradycardia")


@dataclass(frozen=True, slots=True)
class Event:
    category: str
    start: datetime
    end: datetime


@dataclass(slots=True)
class Patient:
    id: str
    event: str | None = None
    event_day: int = 30
    weight: float = 78.0
    sys: float = 122.0
    dia: float = 77.0
    pulse: float = 70.0
    glucose: float = 6.3
    noise: float = 1.0  # multiplies every noise level
    skip: float = 0.04  # chance of skipping a day's morning measurements
    events: list[Event] = field(default_factory=list)


def _device(kind: Kind, patient: str) -> DeviceRef:
    return DeviceRef(address=f"AA:{abs(hash((kind, patient))) % 10**10:010d}", driver=kind.value)


def _wire(
    patient: str,
    kind: Kind,
    at: datetime,
    metrics: dict[str, float | None],
    seq: int,
    flags: tuple[str, ...] = (),
    attributes: dict[str, str | int | float | bool | None] | None = None,
) -> WireReading:
    reading = Reading(
        kind=kind,
        metrics=metrics,
        time=at.astimezone(PARIS).replace(tzinfo=None),
        sequence=seq,
        flags=flags,
        attributes=attributes or {},
    )
    received = at + timedelta(seconds=20)
    return envelope(
        reading,
        patient=patient,
        gateway=f"gw-{patient}",
        device=_device(kind, patient),
        time=at,
        received=received,
    )


def _local(day: date, hour: float, rng: random.Random, jitter_min: float = 30) -> datetime:
    minutes = hour * 60 + rng.uniform(-jitter_min, jitter_min)
    moment = datetime.combine(day, time(0), PARIS) + timedelta(minutes=minutes)
    return moment.astimezone(UTC)


def generate(patient: Patient, start: date, days: int, seed: int) -> Iterator[WireReading]:
    """The patient's readings over ``days`` days from ``start`` (local days in Paris)."""
    rng = random.Random(seed)
    seq = 0
    ev, d0 = patient.event, patient.event_day

    def window(first: int, last: int) -> None:
        patient.events.append(
            Event(
                ev or "",
                _local(start + timedelta(days=first), 0, rng, 0),
                _local(start + timedelta(days=last + 1), 0, rng, 0),
            )
        )

    if ev in ("severe_hypoglycemia", "hypoglycemia"):
        window(d0, d0)
    elif ev == "device_problem":
        window(d0, d0)
        window(d0 + 10, d0 + 10)
    elif ev in (
        "hyperglycemia",
        "hypertensive_crisis",
        "hypotension",
        "tachycardia",
        "bradycardia",
    ):
        window(d0, d0 + 2)
    elif ev == "hypertension":
        window(d0, d0 + 20)
    elif ev in ("weight_gain", "weight_loss"):
        window(d0, d0 + 6)
    elif ev == "missing_data":
        window(d0, days)

    for offset in range(days):
        day = start + timedelta(days=offset)
        skip_day = rng.random() < patient.skip and not (ev and d0 <= offset <= d0 + 10)
        active = ev is not None and d0 <= offset
        # weight, each morning
        weight = patient.weight + rng.gauss(0, 0.3 * patient.noise)
        if ev == "weight_gain" and active:
            weight += min(offset - d0 + 1, 3) * 0.95 if offset <= d0 + 6 else 0
        if ev == "weight_loss" and active:
            weight -= min(offset - d0 + 1, 3) * 0.9 if offset <= d0 + 6 else 0
        stopped = ev == "missing_data" and active
        if not skip_day and not stopped:
            seq += 1
            if ev == "device_problem" and offset == d0:
                yield _wire(
                    patient.id, Kind.WEIGHT, _local(day, 7.5, rng), {"weight_kg": 24.6}, seq
                )
            elif ev == "device_problem" and offset == d0 + 1:
                pass  # the child was weighed instead
            else:
                yield _wire(
                    patient.id,
                    Kind.WEIGHT,
                    _local(day, 7.5, rng),
                    {"weight_kg": round(weight, 1)},
                    seq,
                )
        # blood pressure, morning and evening
        for hour in (8.0, 20.0):
            if skip_day and hour == 8.0:
                continue
            sys_ = patient.sys + rng.gauss(0, 7 * patient.noise)
            dia = patient.dia + rng.gauss(0, 5 * patient.noise)
            pulse = patient.pulse + rng.gauss(0, 5 * patient.noise)
            flags: tuple[str, ...] = ()
            if active and ev == "hypertension" and offset <= d0 + 20:
                sys_, dia = sys_ + 24, dia + 13
            if active and offset <= d0 + 2:
                if ev == "hypertensive_crisis":
                    sys_, dia = 186 + rng.gauss(0, 4), 112 + rng.gauss(0, 3)
                elif ev == "hypotension":
                    sys_, dia = 84 + rng.gauss(0, 2), 54 + rng.gauss(0, 2)
                elif ev == "tachycardia":
                    pulse = 116 + rng.gauss(0, 3)
                elif ev == "bradycardia":
                    pulse = 44 + rng.gauss(0, 1.5)
            if ev == "device_problem" and offset == d0 + 10 and hour == 8.0:
                flags = ("cuff_loose",)
                sys_ = 205.0  # a loose cuff reads nonsense: never a crisis
            seq += 1
            yield _wire(
                patient.id,
                Kind.BLOOD_PRESSURE,
                _local(day, hour, rng),
                {
                    "systolic_mmhg": round(sys_),
                    "diastolic_mmhg": round(dia),
                    "pulse_bpm": round(pulse),
                },
                seq,
                flags,
            )
        # glucose before meals
        for hour in (7.0, 12.5, 19.0):
            value = max(patient.glucose + rng.gauss(0, 0.8 * patient.noise), 4.3)
            if active and offset == d0 and hour == 12.5:
                if ev == "severe_hypoglycemia":
                    value = 2.6
                elif ev == "hypoglycemia":
                    value = 3.4
            if ev == "hyperglycemia" and active and offset <= d0 + 2:
                value = 15.5 + rng.gauss(0, 1.2)
            seq += 1
            yield _wire(
                patient.id,
                Kind.GLUCOSE,
                _local(day, hour, rng),
                {"glucose_mmol_l": round(max(value, 2.0), 1)},
                seq,
            )
        # a control-solution test once a week and a stored meter error: never clinical
        if offset % 7 == 3:
            seq += 1
            yield _wire(
                patient.id,
                Kind.GLUCOSE,
                _local(day, 10, rng),
                {"glucose_mmol_l": 2.2},
                seq,
                ("control_solution",),
                {"sample_type": "control_solution"},
            )
        if offset % 11 == 5:
            seq += 1
            yield _wire(
                patient.id,
                Kind.GLUCOSE,
                _local(day, 11, rng),
                {"glucose_mmol_l": None},
                seq,
                ("stored_error_record",),
            )


def cohort(stable: int, seed: int, noise: float = 1.0, skip: float = 0.04) -> list[Patient]:
    """``stable`` stable patients and one patient per event category."""
    rng = random.Random(seed)
    patients = [
        Patient(
            f"p-stable-{index:03d}",
            weight=rng.uniform(55, 110),
            sys=rng.uniform(110, 128),
            dia=rng.uniform(68, 79),
            pulse=rng.uniform(60, 82),
            glucose=rng.uniform(5.5, 7.5),
            noise=noise,
            skip=skip,
        )
        for index in range(stable)
    ]
    patients += [
        Patient(f"p-{event.replace('_', '-')}", event=event, noise=noise, skip=skip)
        for event in EVENTS
    ]
    return patients


@dataclass(frozen=True, slots=True)
class Score:
    missed: list[Event]
    false: list[dict[str, object]]
    repeated: list[dict[str, object]]
    patient_months: float

    @property
    def bad_per_patient_month(self) -> float:
        return (len(self.false) + len(self.repeated)) / self.patient_months


#: How long after an event's last day an alert still counts as flagging it.
GRACE = timedelta(days=2)


def score(alerts: list[dict[str, object]], patients: list[Patient], days: int) -> Score:
    """Match printed alerts to the injected events, by patient and category."""
    events = {p.id: p.events for p in patients}
    matched: dict[int, int] = {}
    false: list[dict[str, object]] = []
    repeated: list[dict[str, object]] = []
    for alert in alerts:
        at = datetime.fromisoformat(str(alert["time"]))
        hit = None
        for event in events.get(str(alert["patient"]), []):
            if event.category == alert["category"] and event.start <= at <= event.end + GRACE:
                hit = event
        if hit is None:
            false.append(alert)
        elif id(hit) in matched:
            repeated.append(alert)
        else:
            matched[id(hit)] = 1
    missed = [e for p in patients for e in p.events if id(e) not in matched]
    return Score(missed, false, repeated, len(patients) * days / 30.0)
