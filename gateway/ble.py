"""Scanning and connecting: from an advertisement to a finished driver session.

BlueZ realities this module is shaped by:

- connect from the scan callback with the `BLEDevice` it delivered: a
  device with a random address vanishes from BlueZ once scanning stops, so
  an address alone may no longer connect;
- many devices advertise only a few seconds after a measurement, so the
  scan never stops and a session starts as soon as a paired device shows;
- a discovery can hang without an error: a watchdog restarts a scan that
  has reported nothing for ``scan_watchdog_s`` (and that is the only timer
  running when nothing is around: no busy loop);
- connections go through bleak-retry-connector (backoff between attempts),
  at most ``max_connections`` at once;
- bleak needs BlueZ 5.55 or later: an older one is refused with a message
  that says what to install.

The backends are injectable (``scanner_backend``/``client_backend``), which
is how tests and demos run the same code on the simulator's virtual radio.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bleak import BleakClient, BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.exc import BleakError
from bleak_retry_connector import establish_connection

from devices.driver import AdvertisementDriver, BaseDriver, DeviceState, Driver
from devices.reading import Reading
from devices.registry import Registry
from gateway.intake import Intake
from gateway.outbox import OutboxFull
from gateway.pairing import GatewayStore, Remembered
from gateway.settings import GatewaySettings
from veille import logs
from veille.errors import ConfigError, DecodeError, DeviceError, DriverError, VeilleError

log = logs.get("gateway.ble")

MIN_BLUEZ = (5, 55)
#: a broadcaster's identical advertisement within this window is the same measurement
REPEAT_WINDOW_S = 30.0


def bluez_problem(version_text: str) -> str | None:
    """Why this `bluetoothctl --version` output is unusable, or None when it is fine."""
    found = re.search(r"(\d+)\.(\d+)", version_text)
    if found is None:
        return None  # unknown (a container without bluetoothctl): let bleak try
    version = (int(found.group(1)), int(found.group(2)))
    if version >= MIN_BLUEZ:
        return None
    return (
        f"BlueZ {version[0]}.{version[1]} is too old: the gateway needs BlueZ "
        f"{MIN_BLUEZ[0]}.{MIN_BLUEZ[1]} or later (Raspberry Pi OS Bullseye or newer; "
        "`sudo apt install --only-upgrade bluez`, then `sudo systemctl restart bluetooth`)"
    )


async def check_bluez() -> None:
    """Refuse to start on a BlueZ bleak cannot drive; ConfigError says what to do."""
    tool = shutil.which("bluetoothctl")
    if tool is None:
        return
    process = await asyncio.create_subprocess_exec(
        tool, "--version", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    out, _ = await process.communicate()
    problem = bluez_problem(out.decode(errors="replace"))
    if problem:
        raise ConfigError(problem)


@dataclass(slots=True)
class DeviceActivity:
    """What the heartbeat reports per device (pseudonymous: an address, no patient)."""

    last_seen: float | None = None
    last_session: float | None = None
    battery_pct: int | None = None
    sessions_ok: int = 0
    sessions_failed: int = 0
    failures_in_a_row: int = 0
    last_error: str | None = None
    #: records the driver rejected or dropped (malformed, not a measurement)
    records_rejected: int = 0
    last_rejection: str | None = None
    clock_drift_s: float | None = None


@dataclass(slots=True)
class RadioCounters:
    scans_restarted: int = 0
    advertisements: int = 0
    devices: dict[str, DeviceActivity] = field(default_factory=dict)


class Radio:
    """The scan loop and the driver sessions it starts."""

    def __init__(
        self,
        settings: GatewaySettings,
        store: GatewayStore,
        intake: Intake,
        registry: Registry,
        *,
        local_clock: Callable[[], datetime],
        scanner_backend: type[BaseBleakScanner] | None = None,
        client_backend: type[BaseBleakClient] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.intake = intake
        self.registry = registry
        self.local_clock = local_clock
        self.scanner_backend = scanner_backend
        self.client_backend = client_backend
        self.counters = RadioCounters()
        self._slots = asyncio.Semaphore(settings.max_connections)
        self._busy: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_advert = time.monotonic()
        self._full_logged = 0.0
        #: advertisement payloads decoded lately: a broadcaster repeats one many times
        self._heard: OrderedDict[tuple[str, bytes], float] = OrderedDict()

    def activity(self, address: str) -> DeviceActivity:
        return self.counters.devices.setdefault(address, DeviceActivity())

    # --- scanning ----------------------------------------------------------------

    async def run(self) -> None:
        """Scan forever; restart a scan that went silent (watchdog)."""
        while True:
            kwargs: dict[str, Any] = {}
            if self.scanner_backend is not None:
                kwargs["backend"] = self.scanner_backend
            elif self.settings.ble.adapter:
                kwargs["bluez"] = {"adapter": self.settings.ble.adapter}
            scanner = BleakScanner(self._on_advertisement, **kwargs)
            try:
                await scanner.start()
            except BleakError as err:
                log.error("scan_start_failed", error=str(err), retry_s=10)
                await asyncio.sleep(10)
                continue
            self._last_advert = time.monotonic()
            try:
                await self._watch()
            finally:
                try:
                    await scanner.stop()
                except BleakError as err:
                    log.warning("scan_stop_failed", error=str(err))
            self.counters.scans_restarted += 1
            log.warning("scan_restarted", silent_s=self.settings.scan_watchdog_s)

    async def _watch(self) -> None:
        """Return when no advertisement arrived for the watchdog period."""
        limit = self.settings.scan_watchdog_s
        while True:
            silent = time.monotonic() - self._last_advert
            if silent >= limit:
                return
            await asyncio.sleep(limit - silent)

    def _on_advertisement(self, device: BLEDevice, advertisement: AdvertisementData) -> None:
        self._last_advert = time.monotonic()
        self.counters.advertisements += 1
        address = device.address.upper()
        driver = self._driver_for(address, device, advertisement)
        if driver is None:
            return
        paired = self.store.paired_driver(address) is not None
        if paired:  # a neighbour's devices never appear in our heartbeat
            self.activity(address).last_seen = time.time()
        if isinstance(driver, AdvertisementDriver):
            self._from_advertisement(driver, address, device, advertisement, paired=paired)
            return
        if not paired or not isinstance(driver, Driver) or address in self._busy:
            return  # never connect to a device nobody paired (a neighbour's cuff)
        if not self._may_connect(self.activity(address)):
            return
        if self.intake.outbox.full:
            if time.monotonic() - self._full_logged > 60:
                self._full_logged = time.monotonic()
                log.error("outbox_full_device_left_alone", device=address)
            return
        self._busy.add(address)
        task = asyncio.create_task(self._session(driver, device))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _may_connect(self, activity: DeviceActivity) -> bool:
        """Not again right after a session: wait ``reconnect_after_s`` after a success,
        and a doubling delay (from ``retry_after_s``, at most 5 minutes) after failures."""
        if activity.last_session is None:
            return True
        if activity.failures_in_a_row:
            wait = self.settings.retry_after_s * 2.0 ** (activity.failures_in_a_row - 1)
            wait = min(wait, 300.0)
        else:
            wait = self.settings.reconnect_after_s
        return time.time() - activity.last_session >= wait

    def _driver_for(
        self, address: str, device: BLEDevice, advertisement: AdvertisementData
    ) -> BaseDriver | None:
        paired = self.store.paired_driver(address)
        try:
            if paired is not None:
                return self.registry.get(paired)
            found = self.registry.match(device.name, advertisement)
        except DriverError as err:
            log.error("driver_problem", device=address, error=str(err))
            return None
        return found.driver if found is not None else None

    def _repeat(self, address: str, advertisement: AdvertisementData) -> bool:
        """True for the same advertised payload heard within ``REPEAT_WINDOW_S``: a
        broadcaster repeats one measurement for seconds; it is decoded once."""
        data = b"".join(
            [k.encode() + bytes(v) for k, v in sorted(advertisement.service_data.items())]
            + [
                k.to_bytes(2, "little") + bytes(v)
                for k, v in sorted(advertisement.manufacturer_data.items())
            ]
        )
        key = (address, data)
        now = time.monotonic()
        seen = self._heard.get(key)
        self._heard[key] = now
        self._heard.move_to_end(key)
        while len(self._heard) > 1000:
            self._heard.popitem(last=False)
        return seen is not None and now - seen < REPEAT_WINDOW_S

    def _from_advertisement(
        self,
        driver: AdvertisementDriver,
        address: str,
        device: BLEDevice,
        advertisement: AdvertisementData,
        *,
        paired: bool,
    ) -> None:
        if self._repeat(address, advertisement):
            return
        try:
            readings = driver.from_advertisement(device, advertisement)
        except DecodeError as err:
            if paired:
                activity = self.activity(address)
                activity.records_rejected += 1
                activity.last_rejection = f"advertisement: rejected: {err}"[:300]
                log.warning("advertisement_rejected", device=address, error=str(err))
            return
        memory = self.store.remembered(address)
        for reading in readings:
            task = asyncio.create_task(self._take(reading, address, driver.name, memory))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _take(self, reading: Reading, address: str, driver: str, memory: Remembered) -> None:
        try:
            await self.intake.take(reading, address, driver, memory)
        except VeilleError as err:
            log.error("reading_not_kept", device=address, error=str(err))

    # --- sessions ----------------------------------------------------------------

    async def _session(self, driver: Driver, device: BLEDevice) -> None:
        address = device.address.upper()
        activity = self.activity(address)
        try:
            async with self._slots:
                await self._converse(driver, device, address, activity)
        finally:
            activity.last_session = time.time()
            self._busy.discard(address)

    async def _converse(
        self, driver: Driver, device: BLEDevice, address: str, activity: DeviceActivity
    ) -> None:
        memory = self.store.remembered(address)
        kwargs: dict[str, Any] = {}
        if self.client_backend is not None:
            kwargs["backend"] = self.client_backend
        try:
            client = await establish_connection(
                BleakClient,
                device,
                address,
                max_attempts=self.settings.connect_attempts,
                **kwargs,
            )
        except BleakError as err:
            activity.sessions_failed += 1
            activity.failures_in_a_row += 1
            activity.last_error = f"connect: {err}"
            log.warning("connect_failed", device=address, error=str(err))
            return

        async def emit(reading: Reading) -> None:
            await self.intake.take(reading, address, driver.name, memory)

        try:
            result = await driver.run_session(
                client,
                DeviceState(
                    last_sequence=memory.last_sequence, users=self.store.scale_users(address)
                ),
                emit,
                clock=self.local_clock,
            )
        except (DeviceError, BleakError, OutboxFull, TimeoutError) as err:
            activity.sessions_failed += 1
            activity.failures_in_a_row += 1
            activity.last_error = str(err)[:300]
            log.warning("session_failed", device=address, driver=driver.name, error=str(err))
            return
        finally:
            try:
                await client.disconnect()
            except BleakError as err:
                log.info("disconnect_failed", device=address, error=str(err))
        # The session returned: only now is its state (glucose high-water mark) committed.
        info = result.device
        if result.consents:  # a multi-user scale: what it said to each slot's consent
            self.store.record_consents(address, result.consents)
        self.store.remember(
            replace(
                memory,
                last_sequence=result.state.last_sequence,
                manufacturer=info.manufacturer or memory.manufacturer,
                model=info.model or memory.model,
                serial=info.serial or memory.serial,
                last_seen=time.time(),
                last_session=time.time(),
                battery_pct=result.battery_pct
                if result.battery_pct is not None
                else memory.battery_pct,
                clock_drift_s=result.clock_drift_s,
            )
        )
        activity.sessions_ok += 1
        activity.failures_in_a_row = 0
        activity.last_error = None
        if result.battery_pct is not None:
            activity.battery_pct = result.battery_pct
        activity.clock_drift_s = result.clock_drift_s
        for note in result.notes:
            if note.counts_as_rejected:
                activity.records_rejected += 1
                activity.last_rejection = str(note)[:300]
            log.warning(
                "session_note", device=address, driver=driver.name, kind=note.kind, note=str(note)
            )
        log.info(
            "session_done",
            device=address,
            driver=driver.name,
            readings=result.readings,
            clock_drift_s=result.clock_drift_s,
            clock_set=result.clock_set,
        )

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
