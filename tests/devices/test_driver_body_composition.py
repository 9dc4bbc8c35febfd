"""Body-composition scales: the weight they carry reaches the rules as a weight reading, once."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from devices.conformance import session
from devices.driver import DeviceInfo
from devices.drivers.scales import BodyCompositionDriver
from devices.envelope import reading_id
from devices.reading import Kind, Reading
from devices.sim import BodyCompositionScale, Faults, VirtualRadio, WeightAndBodyCompositionScale

T0 = datetime(2026, 2, 2, 7, 30)
INFO = DeviceInfo("Acme", "Body 2", "SN-2", "1.4")
ADDRESS = "AA:BB:CC:00:01:01"
LB = 0.45359237


def composition(**metrics: float | None) -> Reading:
    return Reading(Kind.BODY_COMPOSITION, {"body_fat_pct": 28.4, **metrics}, time=T0, user_index=2)


def rid(reading: Reading) -> str:
    return reading_id(
        ADDRESS,
        reading.kind,
        sequence=reading.sequence,
        device_time=reading.time,
        user_index=reading.user_index,
    )


def run(device: BodyCompositionScale) -> list[Reading]:
    radio = VirtualRadio()
    radio.add(device)
    _, got = asyncio.run(session(radio, BodyCompositionDriver(), device.address))
    return got


def scale(**options: object) -> BodyCompositionScale:
    return BodyCompositionScale(ADDRESS, name="BCS", info=INFO, linger=0.05, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("split", "imperial", "kg"),
    [
        pytest.param(False, False, 88.1, id="one_packet_kg"),
        pytest.param(True, False, 88.1, id="two_packets_kg"),
        pytest.param(False, True, 194.2 * LB, id="one_packet_lb"),
    ],
)
def test_a_scale_with_only_body_composition_also_sends_its_weight(
    split: bool, imperial: bool, kg: float
) -> None:
    device = scale(split_packets=split, imperial=imperial)
    device.store(composition(muscle_pct=35.0, impedance_ohm=512.3, weight_kg=kg))
    got = run(device)
    assert [r.kind for r in got] == [Kind.BODY_COMPOSITION, Kind.WEIGHT]
    body, weight = got
    assert weight.metrics == {"weight_kg": pytest.approx(kg, abs=1e-6)}
    assert body.metrics["weight_kg"] == weight.metrics["weight_kg"]
    assert (weight.time, weight.user_index, weight.flags) == (T0, 2, ())
    assert rid(weight) != rid(body)


# flags 0x0407: imperial, time stamp, user id, weight; body fat 25.4 %; 2026-02-02 07:30:00;
# user 3; weight 18100 x 0.01 lb = 181.00 lb.
IMPERIAL = bytes.fromhex("0704fe00ea070202071e0003b446")
# flags 0x0406: SI, time stamp, user id, weight; body fat unsuccessful (0xFFFF); same time;
# user 1; weight 14000 x 0.005 kg = 70.000 kg.
SI_FAT_FAILED = bytes.fromhex("0604ffffea070202071e0001b036")


@pytest.mark.parametrize(
    ("payload", "kg", "user"),
    [
        pytest.param(IMPERIAL, 181.00 * LB, 3, id="imperial_0.01_lb"),
        pytest.param(SI_FAT_FAILED, 70.0, 1, id="si_0.005_kg_body_fat_unsuccessful"),
    ],
)
def test_weight_vectors_through_the_driver(payload: bytes, kg: float, user: int) -> None:
    """Literal scale bytes (the simulated firmware sends them as they are) to the weight reading."""
    device = scale(split_packets=False, faults=Faults(firmware=lambda _sent: payload))
    device.store(composition(weight_kg=1.0))
    got = run(device)
    assert [r.kind for r in got] == [Kind.BODY_COMPOSITION, Kind.WEIGHT]
    weight = got[1]
    assert weight.metrics["weight_kg"] == pytest.approx(kg, abs=1e-9)
    assert (weight.time, weight.user_index) == (T0, user)
    assert weight.flags == ()  # a failed body-fat estimate does not void the weighing


def test_the_weight_reading_keeps_its_id_when_the_scale_sends_the_record_again() -> None:
    radio = VirtualRadio()
    device = scale(faults=Faults(resend_known=True))
    radio.add(device)
    device.store(composition(weight_kg=80.2))
    _, first = asyncio.run(session(radio, BodyCompositionDriver(), ADDRESS))
    device.wake()
    _, again = asyncio.run(session(radio, BodyCompositionDriver(), ADDRESS))
    assert [rid(r) for r in again] == [rid(r) for r in first]
    assert len({rid(r) for r in first}) == 2


def test_no_weight_field_no_weight_reading() -> None:
    device = scale()
    device.store(composition(muscle_pct=35.0, impedance_ohm=500.0))
    assert [r.kind for r in run(device)] == [Kind.BODY_COMPOSITION]


def test_a_scale_with_both_services_gives_the_weight_once() -> None:
    device = WeightAndBodyCompositionScale(ADDRESS, name="WSS+BCS", info=INFO, linger=0.05)
    device.store(composition(muscle_pct=35.0, weight_kg=88.1))
    got = run(device)
    assert sorted(r.kind for r in got) == [Kind.BODY_COMPOSITION, Kind.WEIGHT]
    (weight,) = [r for r in got if r.kind is Kind.WEIGHT]
    assert weight.metrics == {"weight_kg": pytest.approx(88.1)}
    assert (weight.time, weight.user_index) == (T0, 2)
