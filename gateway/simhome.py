"""A simulated home for `veille gateway run` with ``[gateway.ble] backend = "simulator"``.

The household file describes virtual devices on the simulator's radio
(`devices.sim`) and how often each measures, so a whole gateway process
(the benchmark, the kill -9 test, a demo) runs on the same code as on a Pi::

    [household]
    tick_s = 1.0            # real seconds between world-clock minutes
    [[device]]
    type = "weight_scale"   # weight_scale | body_composition | blood_pressure | glucose
    address = "A4:C1:38:00:00:01"
    every_ticks = 3         # a measurement every 3 ticks (0: never)
    count = 20              # measurements in total (0: forever)
    stored = 0              # glucose: records already in the meter's memory
    users = [1]             # user indexes the measurements cycle through
    refuse_connections = 0  # fault: the first N connections fail

Each measurement is stamped by the world clock, which advances a minute per
tick, so two measurements of one device never share a device time (their
reading ids differ, as on real devices). A device measured ``count`` times
writes nothing more; `World.expected` says how many readings the home makes.
"""

from __future__ import annotations

import asyncio
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from devices.driver import DeviceInfo
from devices.reading import Kind, Reading
from devices.sim import (
    BloodPressureCuff,
    BodyCompositionScale,
    Faults,
    GlucoseMeter,
    VirtualRadio,
    WeightScale,
)
from veille.errors import ConfigError

DeviceType = Literal["weight_scale", "body_composition", "blood_pressure", "glucose"]


class SimDevice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: DeviceType
    address: Annotated[str, Field(min_length=1, max_length=64)]
    every_ticks: int = Field(default=5, ge=0)
    count: int = Field(default=0, ge=0)
    stored: int = Field(default=0, ge=0)
    users: list[Annotated[int, Field(ge=0, le=254)]] = Field(default_factory=lambda: [1])
    refuse_connections: int = Field(default=0, ge=0)
    advertise_s: float = Field(default=5.0, gt=0)


class SimHousehold(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tick_s: float = Field(default=1.0, gt=0)
    start: datetime = datetime(2026, 1, 5, 7, 0)
    scan_interval_s: float = Field(default=0.5, gt=0)


class SimFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    household: SimHousehold = Field(default_factory=SimHousehold)
    device: list[SimDevice] = Field(default_factory=list)


def load(path: Path) -> SimFile:
    try:
        with path.open("rb") as handle:
            return SimFile.model_validate(tomllib.load(handle))
    except OSError as err:
        raise ConfigError(f"household file {path}: {err.strerror}") from err
    except (tomllib.TOMLDecodeError, ValidationError) as err:
        raise ConfigError(f"household file {path}: {err}") from err


@dataclass(slots=True)
class _Measuring:
    spec: SimDevice
    device: WeightScale | BodyCompositionScale | BloodPressureCuff | GlucoseMeter
    done: int = 0


def _reading(kind: DeviceType, n: int, when: datetime, user: int) -> Reading:
    if kind == "weight_scale":
        return Reading(Kind.WEIGHT, {"weight_kg": 60 + n % 30 / 10}, time=when, user_index=user)
    if kind == "body_composition":
        metrics = {"body_fat_pct": 20 + n % 10 / 10, "weight_kg": 70.0, "impedance_ohm": 500.0}
        return Reading(Kind.BODY_COMPOSITION, metrics, time=when, user_index=user)
    if kind == "blood_pressure":
        metrics = {
            "systolic_mmhg": 120.0 + n % 20,
            "diastolic_mmhg": 80.0,
            "mean_arterial_mmhg": 93.0,
        }
        return Reading(Kind.BLOOD_PRESSURE, metrics, time=when, user_index=user)
    attributes: dict[str, str | int | float | bool | None] = {
        "sample_type": "capillary_whole_blood",
        "sample_location": "finger",
    }
    return Reading(
        Kind.GLUCOSE, {"glucose_mmol_l": 4 + n % 40 / 10}, time=when, attributes=attributes
    )


class World:
    """The radio and the devices that measure on it, driven by `run`."""

    def __init__(self, spec: SimFile) -> None:
        self.spec = spec
        self.radio = VirtualRadio(
            start=spec.household.start, scan_interval=spec.household.scan_interval_s
        )
        self.devices: list[_Measuring] = []
        for item in spec.device:
            common: dict[str, Any] = {
                "name": item.type,
                "info": DeviceInfo(manufacturer="Veille Sim", model=item.type, serial=item.address),
                "faults": Faults(refuse_connections=item.refuse_connections),
                "advertise_seconds": item.advertise_s,
            }
            device: WeightScale | BodyCompositionScale | BloodPressureCuff | GlucoseMeter
            if item.type == "weight_scale":
                device = WeightScale(item.address, linger=0.05, **common)
            elif item.type == "body_composition":
                device = BodyCompositionScale(item.address, linger=0.05, **common)
            elif item.type == "blood_pressure":
                device = BloodPressureCuff(item.address, linger=0.05, **common)
            else:
                device = GlucoseMeter(item.address, **common)
            self.radio.add(device)
            self.devices.append(_Measuring(item, device))

    def expected(self) -> int:
        """Readings the home will have made once every device measured ``count`` times."""
        return sum(d.spec.count + d.spec.stored for d in self.devices)

    def _measure(self, item: _Measuring) -> None:
        spec = item.spec
        when = self.radio.now()
        user = spec.users[item.done % len(spec.users)]
        reading = _reading(spec.type, item.done, when, user)
        item.device.store(reading)
        item.done += 1

    async def run(self) -> None:
        """Fill the meters' memories, then measure on schedule, forever."""
        for item in self.devices:
            for n in range(item.spec.stored):
                when = self.radio.now() - timedelta(minutes=item.spec.stored - n)
                stored = _reading(item.spec.type, n, when, 1)
                if isinstance(item.device, GlucoseMeter):
                    item.device.store(stored)
        tick = 0
        while True:
            await asyncio.sleep(self.spec.household.tick_s)
            tick += 1
            self.radio.advance(timedelta(minutes=1))
            for item in self.devices:
                spec = item.spec
                if not spec.every_ticks or tick % spec.every_ticks:
                    continue
                if spec.count and item.done >= spec.count:
                    continue
                self._measure(item)
