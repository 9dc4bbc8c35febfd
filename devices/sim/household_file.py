"""The household file's format: patients, devices, schedules and stored records, validated.

The file is a trust boundary (people write it), so every mistake names its
key; `devices.sim.household` turns a valid file into measurements and a
simulated home.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from devices.reading import METRICS
from devices.sim.peripheral import Faults

DeviceType = Literal[
    "weight_scale", "body_composition", "blood_pressure", "glucose", "pulse_oximeter", "thermometer"
]


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
    #: real seconds it advertises after a measurement
    advertise_s: float = Field(default=5.0, gt=0)
    #: a multi-user scale with the User Data Service: user slot -> its consent code
    consent_codes: dict[int, int] = {}
    #: a thermometer that sends °F
    fahrenheit: bool = False

    @model_validator(mode="after")
    def _consent(self) -> DeviceModel:
        if self.consent_codes and self.type != "weight_scale":
            raise ValueError("consent_codes are for a multi-user weight_scale (User Data Service)")
        if set(self.consent_codes) - set(self.users):
            raise ValueError("consent_codes name a user slot that users does not")
        if any(not 0 <= code <= 9999 for code in self.consent_codes.values()):
            raise ValueError("a consent code is 0..9999")
        return self


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
    """Daily at ``times`` (patient's local time), or every ``every_minutes`` of home time
    from the start (the first one ``every_minutes`` in), ``count`` times at most."""

    patient: str
    device: str
    times: list[time] = []
    every_minutes: float | None = Field(default=None, gt=0)
    count: int | None = Field(default=None, ge=0)
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

    @model_validator(mode="after")
    def _when(self) -> ScheduleModel:
        if bool(self.times) == (self.every_minutes is not None):
            raise ValueError("a schedule has either times or every_minutes")
        return self


class StoredModel(_Model):
    """Records already in a device's memory when the simulation starts: ``count`` of them,
    ``every_minutes`` apart from ``at``."""

    device: str
    patient: str
    at: datetime
    count: int = Field(default=1, ge=1)
    every_minutes: float = Field(default=1.0, gt=0)
    metrics: dict[str, float]
    flags: tuple[str, ...] = ()
    attributes: dict[str, str] = {}


class DesaturationModel(_Model):
    """A fall of SpO2 to ``nadir_pct`` ``after_minutes`` into a stream, held ``seconds``."""

    after_minutes: float = Field(ge=0)
    nadir_pct: float = Field(ge=50, le=100)
    seconds: float = Field(default=30.0, gt=0)


class StreamModel(_Model):
    """A continuous oximetry session on ``day`` at ``at``: one sample a second for
    ``minutes``, around ``baseline`` (``spo2_pct``, ``pulse_bpm``), with its desaturations."""

    patient: str
    device: str
    day: int = Field(ge=0)
    at: time
    minutes: float = Field(gt=0, le=120)
    baseline: dict[str, float]
    desaturations: list[DesaturationModel] = []


class HouseholdModel(_Model):
    name: str
    start: date
    timezone: str = "Europe/Paris"
    seed: int = 0
    #: real seconds between two rounds of the virtual scanner (idle CPU of a long run)
    scan_interval_s: float = Field(default=0.02, gt=0)
    patients: list[PatientModel]
    devices: list[DeviceModel]
    schedules: list[ScheduleModel] = []
    stored: list[StoredModel] = []
    streams: list[StreamModel] = []

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
        pairs += [(s.patient, s.device) for s in self.streams]
        for patient, address in pairs:
            if patient not in patients:
                raise ValueError(f"unknown patient {patient}")
            if address.upper() not in addresses:
                raise ValueError(f"unknown device {address}")
        return self
