"""A household in TOML: patients, their devices, what they measure and when, and what goes wrong.

The file is a trust boundary (people write it), so it is validated with
pydantic and every mistake names its key. ``Household.measurements(start,
end)`` turns the schedules into the measurements of that window,
deterministically (a seed per file); `SimulatedHome` builds the virtual
devices on a `VirtualRadio` and, as the world clock advances, has each
device take its measurements, store them and advertise, so a demo can
play weeks in a minute.

Days count from ``start`` (day 0). Schedule times are the patient's local
time; device clocks show the home's time zone (``timezone``).
"""

from __future__ import annotations

import random
import tomllib
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from devices.driver import DeviceInfo
from devices.reading import METRICS, Kind, Reading
from devices.sim.devices import (
    BloodPressureCuff,
    BodyCompositionScale,
    GlucoseMeter,
    MeasurementDevice,
    WeightScale,
)
from devices.sim.peripheral import Faults, VirtualPeripheral
from devices.sim.radio import VirtualRadio
from veille.errors import ConfigError

DeviceType = Literal["weight_scale", "body_composition", "blood_pressure", "glucose"]
_DEVICE_CLASSES: Mapping[str, type[VirtualPeripheral]] = {
    "weight_scale": WeightScale,
    "body_composition": BodyCompositionScale,
    "blood_pressure": BloodPressureCuff,
    "glucose": GlucoseMeter,
}
_KIND_OF_DEVICE = {
    "weight_scale": Kind.WEIGHT,
    "body_composition": Kind.BODY_COMPOSITION,
    "blood_pressure": Kind.BLOOD_PRESSURE,
    "glucose": Kind.GLUCOSE,
}
_GLUCOSE_SAMPLE = {"sample_type": "capillary_whole_blood", "sample_location": "finger"}


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Paris") from None
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PatientModel(_Model):
    id: str = Field(pattern=r"^p-[0-9a-z]{4,12}$", description="pseudonymous id, never a name")
    timezone: str = "Europe/Paris"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _time_zone(value)


class FaultsModel(_Model):
    refuse_connections: int = Field(default=0, ge=0)
    disconnect_after: int | None = Field(default=None, ge=0)
    truncate_record: int | None = Field(default=None, ge=0)
    garbage_record: int | None = Field(default=None, ge=0)
    clock_offset_minutes: float = 0.0
    resend_known: bool = False

    def build(self) -> Faults:
        return Faults(
            refuse_connections=self.refuse_connections,
            disconnect_after=self.disconnect_after,
            truncate_record=self.truncate_record,
            garbage_record=self.garbage_record,
            clock_offset=timedelta(minutes=self.clock_offset_minutes),
            resend_known=self.resend_known,
        )


class DeviceModel(_Model):
    type: DeviceType
    address: str = Field(pattern=r"^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$")
    name: str
    manufacturer: str = "Veille Sim"
    model: str
    serial: str = "0001"
    firmware: str = "1.0"
    #: user slot -> patient; slot "0" is a single-user device (readings carry no user index)
    users: dict[int, str]
    faults: FaultsModel = FaultsModel()


class EventModel(_Model):
    """``add``: a daily step from ``day`` to ``until`` (then held); ``set``: one extra measurement;
    ``skip``: no measurement that day."""

    day: int = Field(ge=0)
    until: int | None = None
    add: dict[str, float] = {}
    set: dict[str, float] = {}
    at: time | None = None
    flags: tuple[str, ...] = ()
    attributes: dict[str, str] = {}
    skip: bool = False


class ScheduleModel(_Model):
    patient: str
    device: str
    times: list[time] = Field(min_length=1)
    baseline: dict[str, float]
    trend_per_day: dict[str, float] = {}
    noise: dict[str, float] = {}
    events: list[EventModel] = []
    skip_probability: float = Field(default=0.0, ge=0, le=1)

    @field_validator("baseline", "trend_per_day", "noise")
    @classmethod
    def _metrics(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = set(value) - METRICS.keys()
        if unknown:
            raise ValueError(f"unknown metric(s) {sorted(unknown)}")
        return value


class StoredModel(_Model):
    """A record already in a device's memory when the simulation starts."""

    device: str
    patient: str
    at: datetime
    metrics: dict[str, float]
    flags: tuple[str, ...] = ()
    attributes: dict[str, str] = {}


class HouseholdModel(_Model):
    name: str
    start: date
    timezone: str = "Europe/Paris"
    seed: int = 0
    patients: list[PatientModel]
    devices: list[DeviceModel]
    schedules: list[ScheduleModel] = []
    stored: list[StoredModel] = []

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _time_zone(value)

    @model_validator(mode="after")
    def _references(self) -> HouseholdModel:
        patients = {p.id for p in self.patients}
        addresses = {d.address.upper() for d in self.devices}
        for device in self.devices:
            for patient in device.users.values():
                if patient not in patients:
                    raise ValueError(f"device {device.address}: unknown patient {patient}")
        pairs = [(s.patient, s.device) for s in self.schedules]
        pairs += [(s.patient, s.device) for s in self.stored]
        for patient, address in pairs:
            if patient not in patients:
                raise ValueError(f"unknown patient {patient}")
            if address.upper() not in addresses:
                raise ValueError(f"unknown device {address}")
        return self


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

    def _home_time(self, patient: str, day: date, at: time) -> datetime:
        local = datetime.combine(day, at, ZoneInfo(self.patients[patient].timezone))
        return local.astimezone(ZoneInfo(self.model.timezone)).replace(tzinfo=None)

    def _reading(
        self,
        device: str,
        patient: str,
        metrics: dict[str, float],
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
        first = self.model.start
        for index, schedule in enumerate(self.model.schedules):
            device = schedule.device.upper()
            days = range(max(0, (start.date() - first).days - 1), (end.date() - first).days + 2)
            for day_number in days:
                day = first + timedelta(days=day_number)
                seed = zlib.crc32(f"{self.model.seed}|{index}|{day_number}".encode())
                rng = random.Random(seed)
                events = [e for e in schedule.events if e.day == day_number]
                if any(e.skip for e in events) or rng.random() < schedule.skip_probability:
                    continue
                offset = dict.fromkeys(schedule.baseline, 0.0)
                for event in schedule.events:
                    if event.add and event.day <= day_number:
                        # grows by ``add`` a day from ``day`` to ``until``, then holds
                        last = day_number if event.until is None else min(day_number, event.until)
                        span = last - event.day + 1
                        for name, step in event.add.items():
                            offset[name] = offset.get(name, 0.0) + step * span
                for at in schedule.times:
                    metrics = {
                        name: _rounded(
                            name,
                            base
                            + schedule.trend_per_day.get(name, 0.0) * day_number
                            + offset.get(name, 0.0)
                            + rng.gauss(0.0, schedule.noise.get(name, 0.0)),
                        )
                        for name, base in schedule.baseline.items()
                    }
                    when = self._home_time(schedule.patient, day, at)
                    reading = self._reading(device, schedule.patient, metrics, when)
                    out.append(Measurement(when, schedule.patient, device, reading))
                for event in events:
                    if event.set:
                        when = self._home_time(schedule.patient, day, event.at or time(12, 0))
                        reading = self._reading(
                            device,
                            schedule.patient,
                            dict(event.set),
                            when,
                            event.flags,
                            event.attributes,
                        )
                        out.append(Measurement(when, schedule.patient, device, reading))
        return sorted((m for m in out if start <= m.time < end), key=lambda m: (m.time, m.device))

    def stored(self) -> list[Measurement]:
        return [
            Measurement(
                s.at,
                s.patient,
                s.device.upper(),
                self._reading(
                    s.device.upper(), s.patient, dict(s.metrics), s.at, s.flags, s.attributes
                ),
            )
            for s in self.model.stored
        ]


def _rounded(name: str, value: float) -> float:
    if name.endswith("_mmhg") or name == "pulse_bpm":
        return float(round(value))
    if name == "glucose_mmol_l":
        return max(0.6, round(value, 1))
    return round(value, 2)


class SimulatedHome:
    """A household's virtual devices on a radio, taking measurements as the world clock runs."""

    def __init__(self, household: Household, radio: VirtualRadio | None = None) -> None:
        self.household = household
        start = datetime.combine(household.model.start, time(0, 0))
        self.radio = radio or VirtualRadio(start=start)
        self.devices: dict[str, VirtualPeripheral] = {}
        for spec in household.model.devices:
            cls = _DEVICE_CLASSES[spec.type]
            info = DeviceInfo(spec.manufacturer, spec.model, spec.serial, spec.firmware)
            device = cls(spec.address, name=spec.name, info=info, faults=spec.faults.build())
            self.devices[device.address] = self.radio.add(device)
        for measurement in household.stored():
            self._store(measurement)
        self._clock = self.radio.now()

    def _store(self, measurement: Measurement) -> None:
        device = self.devices[measurement.device]
        if isinstance(device, MeasurementDevice | GlucoseMeter):
            device.store(measurement.reading)

    def advance_to(self, when: datetime) -> list[Measurement]:
        """Run the world clock to ``when``; the measurements taken on the way are stored."""
        taken = self.household.measurements(self._clock, when)
        for measurement in taken:
            if measurement.time > self.radio.now():
                self.radio.set_time(measurement.time)
            self._store(measurement)
        self.radio.set_time(when)
        self._clock = when
        return taken
