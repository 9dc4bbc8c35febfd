"""Multi-user scales with the User Data Service: consent per user, each weighing to the
person who stepped on, and a refused or deleted user reported, never guessed."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from bleak import BleakClient, BleakScanner

from devices.conformance import session
from devices.driver import (
    Consent,
    DeviceInfo,
    DeviceState,
    NoteKind,
    ScaleUser,
    SessionResult,
)
from devices.drivers.scales import WeightScaleDriver
from devices.drivers.uds import register_user
from devices.reading import Kind, Reading
from devices.sim import UdsScale, VirtualRadio

T0 = datetime(2026, 3, 2, 7, 0)
ADDRESS = "5C:00:00:00:00:01"
INFO = DeviceInfo("Beurer", "BF 600", "B-1", "1.0")


def weighing(kg: float, hours: int = 0) -> Reading:
    return Reading(Kind.WEIGHT, {"weight_kg": kg}, time=T0 + timedelta(hours=hours))


def scale(radio: VirtualRadio) -> UdsScale:
    device = UdsScale(ADDRESS, name="BF600", info=INFO)
    radio.add(device)
    return device


def run(radio: VirtualRadio, *users: ScaleUser) -> tuple[list[Reading], SessionResult]:
    driver = WeightScaleDriver(timeout=0.5, idle=0.2)
    result, readings = asyncio.run(session(radio, driver, ADDRESS, DeviceState(users=users)))
    return readings, result


def test_two_people_share_one_scale_and_each_weighing_reaches_its_own_slot() -> None:
    radio = VirtualRadio(start=T0 + timedelta(days=1))
    device = scale(radio)
    anne, paul = device.add_user(1234), device.add_user(4321)
    device.weigh(weighing(64.2), anne)
    device.weigh(weighing(88.9, 1), paul)
    device.weigh(weighing(64.0, 2), anne)
    readings, result = run(radio, ScaleUser(anne, 1234), ScaleUser(paul, 4321))
    got = sorted((r.user_index, r.metrics["weight_kg"]) for r in readings)
    assert got == [(anne, 64.0), (anne, 64.2), (paul, 88.9)]
    assert device.consents == [(anne, 1234), (paul, 4321)]
    assert result.consents == ((anne, Consent.GIVEN), (paul, Consent.GIVEN))


def test_a_refused_code_and_a_deleted_user_take_nothing_and_say_so() -> None:
    radio = VirtualRadio(start=T0 + timedelta(days=1))
    device = scale(radio)
    anne, paul = device.add_user(1234), device.add_user(4321)
    device.weigh(weighing(64.2), anne)
    device.weigh(weighing(88.9), paul)
    device.users[anne] = 9999  # re-registered on the scale with another code
    gone = device.add_user(5555)
    device.delete_user(gone)
    readings, result = run(
        radio, ScaleUser(anne, 1234), ScaleUser(gone, 5555), ScaleUser(paul, 4321)
    )
    assert [(r.user_index, r.metrics["weight_kg"]) for r in readings] == [(paul, 88.9)]
    assert result.consents == (
        (anne, Consent.REFUSED),
        (gone, Consent.UNKNOWN_USER),
        (paul, Consent.GIVEN),
    )
    notes = [n for n in result.notes if n.kind is NoteKind.CONSENT]
    assert len(notes) == 2
    assert device.pending == [r for r in device.pending if r.user_index == anne]  # kept there


def test_a_multi_user_scale_nobody_registered_on_is_reported() -> None:
    radio = VirtualRadio(start=T0)
    device = scale(radio)
    device.weigh(weighing(70.0), device.add_user(1111))
    readings, result = run(radio)
    assert readings == []
    assert [n.kind for n in result.notes] == [NoteKind.CONSENT]


def test_registering_at_pairing_gives_a_new_slot_for_the_code() -> None:
    radio = VirtualRadio(start=T0)
    device = scale(radio)
    device.add_user(1111)
    device.wake()

    async def register() -> int:
        found = await BleakScanner.find_device_by_address(
            ADDRESS, timeout=2.0, backend=radio.scanner_backend
        )
        assert found is not None
        async with BleakClient(found, backend=radio.client_backend) as client:
            return await register_user(client, 2468, wait=1.0)

    index = asyncio.run(register())
    assert index == 2
    assert device.users == {1: 1111, 2: 2468}
