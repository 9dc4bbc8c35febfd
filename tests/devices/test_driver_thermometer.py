"""Health thermometer sessions through the simulator: °C and °F, intermediate values."""

from __future__ import annotations

import asyncio
import math
from datetime import datetime, timedelta

from devices.conformance import session
from devices.driver import DeviceInfo, DeviceState, Note, NoteKind
from devices.drivers.thermometer import ThermometerDriver
from devices.reading import Kind, Reading
from devices.sim import Thermometer, VirtualRadio

T0 = datetime(2026, 3, 2, 8, 0)
ADDRESS = "0D:00:00:00:00:01"
INFO = DeviceInfo("Acme", "Thermo F", "TH-1", "2.0")


def taken(celsius: float, hours: int = 0) -> Reading:
    return Reading(
        Kind.TEMPERATURE,
        {"temperature_c": celsius},
        time=T0 + timedelta(hours=hours),
        attributes={"site": "mouth"},
    )


def run(device: Thermometer) -> tuple[list[Reading], tuple[Note, ...]]:
    radio = VirtualRadio(start=T0 + timedelta(days=1))
    radio.add(device)
    driver = ThermometerDriver(timeout=0.5, idle=0.3)
    result, readings = asyncio.run(session(radio, driver, ADDRESS, DeviceState()))
    return readings, result.notes


def test_a_fahrenheit_thermometer_reads_in_celsius_and_settling_values_stay_out() -> None:
    device = Thermometer(ADDRESS, name="Thermo", info=INFO, fahrenheit=True)
    device.store(taken(36.8))
    device.store(taken(38.6, hours=6))
    readings, _ = run(device)
    assert [r.kind for r in readings] == [Kind.TEMPERATURE, Kind.TEMPERATURE]
    # 0.1 °F resolution: 38.6 °C is sent as 101.5 °F and read back within 0.03 °C.
    for reading, wanted in zip(readings, (36.8, 38.6), strict=True):
        assert math.isclose(reading.metrics["temperature_c"] or 0, wanted, abs_tol=0.03)
        assert reading.attributes == {"site": "mouth"}
    assert readings[1].time == T0 + timedelta(hours=6)


def test_a_celsius_thermometer_keeps_its_hundredths() -> None:
    device = Thermometer(ADDRESS, name="Thermo", info=INFO)
    device.store(taken(37.45))
    readings, _ = run(device)
    assert [r.metrics for r in readings] == [{"temperature_c": 37.45}]


def test_taken_off_early_leaves_the_last_intermediate_value_only() -> None:
    device = Thermometer(ADDRESS, name="Thermo", info=INFO)
    device.store(taken(36.9))
    device.take_off_early(taken(37.5))
    readings, notes = run(device)
    assert [(r.kind, r.metrics) for r in readings] == [
        (Kind.TEMPERATURE, {"temperature_c": 36.9}),
        (Kind.INTERMEDIATE_TEMPERATURE, {"temperature_c": 37.1}),
    ]
    assert [n.kind for n in notes] == [NoteKind.SUMMARY]
