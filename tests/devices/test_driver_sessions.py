"""Scale and cuff sessions against the simulator, through real BleakScanner/BleakClient."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from devices.conformance import same_reading, session
from devices.driver import DeviceInfo, NoteKind
from devices.drivers.scales import BloodPressureDriver, BodyCompositionDriver, WeightScaleDriver
from devices.envelope import reading_id
from devices.reading import Kind, Reading
from devices.sim import BloodPressureCuff, BodyCompositionScale, Faults, VirtualRadio, WeightScale
from devices.sim.peripheral import Link
from tests.support.waits import eventually
from veille.errors import DeviceError

T0 = datetime(2026, 2, 2, 7, 30)
INFO = DeviceInfo("Acme", "Model 1", "SN-1", "2.1")


def weight(kg: float, user: int, minutes: int = 0) -> Reading:
    return Reading(
        Kind.WEIGHT, {"weight_kg": kg}, time=T0 + timedelta(minutes=minutes), user_index=user
    )


def make_scale(radio: VirtualRadio, **faults: object) -> WeightScale:
    device = WeightScale(
        "AA:BB:CC:00:00:01",
        name="Scale",
        info=INFO,
        linger=0.05,
        faults=Faults(**faults),  # type: ignore[arg-type]
    )
    radio.add(device)
    return device


def test_multi_user_scale_session_reads_info_battery_sets_clock_and_keeps_users() -> None:
    radio = VirtualRadio(start=T0 + timedelta(hours=1))
    device = make_scale(radio)
    device.store(weight(82.4, user=1))
    device.store(weight(61.05, user=2, minutes=3))
    result, got = asyncio.run(session(radio, WeightScaleDriver(), device.address))
    assert [r.user_index for r in got] == [1, 2]
    assert [r.metrics["weight_kg"] for r in got] == pytest.approx([82.4, 61.05])
    assert [r.time for r in got] == [T0, T0 + timedelta(minutes=3)]
    assert result.device == INFO
    assert result.battery_pct == 80
    assert result.readings == 2
    assert result.clock_drift_s == 0.0
    assert result.clock_set
    assert device.pending == []  # indicated and so removed from the scale's memory


def test_wrong_device_clock_is_measured_set_and_its_readings_flagged() -> None:
    radio = VirtualRadio(start=T0 + timedelta(minutes=5))
    device = make_scale(radio, clock_offset=timedelta(hours=-2))
    device.store(weight(90.0, user=1))
    result, got = asyncio.run(session(radio, WeightScaleDriver(), device.address))
    assert result.clock_drift_s == pytest.approx(-7200)
    assert result.clock_set
    assert device.clock_writes == [radio.now()]
    assert device.device_time() == radio.now()  # the device clock now agrees
    assert got[0].time == T0 - timedelta(hours=2)  # as the device stamped it
    assert got[0].flags == ("device_clock_unreliable",)


def test_refused_connections_then_success() -> None:
    radio = VirtualRadio()
    device = make_scale(radio, refuse_connections=2)
    device.store(weight(70.0, user=1))
    with pytest.raises(DeviceError, match="refusal"):
        asyncio.run(session(radio, WeightScaleDriver(), device.address, connect_attempts=2))
    device.wake()
    _, got = asyncio.run(session(radio, WeightScaleDriver(), device.address))
    assert [r.metrics["weight_kg"] for r in got] == [70.0]


def test_disconnect_mid_transfer_keeps_the_rest_on_the_device_for_next_time() -> None:
    radio = VirtualRadio()
    device = make_scale(radio, disconnect_after=2)
    for i in range(5):
        device.store(weight(70.0 + i, user=1, minutes=i))
    _, first = asyncio.run(session(radio, WeightScaleDriver(), device.address))
    assert [r.metrics["weight_kg"] for r in first] == [70.0, 71.0]
    device.wake()
    _, second = asyncio.run(session(radio, WeightScaleDriver(), device.address))
    assert [r.metrics["weight_kg"] for r in second] == [72.0, 73.0, 74.0]


@pytest.mark.parametrize("fault", ["truncate_record", "garbage_record"])
def test_malformed_record_is_reported_and_the_others_arrive(fault: str) -> None:
    radio = VirtualRadio()
    device = make_scale(radio, **{fault: 1})
    for i in range(3):
        device.store(weight(60.0 + i, user=1, minutes=i))
    result, got = asyncio.run(session(radio, WeightScaleDriver(), device.address))
    assert [r.metrics["weight_kg"] for r in got] == [60.0, 62.0]
    assert len(result.notes) == 1
    assert (result.notes[0].kind, result.notes[0].characteristic) == (NoteKind.REJECTED, "2A9D")
    assert str(result.notes[0]).startswith("2A9D: rejected: ")


def test_a_record_sent_again_keeps_its_reading_id() -> None:
    radio = VirtualRadio()
    device = make_scale(radio, resend_known=True)
    device.store(weight(75.5, user=1))
    _, first = asyncio.run(session(radio, WeightScaleDriver(), device.address))
    device.store(weight(75.0, user=1, minutes=60))
    _, second = asyncio.run(session(radio, WeightScaleDriver(), device.address))
    assert len(first) == 1
    assert len(second) == 2

    def rid(r: Reading) -> str:
        return reading_id(
            device.address, r.kind, sequence=r.sequence, device_time=r.time, user_index=r.user_index
        )

    assert rid(second[0]) == rid(first[0])
    assert rid(second[1]) != rid(first[0])


def test_body_composition_two_packets_become_one_reading() -> None:
    radio = VirtualRadio()
    device = BodyCompositionScale("AA:BB:CC:00:00:02", name="BCS", info=INFO, linger=0.05)
    radio.add(device)
    measured = Reading(
        Kind.BODY_COMPOSITION,
        {
            "body_fat_pct": 28.4,
            "muscle_pct": 35.0,
            "body_water_mass_kg": 40.2,
            "impedance_ohm": 512.3,
            "weight_kg": 88.1,
        },
        time=T0,
        user_index=2,
    )
    device.store(measured)
    assert len(device.packets(device.pending[0])) == 2
    _, got = asyncio.run(session(radio, BodyCompositionDriver(), device.address))
    assert [r.kind for r in got] == [Kind.BODY_COMPOSITION, Kind.WEIGHT]  # its weight, for rules
    assert same_reading(got[0], measured, tolerance=0.01) is None


def test_cuff_session_skips_cuff_pressure_and_flags_a_replayed_error_record() -> None:
    radio = VirtualRadio()
    device = BloodPressureCuff("AA:BB:CC:00:00:03", name="Cuff", info=INFO, linger=0.05)
    radio.add(device)
    failed = Reading(
        Kind.BLOOD_PRESSURE,
        {"systolic_mmhg": None, "diastolic_mmhg": None, "mean_arterial_mmhg": None},
        time=T0,
    )
    good = Reading(
        Kind.BLOOD_PRESSURE,
        {
            "systolic_mmhg": 152.0,
            "diastolic_mmhg": 94.0,
            "mean_arterial_mmhg": 113.0,
            "pulse_bpm": 71.0,
        },
        time=T0 + timedelta(minutes=2),
        user_index=1,
        flags=("irregular_pulse",),
    )
    device.store(failed)
    device.store(good)
    result, got = asyncio.run(session(radio, BloodPressureDriver(), device.address))
    assert [r.kind for r in got] == [Kind.BLOOD_PRESSURE, Kind.BLOOD_PRESSURE]
    assert got[0].flags == ("stored_error_record",)
    assert same_reading(got[1], good) is None
    assert result.readings == 2


class VanishingScale(WeightScale):
    """Sends its memory, then vanishes while the collector reads its clock."""

    async def read(self, link: Link, char: str) -> bytes:
        if char == "2A2B":
            await eventually(lambda: not self.pending, 5, "the memory indicated")
            link.drop()
        return await super().read(link, char)


def test_link_lost_during_identification_keeps_the_readings_already_sent() -> None:
    radio = VirtualRadio()
    device = VanishingScale("AA:BB:CC:00:00:04", name="Scale", info=INFO, linger=0.05)
    radio.add(device)
    device.store(weight(77.7, user=1))
    result, got = asyncio.run(session(radio, WeightScaleDriver(), device.address))
    assert [r.metrics["weight_kg"] for r in got] == [pytest.approx(77.7)]
    assert result.device == INFO  # read before the link went
    assert result.clock_drift_s is None
    assert not result.clock_set
    assert result.notes[0].kind is NoteKind.INCOMPLETE
