"""What every standard GATT driver does around its measurements.

`GattDriver.run_session` subscribes first (a device may start sending its
memory the moment indications are on), then reads Device Information,
Battery and the device clock, sets the clock, and hands the rest to the
family's ``collect``. Payloads are queued as they arrive and decoded once
Device Information is known, so per-model quirks apply to every record.
bleak's errors are wrapped here, once, as `DeviceError`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from bleak.exc import BleakError

from devices import uuids
from devices.codecs import clock as clock_codec
from devices.decode import characteristic_key
from devices.decode import decode as strict_decode
from devices.driver import (
    Consent,
    DeviceInfo,
    DeviceState,
    Driver,
    Emit,
    Note,
    NoteKind,
    SessionResult,
)
from devices.quirks import Dropped, decode_with_quirks
from devices.reading import Reading
from veille.errors import DecodeError, DeviceError

if TYPE_CHECKING:
    from bleak import BleakClient

#: Beyond this drift (seconds), readings timed by the device clock this session are flagged.
CLOCK_TOLERANCE_S = 300.0
_INFO = {
    uuids.MANUFACTURER_NAME: "manufacturer",
    uuids.MODEL_NUMBER: "model",
    uuids.SERIAL_NUMBER: "serial",
    uuids.FIRMWARE_REVISION: "firmware",
}


def uuid128(short: str) -> str:
    return f"0000{short.lower()}-0000-1000-8000-00805f9b34fb"


def offers(client: BleakClient, char: str) -> bool:
    return client.services.get_characteristic(uuid128(char)) is not None


class Inbox:
    """Payloads from notifications and indications, in arrival order."""

    def __init__(self, client: BleakClient) -> None:
        self._client = client
        self._queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self._front: collections.deque[tuple[str, bytes]] = collections.deque()

    def put_back(self, items: list[tuple[str, bytes]]) -> None:
        """Payloads taken out while waiting for something else: they come next, in order."""
        self._front.extendleft(reversed(items))

    def held(self) -> tuple[str, bytes] | None:
        """The next payload put back, ``None`` when there is none (never waits)."""
        return self._front.popleft() if self._front else None

    def callback(self, char: str) -> Callable[[object, bytearray], None]:
        def deliver(_sender: object, data: bytearray) -> None:
            self._queue.put_nowait((char, bytes(data)))

        return deliver

    async def next(self, wait: float) -> tuple[str, bytes] | None:
        """The next payload, or ``None`` after ``wait`` s of silence or once the link is gone."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            if self._front:
                return self._front.popleft()
            if not self._queue.empty():
                return self._queue.get_nowait()
            remaining = deadline - loop.time()
            if remaining <= 0 or not self._client.is_connected:
                return None
            with contextlib.suppress(TimeoutError):
                return await asyncio.wait_for(self._queue.get(), min(remaining, 0.05))


async def read_device_info(client: BleakClient) -> DeviceInfo:
    values: dict[str, str | None] = {}
    for char, name in _INFO.items():
        values[name] = None
        if offers(client, char):
            raw = await client.read_gatt_char(uuid128(char))
            values[name] = bytes(raw).decode("utf-8", errors="replace").strip("\x00 ") or None
    return DeviceInfo(**values)


async def read_battery(client: BleakClient) -> int | None:
    if not offers(client, clock_codec.BATTERY_LEVEL_UUID):
        return None
    raw = await client.read_gatt_char(uuid128(clock_codec.BATTERY_LEVEL_UUID))
    return clock_codec.decode_battery_level(bytes(raw))


async def sync_clock(client: BleakClient, now: Callable[[], datetime]) -> tuple[float | None, bool]:
    """Read Current Time, then set it; (drift in seconds or None, whether it was set)."""
    char = client.services.get_characteristic(uuid128(clock_codec.CURRENT_TIME_UUID))
    if char is None:
        return None, False
    drift = None
    if "read" in char.properties:
        current = clock_codec.decode_current_time(bytes(await client.read_gatt_char(char)))
        if current.time is not None:
            drift = (current.time - now()).total_seconds()
    if "write" not in char.properties:
        return drift, False
    await client.write_gatt_char(char, clock_codec.encode_current_time(now()), response=True)
    return drift, True


@dataclass(slots=True)
class Collected:
    """What a family's ``collect`` did; the driver turns it into a `SessionResult`."""

    readings: int = 0
    dropped: int = 0
    state: DeviceState | None = None
    notes: list[Note] = field(default_factory=list)
    consents: list[tuple[int, Consent]] = field(default_factory=list)


@dataclass(slots=True)
class Context:
    """One session: the inbox, what the device said about itself, and the emit callable."""

    client: BleakClient
    inbox: Inbox
    info: DeviceInfo
    emit: Emit
    clock_unreliable: bool
    result: Collected = field(default_factory=Collected)
    #: the gateway's local wall time: what times a stream that carries no timestamps
    clock: Callable[[], datetime] = datetime.now

    def decode(self, char: str, payload: bytes) -> Reading | None:
        """Decoded with this model's quirks; a rejected or dropped record is counted, not raised."""
        try:
            decoded = decode_with_quirks(
                char, payload, manufacturer=self.info.manufacturer, model=self.info.model
            )
        except DecodeError as error:
            self.result.notes.append(Note(NoteKind.REJECTED, str(error), char))
            return None
        if isinstance(decoded, Dropped):
            self.result.dropped += 1
            self.result.notes.append(Note(NoteKind.DROPPED, decoded.reason, char))
            return None
        return decoded

    async def deliver(self, reading: Reading, *, device_timed: bool = True) -> None:
        """Emit ``reading``; ``device_timed=False`` for one the gateway's clock timed (an
        oximetry stream's summary), which a wrong device clock cannot have misplaced."""
        if device_timed and self.clock_unreliable and reading.time is not None:
            reading = replace(reading, flags=(*reading.flags, "device_clock_unreliable"))
        await self.emit(reading)
        self.result.readings += 1


class GattDriver(Driver):
    """A Bluetooth SIG profile driver: subscribe, identify, set the clock, collect."""

    subscribe: ClassVar[Sequence[str]] = ()

    def __init__(self, *, timeout: float = 5.0, idle: float = 1.0) -> None:
        self.timeout = timeout
        self.idle = idle

    def decode(self, characteristic: str, payload: bytes) -> Reading:
        key = characteristic_key(characteristic)
        if key not in self.characteristics:
            raise DecodeError(f"{self.name} does not decode characteristic {key}")
        return strict_decode(key, payload)

    async def run_session(
        self,
        client: BleakClient,
        state: DeviceState,
        emit: Emit,
        *,
        clock: Callable[[], datetime] = datetime.now,
    ) -> SessionResult:
        inbox = Inbox(client)
        notes: list[Note] = []
        info, battery, drift, clock_set = DeviceInfo(), None, None, False
        try:
            for char in self.subscribe:
                if offers(client, char):
                    await client.start_notify(uuid128(char), inbox.callback(char))
        except BleakError as error:
            raise DeviceError(f"{self.name}: {client.address}: {error}; retry later") from error
        # What the device says about itself is worth having, not worth losing readings for:
        # a scale has already sent (and forgotten) its memory by now.
        try:
            info = await read_device_info(client)
            battery = await read_battery(client)
            drift, clock_set = await sync_clock(client, clock)
        except (BleakError, DecodeError) as error:
            notes.append(Note(NoteKind.INCOMPLETE, f"identification: {error}"))
        unreliable = drift is not None and abs(drift) > CLOCK_TOLERANCE_S
        context = Context(client, inbox, info, emit, unreliable, clock=clock)
        context.result.notes.extend(notes)
        try:
            await self.collect(context, state)
        except BleakError as error:
            raise DeviceError(f"{self.name}: {client.address}: {error}; retry later") from error
        except DecodeError as error:
            raise DeviceError(f"{self.name}: {client.address}: {error}") from error
        done = context.result
        return SessionResult(
            device=info,
            state=done.state if done.state is not None else state,
            readings=done.readings,
            battery_pct=battery,
            clock_drift_s=drift,
            clock_set=clock_set,
            dropped=done.dropped,
            notes=tuple(done.notes),
            consents=tuple(done.consents),
        )

    async def collect(self, session: Context, state: DeviceState) -> None:
        raise NotImplementedError
