"""The demo household: who lives there, what they measure, and when.

Four patients behind one gateway: a heart-failure patient whose weight climbs
in the last days of the month, a hypertensive patient whose home average is
high, a diabetic patient with one hypoglycaemia, and the heart-failure
patient's spouse, who shares the couple's multi-user scale (user slots 1 and
2). Measurements are a pure function of the day number since ``epoch``
(seeded noise per patient and day), so a second run continues the same story
where the first one stopped and a test can count what was produced.

Times: devices keep naive local time (``zone``); ``Measurement.at`` is the
aware UTC moment the measurement is taken in simulated time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from devices.reading import Kind, Reading

ZONE = "Europe/Paris"
#: Days of history the first run replays.
HISTORY_DAYS = 28


@dataclass(frozen=True, slots=True)
class DemoPatient:
    id: str
    label: str
    condition: str


@dataclass(frozen=True, slots=True)
class DemoDevice:
    address: str
    driver: str
    model: str
    serial: str
    kind: Kind


@dataclass(frozen=True, slots=True)
class Measurement:
    """One measurement taken at ``at`` (simulated UTC) on ``device`` by ``patient``."""

    patient: DemoPatient
    device: DemoDevice
    reading: Reading
    at: datetime


HEART_FAILURE = DemoPatient("demo-hf-01", "Jean Dubois (démo)", "heart failure")
HYPERTENSION = DemoPatient("demo-htn-02", "Fatima Benali (démo)", "hypertension")
DIABETES = DemoPatient("demo-dm-03", "Louis Martin (démo)", "type 2 diabetes")
SPOUSE = DemoPatient("demo-sp-04", "Marie Dubois (démo)", "spouse, shares the scale")

PATIENTS = (HEART_FAILURE, HYPERTENSION, DIABETES, SPOUSE)

SCALE = DemoDevice("D1:E5:00:00:00:01", "weight_scale", "Demo Scale MU-2", "SC-0001", Kind.WEIGHT)
CUFF_HF = DemoDevice(
    "D1:E5:00:00:00:02", "blood_pressure", "Demo Cuff BP-1", "BP-0002", Kind.BLOOD_PRESSURE
)
CUFF_HTN = DemoDevice(
    "D1:E5:00:00:00:03", "blood_pressure", "Demo Cuff BP-1", "BP-0003", Kind.BLOOD_PRESSURE
)
METER = DemoDevice("D1:E5:00:00:00:04", "glucose", "Demo Meter GM-1", "GM-0004", Kind.GLUCOSE)

DEVICES = (SCALE, CUFF_HF, CUFF_HTN, METER)

#: Multi-user scale slots.
USER_SLOTS = {HEART_FAILURE.id: 1, SPOUSE.id: 2}

#: The day (counted from the epoch) the diabetic patient has a hypoglycaemia.
HYPO_DAY = 19
#: Heart failure: the weight starts to climb on this day and climbs for five days.
CLIMB_FROM_DAY = 23


class Household:
    """The household's measurements, day by day from ``epoch`` (a local date)."""

    def __init__(self, epoch: date, *, zone: str = ZONE) -> None:
        self.epoch = epoch
        self.zone = ZoneInfo(zone)

    def _local(self, day: int, at: time) -> datetime:
        return datetime.combine(self.epoch + timedelta(days=day), at)

    def _measure(
        self, patient: DemoPatient, device: DemoDevice, day: int, at: time, reading: Reading
    ) -> Measurement:
        local = self._local(day, at)
        stamped = replace(reading, time=local)
        return Measurement(
            patient, device, stamped, local.replace(tzinfo=self.zone).astimezone(UTC)
        )

    def day(self, day: int) -> list[Measurement]:
        """Everything measured on day ``day`` (0 = the epoch), in time order."""
        if day < 0:
            return []
        found = [
            *self._heart_failure(day),
            *self._spouse(day),
            *self._hypertension(day),
            *self._diabetes(day),
        ]
        return sorted(found, key=lambda m: (m.at, m.device.address))

    def between(self, start: datetime, end: datetime) -> list[Measurement]:
        """Measurements taken in [start, end) (aware times), in time order."""
        first = (start.astimezone(self.zone).date() - self.epoch).days - 1
        last = (end.astimezone(self.zone).date() - self.epoch).days + 1
        found: list[Measurement] = []
        for day in range(max(first, 0), last + 1):
            found.extend(m for m in self.day(day) if start <= m.at < end)
        return found

    # --- each patient's month ----------------------------------------------------

    def _rng(self, patient: DemoPatient, day: int) -> random.Random:
        return random.Random(f"{patient.id}:{self.epoch.isoformat()}:{day}")

    def _heart_failure(self, day: int) -> list[Measurement]:
        rng = self._rng(HEART_FAILURE, day)
        climb = min(max(day - CLIMB_FROM_DAY + 1, 0), 5) * 0.7  # +3.5 kg over five days
        weight = 82.0 + climb + rng.uniform(-0.3, 0.3)
        scale = Reading(
            Kind.WEIGHT,
            {"weight_kg": round(weight, 1)},
            user_index=USER_SLOTS[HEART_FAILURE.id],
        )
        minute = rng.randint(0, 20)
        systolic = rng.randint(112, 126)
        diastolic = rng.randint(66, 78)
        cuff = Reading(
            Kind.BLOOD_PRESSURE,
            {
                "systolic_mmhg": float(systolic),
                "diastolic_mmhg": float(diastolic),
                "mean_arterial_mmhg": float(round((systolic + 2 * diastolic) / 3)),
                "pulse_bpm": float(rng.randint(70, 86)),
            },
        )
        return [
            self._measure(HEART_FAILURE, SCALE, day, time(7, 10 + minute), scale),
            self._measure(HEART_FAILURE, CUFF_HF, day, time(7, 35 + minute), cuff),
        ]

    def _spouse(self, day: int) -> list[Measurement]:
        rng = self._rng(SPOUSE, day)
        if rng.random() < 0.15:  # skips a day now and then
            return []
        scale = Reading(
            Kind.WEIGHT,
            {"weight_kg": round(64.0 + rng.uniform(-0.4, 0.4), 1)},
            user_index=USER_SLOTS[SPOUSE.id],
        )
        return [self._measure(SPOUSE, SCALE, day, time(8, rng.randint(0, 45)), scale)]

    def _hypertension(self, day: int) -> list[Measurement]:
        rng = self._rng(HYPERTENSION, day)
        found = []
        for hour in (8, 20):
            systolic = rng.randint(146, 162)
            diastolic = rng.randint(88, 98)
            cuff = Reading(
                Kind.BLOOD_PRESSURE,
                {
                    "systolic_mmhg": float(systolic),
                    "diastolic_mmhg": float(diastolic),
                    "mean_arterial_mmhg": float(round((systolic + 2 * diastolic) / 3)),
                    "pulse_bpm": float(rng.randint(64, 80)),
                },
            )
            when = time(hour, rng.randint(0, 30))
            found.append(self._measure(HYPERTENSION, CUFF_HTN, day, when, cuff))
        return found

    def _diabetes(self, day: int) -> list[Measurement]:
        rng = self._rng(DIABETES, day)
        found = []
        for index, (hour, low, high) in enumerate(((7, 5.6, 7.8), (12, 6.5, 9.5), (19, 6.5, 10.0))):
            value = rng.uniform(low, high)
            if day == HYPO_DAY and index == 1:
                value = 3.4  # level 1 hypoglycaemia before lunch
            # The meter numbers its records; three a day, from 1.
            reading = Reading(
                Kind.GLUCOSE,
                {"glucose_mmol_l": round(value, 1)},
                sequence=day * 3 + index + 1,
                attributes={"sample_type": "capillary_whole_blood", "sample_location": "finger"},
            )
            when = time(hour, rng.randint(0, 25))
            found.append(self._measure(DIABETES, METER, day, when, reading))
        return found


def epoch_for(now: datetime, zone: str = ZONE) -> date:
    """The local date the history of a first run starts: ``HISTORY_DAYS`` before today."""
    return now.astimezone(ZoneInfo(zone)).date() - timedelta(days=HISTORY_DAYS)
