"""The conformance kit, run on Veille's own drivers (the plugin runs it in test_plugin_miscale)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from devices.codecs import blood_pressure, body_composition, glucose, weight
from devices.conformance import (
    ConformanceError,
    Vector,
    check_malformed,
    check_round_trips,
    check_session,
    check_vectors,
)
from devices.driver import DeviceInfo, Driver
from devices.drivers.glucose import GlucoseDriver
from devices.drivers.scales import BloodPressureDriver, BodyCompositionDriver, WeightScaleDriver
from devices.reading import Kind, Reading
from devices.sim import BloodPressureCuff, GlucoseMeter, VirtualRadio, WeightScale

GATT = json.loads((Path(__file__).parents[1] / "data" / "gatt.json").read_text())
DRIVERS: dict[str, Driver] = {
    "2A9D": WeightScaleDriver(),
    "2A35": BloodPressureDriver(),
    "2A18": GlucoseDriver(),
    "2A9C": BodyCompositionDriver(),
}
T0 = datetime(2026, 4, 1, 8, 0)


def expected(decoded: dict[str, object]) -> Reading:
    time = decoded.get("time")
    return Reading(
        Kind(str(decoded["kind"])),
        dict(decoded["metrics"]),  # type: ignore[call-overload]
        time=datetime.fromisoformat(str(time)) if time else None,
        user_index=decoded.get("user_index"),  # type: ignore[arg-type]
        sequence=decoded.get("sequence"),  # type: ignore[arg-type]
        flags=tuple(decoded.get("flags", ())),  # type: ignore[arg-type]
        attributes=dict(decoded.get("attributes", {})),  # type: ignore[call-overload]
    )


def gatt_vectors(char: str) -> list[Vector]:
    good = [
        Vector(v["name"], char, bytes.fromhex(v["hex"]), (expected(v["expect"]),))
        for v in GATT["vectors"]
        if v["characteristic"] == char
    ]
    bad = [
        Vector(v["name"], char, bytes.fromhex(v["hex"]), None)
        for v in GATT["errors"]
        if v["characteristic"] == char
    ]
    return good + bad


@pytest.mark.parametrize("char", ["2A9D", "2A35", "2A18"])
def test_our_drivers_pass_the_shared_vectors(char: str) -> None:
    vectors = gatt_vectors(char)
    assert vectors
    report = check_vectors(DRIVERS[char], vectors, tolerance=1e-3)
    report.raise_for_failures()
    assert report.passed == len(vectors)


def test_a_wrong_vector_fails_the_kit_with_its_name() -> None:
    wrong = Vector(
        "weight_says_71",
        "2A9D",
        bytes.fromhex("00b036"),
        (Reading(Kind.WEIGHT, {"weight_kg": 71.0}),),
    )
    refused_but_fine = Vector("should_refuse", "2A9D", bytes.fromhex("00b036"), None)
    report = check_vectors(WeightScaleDriver(), [wrong, refused_but_fine])
    with pytest.raises(
        ConformanceError, match=re.escape("weight_says_71: reading 0: weight_kg = 70.0 != 71.0")
    ):
        report.raise_for_failures()
    assert len(report.failures) == 2


ROUND_TRIPS: dict[str, tuple[Callable[[Reading], bytes], list[Reading]]] = {
    "2A9D": (weight.encode, [Reading(Kind.WEIGHT, {"weight_kg": 80.5}, time=T0, user_index=2)]),
    "2A35": (
        blood_pressure.encode,
        [
            Reading(
                Kind.BLOOD_PRESSURE,
                {"systolic_mmhg": 141.0, "diastolic_mmhg": 88.0, "mean_arterial_mmhg": 105.0},
                time=T0,
                flags=("body_movement",),
            )
        ],
    ),
    "2A18": (
        glucose.encode,
        [
            Reading(
                Kind.GLUCOSE,
                {"glucose_mmol_l": 3.2},
                time=T0,
                sequence=7,
                attributes={"sample_type": "capillary_plasma", "sample_location": "finger"},
            )
        ],
    ),
    "2A9C": (
        body_composition.encode,
        [Reading(Kind.BODY_COMPOSITION, {"body_fat_pct": 22.5, "weight_kg": 70.0}, time=T0)],
    ),
}


@pytest.mark.parametrize("char", sorted(ROUND_TRIPS))
def test_our_drivers_round_trip_and_survive_malformed_input(char: str) -> None:
    encode, readings = ROUND_TRIPS[char]
    check_round_trips(DRIVERS[char], char, readings, encode, tolerance=0.01).raise_for_failures()
    seeds = [encode(r) for r in readings] + [v.payload for v in gatt_vectors(char)]
    report = check_malformed(DRIVERS[char], char, seeds, examples=1500, seed=20260401)
    report.raise_for_failures()
    assert report.passed >= 1500


def test_malformed_check_catches_a_decoder_that_raises_something_else() -> None:
    class Sloppy(WeightScaleDriver):
        name = "sloppy"

        def decode(self, characteristic: str, payload: bytes) -> Reading:
            return Reading(Kind.WEIGHT, {"weight_kg": payload[1] / 2})  # IndexError on short input

    report = check_malformed(Sloppy(), "2A9D", [bytes.fromhex("00b036")], examples=50, seed=1)
    assert any("IndexError" in failure for failure in report.failures)
    assert "seed=1" in report.check


def test_sessions_of_our_drivers_against_the_simulator() -> None:
    info = DeviceInfo("Acme", "X", "1", "1")
    radio = VirtualRadio(start=T0 + timedelta(hours=1))
    scale = radio.add(WeightScale("01:00:00:00:00:01", name="S", info=info, linger=0.05))
    cuff = radio.add(BloodPressureCuff("01:00:00:00:00:02", name="C", info=info, linger=0.05))
    meter = radio.add(GlucoseMeter("01:00:00:00:00:03", name="G", info=info))
    w = Reading(Kind.WEIGHT, {"weight_kg": 93.2}, time=T0, user_index=1)
    bp = Reading(
        Kind.BLOOD_PRESSURE,
        {"systolic_mmhg": 128.0, "diastolic_mmhg": 79.0, "mean_arterial_mmhg": 95.0},
        time=T0,
    )
    g = Reading(
        Kind.GLUCOSE,
        {"glucose_mmol_l": 5.1},
        time=T0,
        attributes={"sample_type": "capillary_whole_blood", "sample_location": "finger"},
    )
    assert isinstance(scale, WeightScale)
    assert isinstance(cuff, BloodPressureCuff)
    assert isinstance(meter, GlucoseMeter)
    scale.store(w)
    cuff.store(bp)
    stored = meter.store(g)

    async def run() -> None:
        for driver, address, want in (
            (WeightScaleDriver(), scale.address, [w]),
            (BloodPressureDriver(), cuff.address, [bp]),
            (GlucoseDriver(), meter.address, [stored]),
        ):
            (await check_session(driver, radio, address, want)).raise_for_failures()

    asyncio.run(run())
