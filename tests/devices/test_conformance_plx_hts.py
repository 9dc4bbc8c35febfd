"""The conformance kit on the pulse oximeter and thermometer drivers: the shared PLX/HTS
vectors, round trips, malformed input and whole sessions against the simulator."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from devices.codecs import intermediate_temperature, plx_continuous, plx_spot_check, temperature
from devices.conformance import (
    Vector,
    check_malformed,
    check_round_trips,
    check_session,
    check_vectors,
)
from devices.driver import DeviceInfo, Driver
from devices.drivers.oximeter import PulseOximeterDriver
from devices.drivers.thermometer import ThermometerDriver
from devices.reading import Kind, Reading
from devices.sim import PulseOximeter, Thermometer, VirtualRadio
from tests.conftest import DATA
from tests.devices.test_conformance import expected

SHARED: dict[str, Any] = json.loads((DATA / "gatt_plx_hts.json").read_text())
OXIMETER, THERMOMETER = PulseOximeterDriver(), ThermometerDriver()
DRIVERS: dict[str, Driver] = {
    "2A5E": OXIMETER,
    "2A5F": OXIMETER,
    "2A1C": THERMOMETER,
    "2A1E": THERMOMETER,
}
T0 = datetime(2026, 4, 1, 8, 0)


def vectors(char: str) -> list[Vector]:
    good = [
        Vector(v["name"], char, bytes.fromhex(v["hex"]), (expected(v["expect"]),))
        for v in SHARED["vectors"]
        if v["characteristic"] == char
    ]
    bad = [
        Vector(v["name"], char, bytes.fromhex(v["hex"]), None)
        for v in SHARED["errors"]
        if v["characteristic"] == char
    ]
    return good + bad


@pytest.mark.parametrize("char", sorted(DRIVERS))
def test_the_new_drivers_pass_the_shared_vectors(char: str) -> None:
    cases = vectors(char)
    assert cases
    report = check_vectors(DRIVERS[char], cases, tolerance=1e-3)
    report.raise_for_failures()
    assert report.passed == len(cases)


ROUND_TRIPS: dict[str, tuple[Callable[..., bytes], list[Reading]]] = {
    "2A5E": (
        plx_spot_check.encode,
        [
            Reading(
                Kind.SPO2,
                {"spo2_pct": 91.0, "pulse_bpm": 88.0, "pulse_amplitude_index_pct": 2.5},
                time=T0,
                flags=("low_perfusion_detected", "validated_data"),
            )
        ],
    ),
    "2A5F": (
        plx_continuous.encode,
        [
            Reading(
                Kind.SPO2_CONTINUOUS,
                {
                    "spo2_pct": 90.0,
                    "pulse_bpm": 70.0,
                    "spo2_fast_pct": 89.0,
                    "pulse_fast_bpm": 72.0,
                },
                flags=("sensor_displaced",),
            )
        ],
    ),
    "2A1C": (
        temperature.encode,
        [Reading(Kind.TEMPERATURE, {"temperature_c": 38.25}, time=T0, attributes={"site": "ear"})],
    ),
    "2A1E": (
        intermediate_temperature.encode,
        [Reading(Kind.INTERMEDIATE_TEMPERATURE, {"temperature_c": 36.5})],
    ),
}


@pytest.mark.parametrize("char", sorted(ROUND_TRIPS))
def test_the_new_drivers_round_trip_and_survive_malformed_input(char: str) -> None:
    encode, readings = ROUND_TRIPS[char]
    check_round_trips(DRIVERS[char], char, readings, encode, tolerance=0.01).raise_for_failures()
    seeds = [encode(r) for r in readings] + [v.payload for v in vectors(char)]
    report = check_malformed(DRIVERS[char], char, seeds, examples=1500, seed=20260402)
    report.raise_for_failures()
    assert report.passed >= 1500


def test_sessions_of_the_new_drivers_against_the_simulator() -> None:
    info = DeviceInfo("Acme", "X", "1", "1")
    radio = VirtualRadio(start=T0 + timedelta(hours=1))
    oximeter = PulseOximeter("02:00:00:00:00:01", name="O", info=info)
    thermometer = Thermometer("02:00:00:00:00:02", name="T", info=info, linger=0.05)
    radio.add(oximeter)
    radio.add(thermometer)
    spot = Reading(Kind.SPO2, {"spo2_pct": 94.0, "pulse_bpm": 77.0}, time=T0)
    fever = Reading(Kind.TEMPERATURE, {"temperature_c": 38.4}, time=T0, attributes={"site": "ear"})
    oximeter.store(spot)
    thermometer.store(fever)
    from_storage = Reading(
        Kind.SPO2, spot.metrics, time=T0, flags=("data_from_measurement_storage",)
    )

    async def run() -> None:
        for driver, address, want in (
            (PulseOximeterDriver(idle=0.2), oximeter.address, [from_storage]),
            (ThermometerDriver(), thermometer.address, [fever]),
        ):
            (await check_session(driver, radio, address, want)).raise_for_failures()

    asyncio.run(run())
