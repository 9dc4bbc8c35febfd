"""A virtual BLE peripheral: advertisement, GATT table, link, and the faults it can play.

Subclasses (`devices.sim.devices`) fill in the characteristics and what the
device does when a collector subscribes or writes. The link is what the
bleak backend (`devices.sim.backend`) talks to: it delivers notifications
through the loop, as a radio would, and can drop at any moment.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakError

from devices import uuids
from devices.codecs import clock as clock_codec
from devices.driver import DeviceInfo, normalize_uuid
from devices.reading import Reading
from veille.errors import NotReady


class WorldClock(Protocol):
    """The world time a device's clock runs on: its `VirtualRadio` (which imports this
    module, not the reverse)."""

    def now(self) -> datetime: ...

    def advance(self, delta: timedelta) -> None: ...


Property = Literal["read", "write", "notify", "indicate", "write-without-response"]

DEVICE_INFORMATION = uuids.DEVICE_INFORMATION_SERVICE
BATTERY_SERVICE = uuids.BATTERY_SERVICE
CURRENT_TIME_SERVICE = uuids.CURRENT_TIME_SERVICE
_INFO_CHARS = {
    uuids.MANUFACTURER_NAME: "manufacturer",
    uuids.MODEL_NUMBER: "model",
    uuids.SERIAL_NUMBER: "serial",
    uuids.FIRMWARE_REVISION: "firmware",
}


class Background:
    """Tasks a device runs on its own; kept referenced until done."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task


@dataclass(slots=True)
class Faults:
    """Misbehaviour on request; each one-shot fault is consumed when it fires.

    - ``refuse_connections``: the next N connection attempts fail.
    - ``disconnect_after``: drop the link after sending K records (once).
    - ``truncate_record`` / ``garbage_record``: the K-th record sent (0-based,
      once) is cut short by two bytes / replaced by bytes that break its layout.
    - ``clock_offset``: the device clock is wrong by this much until set.
    - ``resend_known``: the device keeps records the collector already has
      and sends them again (a scale that never clears, a meter that ignores
      the RACP filter).
    - ``firmware``: rewrites every record payload, to play a model whose
      firmware bends the specification (see `devices.quirks`).
    - ``extra_records``: payloads sent after the stored records (filler
      records some meters keep in unused memory).
    """

    refuse_connections: int = 0
    disconnect_after: int | None = None
    truncate_record: int | None = None
    garbage_record: int | None = None
    clock_offset: timedelta = timedelta(0)
    resend_known: bool = False
    firmware: Callable[[bytes], bytes] | None = None
    extra_records: tuple[bytes, ...] = ()


@dataclass(frozen=True, slots=True)
class CharSpec:
    service: str
    uuid: str
    properties: tuple[Property, ...]


class Link:
    """One connection to a peripheral; notifications go through the event loop."""

    def __init__(self, device: VirtualPeripheral, on_drop: Callable[[], None]) -> None:
        self.device = device
        self.connected = True
        self.subscriptions: dict[str, Callable[[bytearray], None]] = {}
        self._on_drop = on_drop
        self.sent_records = 0

    def require(self) -> None:
        if not self.connected:
            raise BleakError(f"{self.device.address}: not connected")

    async def notify(self, char: str, payload: bytes) -> None:
        """Send ``payload`` on ``char`` if subscribed; yields so the collector runs."""
        self.require()
        callback = self.subscriptions.get(char)
        if callback is not None:
            asyncio.get_running_loop().call_soon(callback, bytearray(payload))
        await asyncio.sleep(0)

    async def send_record(self, char: str, payload: bytes) -> None:
        """Send one stored record, playing the record faults; may drop the link."""
        faults = self.device.faults
        index = self.sent_records
        if faults.disconnect_after is not None and index >= faults.disconnect_after:
            faults.disconnect_after = None
            self.drop()
            raise BleakError(f"{self.device.address}: link lost (simulated)")
        if faults.firmware is not None:
            payload = faults.firmware(payload)
        if faults.truncate_record == index:
            faults.truncate_record = None
            payload = payload[:-2]
        elif faults.garbage_record == index:
            faults.garbage_record = None
            payload = payload[:1]
        await self.notify(char, payload)
        self.sent_records += 1

    def drop(self) -> None:
        """The device goes away: the link closes and the collector is told."""
        if self.connected:
            self.connected = False
            self.device.link_closed(self)
            asyncio.get_running_loop().call_soon(self._on_drop)


class VirtualPeripheral:
    """A device on the virtual radio. Subclasses add services and behaviour."""

    services: tuple[str, ...] = ()  # advertised service UUIDs (16-bit hex)

    def __init__(
        self,
        address: str,
        *,
        name: str,
        info: DeviceInfo,
        battery: int = 80,
        faults: Faults | None = None,
        advertise_seconds: float = 5.0,
        current_time: bool = True,
    ) -> None:
        self.address = address.upper()
        self.name = name
        self.info = info
        self.battery = battery
        self.faults = faults or Faults()
        self.advertise_seconds = advertise_seconds
        self.has_current_time = current_time
        self.radio: WorldClock | None = None
        self.link: Link | None = None
        self._advertise_until = 0.0
        self.connections = 0
        self.clock_writes: list[datetime] = []

    # --- clock and advertising -------------------------------------------------------

    def device_time(self) -> datetime:
        return self._radio().now() + self.faults.clock_offset

    def _radio(self) -> WorldClock:
        if self.radio is None:
            raise NotReady(f"{self.address}: add the device to a VirtualRadio first")
        return self.radio

    def stamped(self, reading: Reading) -> Reading:
        """``reading`` (timed by the world clock) as this device's clock records it."""
        if reading.time is None or not self.faults.clock_offset:
            return reading
        return replace(reading, time=reading.time + self.faults.clock_offset)

    def wake(self) -> None:
        """Advertise for ``advertise_seconds`` (real, monotonic time), as after a measurement."""
        self._advertise_until = time.monotonic() + self.advertise_seconds

    def advertising(self) -> bool:
        if self.link is not None:
            return False
        return time.monotonic() < self._advertise_until

    def advertisement(self) -> AdvertisementData:
        return AdvertisementData(
            local_name=self.name,
            manufacturer_data={},
            service_data=self.service_data(),
            service_uuids=[normalize_uuid(u) for u in self.services],
            tx_power=None,
            rssi=-60,
            platform_data=(),
        )

    def service_data(self) -> dict[str, bytes]:
        return {}

    # --- GATT table ------------------------------------------------------------------

    def gatt(self) -> list[CharSpec]:
        specs = [
            CharSpec(DEVICE_INFORMATION, uuid, ("read",))
            for uuid, attr in _INFO_CHARS.items()
            if getattr(self.info, attr) is not None
        ]
        specs.append(CharSpec(BATTERY_SERVICE, clock_codec.BATTERY_LEVEL_UUID, ("read", "notify")))
        if self.has_current_time:
            specs.append(
                CharSpec(
                    CURRENT_TIME_SERVICE, clock_codec.CURRENT_TIME_UUID, ("read", "write", "notify")
                )
            )
        return specs + self.measurement_gatt()

    def measurement_gatt(self) -> list[CharSpec]:
        return []

    async def read(self, link: Link, char: str) -> bytes:
        link.require()
        if char in _INFO_CHARS:
            return str(getattr(self.info, _INFO_CHARS[char])).encode()
        if char == clock_codec.BATTERY_LEVEL_UUID:
            return clock_codec.encode_battery_level(self.battery)
        if char == clock_codec.CURRENT_TIME_UUID:
            return clock_codec.encode_current_time(self.device_time())
        raise BleakError(f"{self.address}: characteristic {char} is not readable")

    async def write(self, link: Link, char: str, data: bytes) -> None:
        link.require()
        if char == clock_codec.CURRENT_TIME_UUID:
            written = clock_codec.decode_current_time(data).time
            if written is None:
                raise BleakError(f"{self.address}: Current Time write without a date")
            self.clock_writes.append(written)
            self.faults.clock_offset = written - self._radio().now()
            return
        raise BleakError(f"{self.address}: characteristic {char} is not writable")

    # --- link events -----------------------------------------------------------------

    def link_opened(self, link: Link) -> None:
        self.link = link
        self.connections += 1

    def link_closed(self, link: Link) -> None:
        if self.link is link:
            self.link = None

    async def subscribed(self, link: Link, char: str) -> None:
        """A collector enabled notifications or indications on ``char``."""
