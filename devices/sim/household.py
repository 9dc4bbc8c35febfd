"""A household in TOML: patients, their devices, what they measure and when, and what goes wrong.

The file's format is `devices.sim.household_file` (validated, every
mistake naming its key). ``Household.measurements(start,
end)`` turns the schedules into the measurements of that window,
deterministically (a seed per file); `SimulatedHome` builds the virtual
devices on a `VirtualRadio` and, as the world clock advances, has each
device take its measurements, store them and advertise, so a demo can
play weeks in a minute.

The same file drives the gateway's load test and kill -9 test: a schedule
may measure ``every_minutes`` (``count`` times at most) instead of at daily
``times``, a stored record may stand for ``count`` records, and a device may
advertise longer (``advertise_s``), so no second household format exists.

Days count from ``start`` (day 0). Schedule times are the patient's local
time; device clocks show the home's time zone (``timezone``).
"""

from __future__ import annotations

import math
import random
import tomllib
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from devices.driver import DeviceInfo
from devices.reading import Kind, Reading
from devices.sim.devices import (
    BloodPressureCuff,
    BodyCompositionScale,
    GlucoseMeter,
    MeasurementDevice,
    WeightScale,
)
from devices.sim.health import PulseOximeter, Thermometer
from devices.sim.household_file import HouseholdModel, ScheduleModel, StreamModel
from devices.sim.oximetry import stream_samples
from devices.sim.peripheral import VirtualPeripheral
from devices.sim.radio import VirtualRadio
from devices.sim.uds_scale import UdsScale
from veille.errors import ConfigError

_DEVICE_CLASSES: Mapping[str, type[VirtualPeripheral]] = {
    "weight_scale": WeightScale,
    "body_composition": BodyCompositionScale,
    "blood_pressure": BloodPressureCuff,
    "glucose": GlucoseMeter,
    "pulse_oximeter": PulseOximeter,
    "thermometer": Thermometer,
}
_KIND_OF_DEVICE = {
    "weight_scale": Kind.WEIGHT,
    "body_composition": Kind.BODY_COMPOSITION,
    "blood_pressure": Kind.BLOOD_PRESSURE,
    "glucose": Kind.GLUCOSE,
    "pulse_oximeter": Kind.SPO2,
    "thermometer": Kind.TEMPERATURE,
}
_GLUCOSE_SAMPLE = {"sample_type": "capillary_whole_blood", "sample_location": "finger"}


@dataclass(frozen=True, slots=True)
class Measurement:
    """One scheduled measurement: who, on which device, when (home time), what."""

    time: datetime
    patient: str
    device: str
    reading: Reading


class Household:
    def __init__(self, model: HouseholdModel) -> None:
        self.model = model
        self.devices = {d.address.upper(): d for d in model.devices}
        self.patients = {p.id: p for p in model.patients}

    @classmethod
    def load(cls, path: Path | str) -> Household:
        try:
            data = tomllib.loads(Path(path).read_text())
            return cls(HouseholdModel.model_validate(data))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise ConfigError(f"household {path}: {error}") from None
        except ValidationError as error:
            raise ConfigError(f"household {path}: {error}") from None

    def user_index(self, device: str, patient: str) -> int | None:
        users = self.devices[device.upper()].users
        slot = next((slot for slot, who in users.items() if who == patient), None)
        if slot is None:
            raise ConfigError(f"patient {patient} is not a user of device {device}")
        return None if slot == 0 else slot

    def pairings(self) -> dict[tuple[str, int | None], str]:
        """(device address, user index) -> patient: what the gateway's pairing table holds."""
        return {
            (address, None if slot == 0 else slot): patient
            for address, device in self.devices.items()
            for slot, patient in device.users.items()
        }

    def consent_code(self, device: str, user_index: int | None) -> int | None:
        """The consent code a multi-user scale's slot was registered with (User Data Service)."""
        if user_index is None:
            return None
        return self.devices[device.upper()].consent_codes.get(user_index)

    def streams(self, start: datetime, end: datetime) -> list[tuple[datetime, str, StreamModel]]:
        """Continuous oximetry sessions starting in ``start <= time < end``: (when, device, it)."""
        out = []
        for stream in self.model.streams:
            day = self.model.start + timedelta(days=stream.day)
            when = self._home_time(stream.patient, day, stream.at)
            if start <= when < end:
                out.append((when, stream.device.upper(), stream))
        return sorted(out, key=lambda s: s[0])

    def _home_time(self, patient: str, day: date, at: time) -> datetime:
        local = datetime.combine(day, at, ZoneInfo(self.patients[patient].timezone))
        return local.astimezone(ZoneInfo(self.model.timezone)).replace(tzinfo=None)

    def _reading(
        self,
        device: str,
        patient: str,
        metrics: Mapping[str, float],
        when: datetime,
        flags: tuple[str, ...] = (),
        attributes: Mapping[str, str] | None = None,
    ) -> Reading:
        kind = _KIND_OF_DEVICE[self.devices[device].type]
        values: dict[str, float | None] = dict(metrics)
        attrs: dict[str, str | int | float | bool | None] = dict(attributes or {})
        if kind is Kind.BLOOD_PRESSURE and "mean_arterial_mmhg" not in values:
            sys, dia = metrics["systolic_mmhg"], metrics["diastolic_mmhg"]
            values["mean_arterial_mmhg"] = round(dia + (sys - dia) / 3)
        if kind is Kind.GLUCOSE:
            attrs = {**_GLUCOSE_SAMPLE, **attrs}
        return Reading(
            kind,
            values,
            time=when,
            user_index=self.user_index(device, patient),
            flags=flags,
            attributes=attrs,
        )

    def measurements(self, start: datetime, end: datetime) -> list[Measurement]:
        """Scheduled measurements with ``start <= time < end`` (home time), in time order."""
        out: list[Measurement] = []
        for index, schedule in enumerate(self.model.schedules):
            if schedule.every_minutes is None:
                out += self._daily(index, schedule, start, end)
            else:
                out += self._periodic(index, schedule, schedule.every_minutes, start, end)
        return sorted((m for m in out if start <= m.time < end), key=lambda m: (m.time, m.device))

    def _metrics(
        self, schedule: ScheduleModel, day_number: int, rng: random.Random
    ) -> dict[str, float]:
        """Baseline, trend, ``add`` events (a daily step from ``day`` to ``until``, then held)
        and noise, for one measurement on ``day_number``."""
        offset = dict.fromkeys(schedule.baseline, 0.0)
        for event in schedule.events:
            if event.add and event.day <= day_number:
                last = day_number if event.until is None else min(day_number, event.until)
                for name, step in event.add.items():
                    offset[name] = offset.get(name, 0.0) + step * (last - event.day + 1)
        return {
            name: _rounded(
                name,
                base
                + schedule.trend_per_day.get(name, 0.0) * day_number
                + offset.get(name, 0.0)
                + rng.gauss(0.0, schedule.noise.get(name, 0.0)),
            )
            for name, base in schedule.baseline.items()
        }

    def _skipped(self, schedule: ScheduleModel, day_number: int, rng: random.Random) -> bool:
        skip_day = any(e.skip for e in schedule.events if e.day == day_number)
        return skip_day or rng.random() < schedule.skip_probability

    def _daily(
        self, index: int, schedule: ScheduleModel, start: datetime, end: datetime
    ) -> list[Measurement]:
        out: list[Measurement] = []
        device, first = schedule.device.upper(), self.model.start
        for day_number in range(
            max(0, (start.date() - first).days - 1), (end.date() - first).days + 2
        ):
            day = first + timedelta(days=day_number)
            rng = random.Random(zlib.crc32(f"{self.model.seed}|{index}|{day_number}".encode()))
            if self._skipped(schedule, day_number, rng):
                continue
            for at in schedule.times:
                when = self._home_time(schedule.patient, day, at)
                metrics = self._metrics(schedule, day_number, rng)
                reading = self._reading(device, schedule.patient, metrics, when)
                out.append(Measurement(when, schedule.patient, device, reading))
            for event in schedule.events:
                if event.day == day_number and event.set:
                    when = self._home_time(schedule.patient, day, event.at or time(12, 0))
                    reading = self._reading(
                        device,
                        schedule.patient,
                        event.set,
                        when,
                        event.flags,
                        event.attributes,
                    )
                    out.append(Measurement(when, schedule.patient, device, reading))
        return out

    def _periodic(
        self, index: int, schedule: ScheduleModel, every: float, start: datetime, end: datetime
    ) -> list[Measurement]:
        out: list[Measurement] = []
        device, origin = schedule.device.upper(), datetime.combine(self.model.start, time(0, 0))
        step = timedelta(minutes=every)
        number = max(1, math.ceil((start - origin) / step))
        while (schedule.count is None or number <= schedule.count) and origin + number * step < end:
            when = origin + number * step
            day_number = (when.date() - self.model.start).days
            rng = random.Random(zlib.crc32(f"{self.model.seed}|{index}|n{number}".encode()))
            if not self._skipped(schedule, day_number, rng):
                metrics = self._metrics(schedule, day_number, rng)
                reading = self._reading(device, schedule.patient, metrics, when)
                out.append(Measurement(when, schedule.patient, device, reading))
            number += 1
        return out

    def stored(self) -> list[Measurement]:
        """The records in the devices' memories at the start, oldest first per entry."""
        out: list[Measurement] = []
        for s in self.model.stored:
            device = s.device.upper()
            for n in range(s.count):
                at = s.at + n * timedelta(minutes=s.every_minutes)
                reading = self._reading(device, s.patient, s.metrics, at, s.flags, s.attributes)
                out.append(Measurement(at, s.patient, device, reading))
        return out


def _rounded(name: str, value: float) -> float:
    if name.endswith("_mmhg") or name == "pulse_bpm":
        return float(round(value))
    if name == "glucose_mmol_l":
        return max(0.6, round(value, 1))
    if name == "spo2_pct":
        return float(min(100, round(value)))  # oximeters show whole percents
    if name == "temperature_c":
        return round(value, 1)
    return round(value, 2)


class SimulatedHome:
    """A household's virtual devices on a radio, taking measurements as the world clock runs."""

    def __init__(self, household: Household, radio: VirtualRadio | None = None) -> None:
        self.household = household
        start = datetime.combine(household.model.start, time(0, 0))
        self.radio = radio or VirtualRadio(
            start=start, scan_interval=household.model.scan_interval_s
        )
        self.devices: dict[str, VirtualPeripheral] = {}
        for spec in household.model.devices:
            cls = UdsScale if spec.consent_codes else _DEVICE_CLASSES[spec.type]
            info = DeviceInfo(spec.manufacturer, spec.model, spec.serial, spec.firmware)
            extra = {"fahrenheit": True} if spec.fahrenheit else {}
            device = cls(
                spec.address,
                name=spec.name,
                info=info,
                faults=spec.faults.build(),
                advertise_seconds=spec.advertise_s,
                **extra,
            )
            if isinstance(device, UdsScale):
                for slot, code in spec.consent_codes.items():
                    device.add_user(code, slot)
            self.devices[device.address] = self.radio.add(device)
        for measurement in household.stored():
            self._store(measurement)
        self._clock = self.radio.now()

    def _store(self, measurement: Measurement) -> None:
        device = self.devices[measurement.device]
        if isinstance(device, MeasurementDevice | GlucoseMeter | PulseOximeter):
            device.store(measurement.reading)

    def advance_to(self, when: datetime) -> list[Measurement]:
        """Run the world clock to ``when``; the measurements taken on the way are stored."""
        taken = self.household.measurements(self._clock, when)
        for measurement in taken:
            if measurement.time > self.radio.now():
                self.radio.set_time(measurement.time)
            self._store(measurement)
        for at, address, stream in self.household.streams(self._clock, when):
            oximeter = self.devices[address]
            if isinstance(oximeter, PulseOximeter):
                seed = zlib.crc32(f"{self.household.model.seed}|{address}|{at}".encode())
                oximeter.stream(stream_samples(stream, seed))
        # A streaming oximeter lets world time pass by itself: the clock may be ahead.
        if when > self.radio.now():
            self.radio.set_time(when)
        self._clock = when
        return taken
