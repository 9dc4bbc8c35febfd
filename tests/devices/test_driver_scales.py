"""Scales as a patient pairs them: the installed registry picks the driver from what the
scale advertises, and the session gets the weight once plus any body composition."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime

import pytest
from bleak import BleakScanner

from devices.conformance import session
from devices.driver import DeviceInfo, Driver
from devices.reading import Kind, Reading
from devices.registry import Registry
from devices.sim import (
    BodyCompositionScale,
    VirtualRadio,
    WeightAndBodyCompositionScale,
    WeightScale,
)
from devices.sim.devices import MeasurementDevice

T0 = datetime(2026, 2, 2, 7, 30)
INFO = DeviceInfo("Acme", "Body 3", "SN-3", "1.0")
ADDRESS = "AA:BB:CC:00:02:01"
BODY = {"body_fat_pct": 24.5, "muscle_pct": 36.0, "impedance_ohm": 498.0, "weight_kg": 77.3}


async def pair_and_read(device: MeasurementDevice) -> tuple[str, list[Reading]]:
    """Scan as `veille pair` does, take the driver the registry names, run one session."""
    radio = VirtualRadio()
    radio.add(device)
    heard = await BleakScanner.discover(timeout=0.3, return_adv=True, backend=radio.scanner_backend)
    found, advertisement = heard[device.address]
    chosen = Registry().match(found.name, advertisement)
    assert chosen is not None, "no driver claims this scale"
    assert isinstance(chosen.driver, Driver)
    _, got = await session(radio, chosen.driver, device.address)
    return chosen.driver.name, got


def weights(got: list[Reading]) -> list[float | None]:
    return [r.metrics["weight_kg"] for r in got if r.kind is Kind.WEIGHT]


def bodies(got: list[Reading]) -> list[Mapping[str, float | None]]:
    return [r.metrics for r in got if r.kind is Kind.BODY_COMPOSITION]


@pytest.mark.parametrize(
    ("advertised", "driver"),
    [
        pytest.param(("181D", "181B"), "body_composition", id="advertises_both"),
        pytest.param(("181D",), "weight_scale", id="advertises_181D_has_both"),
        pytest.param(("181B",), "body_composition", id="advertises_181B_has_both"),
    ],
)
def test_a_scale_with_both_services_gives_weight_once_and_body_composition(
    advertised: tuple[str, ...], driver: str
) -> None:
    device = WeightAndBodyCompositionScale(
        ADDRESS, name="Body3", info=INFO, linger=0.05, advertised=advertised
    )
    device.store(Reading(Kind.BODY_COMPOSITION, BODY, time=T0, user_index=1))
    name, got = asyncio.run(pair_and_read(device))
    assert name == driver
    assert weights(got) == [pytest.approx(77.3)]
    (body,) = bodies(got)
    assert body["body_fat_pct"] == pytest.approx(24.5)
    assert body["impedance_ohm"] == pytest.approx(498.0)
    assert {(r.time, r.user_index) for r in got} == {(T0, 1)}


def test_a_scale_with_only_body_composition_weighs_through_it() -> None:
    device = BodyCompositionScale(ADDRESS, name="BCS", info=INFO, linger=0.05)
    device.store(Reading(Kind.BODY_COMPOSITION, BODY, time=T0, user_index=2))
    name, got = asyncio.run(pair_and_read(device))
    assert name == "body_composition"
    assert [r.kind for r in got] == [Kind.BODY_COMPOSITION, Kind.WEIGHT]
    assert weights(got) == [pytest.approx(77.3)]


def test_a_weight_only_scale_gives_its_weights() -> None:
    device = WeightScale(ADDRESS, name="WSS", info=INFO, linger=0.05)
    device.store(Reading(Kind.WEIGHT, {"weight_kg": 64.2}, time=T0, user_index=1))
    device.store(Reading(Kind.WEIGHT, {"weight_kg": 90.05}, time=T0, user_index=2))
    name, got = asyncio.run(pair_and_read(device))
    assert name == "weight_scale"
    assert [r.kind for r in got] == [Kind.WEIGHT, Kind.WEIGHT]
    assert weights(got) == [pytest.approx(64.2), pytest.approx(90.05)]
