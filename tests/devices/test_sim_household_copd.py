"""The demo household's COPD follow-up through the drivers: stored spot-checks (one
download dropped and resumed), a night's continuous session summarised with its
desaturation, a thermometer in Fahrenheit read in Celsius, and the fever."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from devices.conformance import session
from devices.driver import DeviceState
from devices.drivers.oximeter import PulseOximeterDriver
from devices.drivers.thermometer import ThermometerDriver
from devices.reading import Kind, Reading
from devices.sim import PulseOximeter
from devices.sim.household import Household, SimulatedHome
from veille.errors import DeviceError

DEMO = Path(__file__).resolve().parents[2] / "devices" / "sim" / "households" / "demo.toml"
START = datetime(2026, 1, 5)
OXIMETER, THERMOMETER = "C4:7C:8D:6A:10:05", "C4:7C:8D:6A:10:06"


def test_the_copd_patients_devices_tell_the_exacerbation() -> None:
    demo = Household.load(DEMO)
    home = SimulatedHome(demo)
    home.advance_to(START + timedelta(days=21, hours=23, minutes=11))  # the night of day 21
    oximeter = home.devices[OXIMETER]
    assert isinstance(oximeter, PulseOximeter)
    assert oximeter.samples  # the night of day 21 waits for the gateway to connect

    async def rounds() -> tuple[list[Reading], list[Reading], int]:
        first: list[Reading] = []
        with pytest.raises(DeviceError, match="link lost"):
            await session(home.radio, PulseOximeterDriver(idle=0.3), OXIMETER, into=first)
        oximeter.wake()
        driver = PulseOximeterDriver(idle=0.3)
        result, readings = await session(home.radio, driver, OXIMETER, DeviceState())
        home.advance_to(START + timedelta(days=22, hours=9))
        _, temperatures = await session(home.radio, ThermometerDriver(idle=0.3), THERMOMETER)
        return first + readings, temperatures, result.state.last_sequence or 0

    readings, temperatures, cursor = asyncio.run(rounds())
    spots = {r.time: r for r in readings if r.kind is Kind.SPO2}  # a replay is the same one
    assert len(spots) == 2 + 2 * 22  # stored before the start, then twice a day to day 21
    assert cursor > 0
    summaries = [r for r in readings if r.kind is Kind.SPO2_CONTINUOUS]
    [dip] = [r for r in summaries if r.attributes["summary"] == "desaturation"]
    assert dip.metrics["spo2_pct"] == 82.0
    assert dip.time is not None
    assert dip.time.date() == (START + timedelta(days=21)).date()
    assert sum(r.attributes["summary"] == "minute" for r in summaries) >= 10
    fever = [r for r in temperatures if (r.metrics["temperature_c"] or 0) >= 38.0]
    assert len(fever) >= 2  # confirmed by a second reading
    assert all(30.0 < (r.metrics["temperature_c"] or 0) < 42.0 for r in temperatures)  # °C
