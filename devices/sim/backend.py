"""bleak backends over a `VirtualRadio`: what ``backend=`` plugs into `BleakScanner`/`BleakClient`.

Use the subclasses a radio makes (``radio.scanner_backend``,
``radio.client_backend``); these two bases have no radio of their own, only
the `Air` they hear (the radio, which imports this module: one direction,
radio -> backend -> peripheral).
Failures surface as bleak's own `BleakError`, as a real adapter's would.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, Literal, Protocol

from bleak.args import SizedBuffer
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError

from devices import uuids
from devices.driver import normalize_uuid
from devices.sim.peripheral import Link, VirtualPeripheral

_MTU = 185


class Air(Protocol):
    """What a backend hears: the devices in range and how often they advertise."""

    scan_interval: float

    def __iter__(self) -> Iterator[VirtualPeripheral]: ...

    def device(self, address: str) -> VirtualPeripheral | None: ...


def short_uuid(uuid: str) -> str:
    """``2A9D`` for a characteristic on the Bluetooth base UUID."""
    return uuid[4:8].upper() if uuid.endswith("-0000-1000-8000-00805f9b34fb") else uuid


class SimScanner(BaseBleakScanner):
    """Hears the advertisements of the radio's devices every ``scan_interval``."""

    radio: ClassVar[Air]

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: Literal["active", "passive"] = "active",
        **kwargs: Any,
    ) -> None:
        # A filter may name 16-bit UUIDs ("1808"); advertisements carry the 128-bit form.
        wanted = None if service_uuids is None else [normalize_uuid(u) for u in service_uuids]
        super().__init__(detection_callback, wanted)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.seen_devices = {}
        self._task = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _listen(self) -> None:
        while True:
            for peripheral in self.radio:
                if not peripheral.advertising():
                    continue
                advertisement = peripheral.advertisement()
                if not self.is_allowed_uuid(advertisement.service_uuids):
                    continue
                device = self.create_or_update_device(
                    peripheral.address,
                    peripheral.address,
                    peripheral.name,
                    peripheral.address,
                    advertisement,
                )
                self.call_detection_callbacks(device, advertisement)
            await asyncio.sleep(self.radio.scan_interval)


class SimClient(BaseBleakClient):
    """A GATT connection to one virtual peripheral."""

    radio: ClassVar[Air]

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None,
        timeout: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout
        )
        self._link: Link | None = None
        self._handles: dict[int, str] = {}

    @property
    def name(self) -> str:
        peripheral = self.radio.device(self.address)
        return peripheral.name if peripheral else self.address

    @property
    def mtu_size(self) -> int:
        return _MTU

    @property
    def is_connected(self) -> bool:
        return self._link is not None and self._link.connected

    def _peripheral(self) -> VirtualPeripheral:
        peripheral = self.radio.device(self.address)
        if peripheral is None:
            raise BleakDeviceNotFoundError(self.address, f"{self.address} is not in range")
        return peripheral

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        peripheral = self._peripheral()
        await asyncio.sleep(0)
        if peripheral.link is not None:
            raise BleakError(f"{self.address}: already connected to another central")
        if peripheral.faults.refuse_connections > 0:
            peripheral.faults.refuse_connections -= 1
            raise BleakError(f"{self.address}: connection failed (simulated refusal)")
        link = Link(peripheral, self._dropped)
        peripheral.link_opened(link)
        self._link = link
        self.services = self._build_services(peripheral)

    def _dropped(self) -> None:
        if self._disconnected_callback is not None:
            self._disconnected_callback()

    def _build_services(self, peripheral: VirtualPeripheral) -> BleakGATTServiceCollection:
        collection = BleakGATTServiceCollection()
        handle = 1
        services: dict[str, BleakGATTService] = {}
        for spec in peripheral.gatt():
            service = services.get(spec.service)
            if service is None:
                service = BleakGATTService(None, handle, normalize_uuid(spec.service))
                services[spec.service] = service
                collection.add_service(service)
                handle += 1
            char = BleakGATTCharacteristic(
                None,
                handle,
                normalize_uuid(spec.uuid),
                list(spec.properties),
                lambda: _MTU - 3,
                service,
            )
            collection.add_characteristic(char)
            self._handles[handle] = spec.uuid
            handle += 1
            if "notify" in spec.properties or "indicate" in spec.properties:
                descriptor = BleakGATTDescriptor(
                    None, handle, normalize_uuid(uuids.CLIENT_CHARACTERISTIC_CONFIGURATION), char
                )
                collection.add_descriptor(descriptor)
                handle += 1
        return collection

    def _live(self) -> Link:
        if self._link is None or not self._link.connected:
            raise BleakError(f"{self.address}: not connected")
        return self._link

    async def disconnect(self) -> None:
        link = self._link
        if link is not None and link.connected:
            link.connected = False
            link.device.link_closed(link)
        self._link = None

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def unpair(self) -> None:
        return None

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        link = self._live()
        return bytearray(await link.device.read(link, short_uuid(characteristic.uuid)))

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        self._live()
        return bytearray(b"\x00\x00")

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        link = self._live()
        await link.device.write(link, short_uuid(characteristic.uuid), bytes(data))

    async def write_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, data: SizedBuffer
    ) -> None:
        self._live()

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        link = self._live()
        if not {"notify", "indicate"} & set(characteristic.properties):
            raise BleakError(f"{characteristic.uuid} supports neither notify nor indicate")
        char = short_uuid(characteristic.uuid)
        link.subscriptions[char] = callback
        await link.device.subscribed(link, char)

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        link = self._live()
        link.subscriptions.pop(short_uuid(characteristic.uuid), None)
