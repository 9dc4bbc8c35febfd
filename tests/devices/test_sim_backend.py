"""The simulator through bleak's own BleakScanner and BleakClient (backend= a type)."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakError

from devices.driver import DeviceInfo
from devices.reading import Kind, Reading
from devices.sim import GlucoseMeter, VirtualRadio, WeightScale
from tests.support.waits import eventually

INFO = DeviceInfo("Acme", "WS-1", "SN1", "1.0")


def scale(radio: VirtualRadio, address: str = "AA:00:00:00:00:01", **kwargs: object) -> WeightScale:
    device = WeightScale(address, name="Acme Scale", info=INFO, **kwargs)  # type: ignore[arg-type]
    radio.add(device)
    return device


def test_scanner_hears_a_device_only_for_a_few_seconds_after_a_measurement() -> None:
    async def scenario() -> tuple[list[str], list[str], list[str]]:
        radio = VirtualRadio()
        device = scale(radio, advertise_seconds=0.6)
        asleep = await BleakScanner.discover(timeout=0.1, backend=radio.scanner_backend)
        device.store(Reading(Kind.WEIGHT, {"weight_kg": 70.0}, time=radio.now()))
        awake = await BleakScanner.discover(
            timeout=0.1, return_adv=True, backend=radio.scanner_backend
        )
        await eventually(lambda: not device.advertising(), 5, "the scale asleep again")
        later = await BleakScanner.discover(timeout=0.1, backend=radio.scanner_backend)
        uuids = [u for _, adv in awake.values() for u in adv.service_uuids]
        return [d.address for d in asleep], uuids, [d.address for d in later]

    asleep, uuids, later = asyncio.run(scenario())
    assert asleep == []
    assert uuids == ["0000181d-0000-1000-8000-00805f9b34fb"]
    assert later == []


def test_service_filter_and_two_radios_are_isolated() -> None:
    async def scenario() -> tuple[set[str], set[str], set[str]]:
        home, neighbour = VirtualRadio(), VirtualRadio()
        scale(home).wake()
        meter = GlucoseMeter("BB:00:00:00:00:02", name="Meter", info=INFO)
        home.add(meter).wake()
        scale(neighbour, "CC:00:00:00:00:03").wake()
        everything = await BleakScanner.discover(timeout=0.1, backend=home.scanner_backend)
        glucose_only = await BleakScanner.discover(
            timeout=0.1, service_uuids=["1808"], backend=home.scanner_backend
        )
        next_door = await BleakScanner.discover(timeout=0.1, backend=neighbour.scanner_backend)
        return (
            {d.address for d in everything},
            {d.address for d in glucose_only},
            {d.address for d in next_door},
        )

    everything, glucose_only, next_door = asyncio.run(scenario())
    assert everything == {"AA:00:00:00:00:01", "BB:00:00:00:00:02"}
    assert glucose_only == {"BB:00:00:00:00:02"}
    assert next_door == {"CC:00:00:00:00:03"}


def test_client_serves_a_gatt_table_with_properties_and_reads() -> None:
    async def scenario() -> tuple[dict[str, list[str]], bytes, str]:
        radio = VirtualRadio(start=datetime(2026, 3, 1, 8, 30))
        device = scale(radio)
        device.wake()
        found = await BleakScanner.find_device_by_address(
            device.address, timeout=1, backend=radio.scanner_backend
        )
        assert found is not None
        async with BleakClient(found, backend=radio.client_backend) as client:
            table = {
                c.uuid[4:8].upper(): sorted(map(str, c.properties))
                for service in client.services
                for c in service.characteristics
            }
            model = bytes(await client.read_gatt_char("00002a24-0000-1000-8000-00805f9b34fb"))
            now = bytes(await client.read_gatt_char("00002a2b-0000-1000-8000-00805f9b34fb"))
            backend = str(client.backend_id)
        return table, model + b"|" + now[:7], backend

    table, read, backend = asyncio.run(scenario())
    assert table["2A9D"] == ["indicate"]
    assert table["2A2B"] == ["notify", "read", "write"]
    assert table["2A19"] == ["notify", "read"]
    model, now = read.split(b"|", 1)
    assert model == b"WS-1"
    assert now == bytes([0xEA, 0x07, 3, 1, 8, 30, 0])  # 2026-03-01 08:30:00
    assert backend == "VirtualRadioClient"


def test_refused_connection_and_operations_after_a_drop_raise_bleak_errors() -> None:
    async def scenario() -> None:
        radio = VirtualRadio()
        device = scale(radio)
        device.faults.refuse_connections = 1
        client = BleakClient(device.address, backend=radio.client_backend)
        with pytest.raises(BleakError, match="refusal"):
            await client.connect()
        await client.connect()
        assert client.is_connected
        with pytest.raises(BleakError, match="not writable"):
            await client.write_gatt_char("00002a9d-0000-1000-8000-00805f9b34fb", b"\x00", True)
        assert device.link is not None
        device.link.drop()
        assert not _connected(client)  # (mypy holds client.is_connected True from above)
        with pytest.raises(BleakError, match="not connected"):
            await client.read_gatt_char("00002a19-0000-1000-8000-00805f9b34fb")

    asyncio.run(scenario())


def _connected(client: BleakClient) -> bool:
    return client.is_connected
