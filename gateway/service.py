"""`veille gateway run`: the outbox, the publisher, the radio and the heartbeat, supervised.

Start order matters for "nothing lost": the outbox opens first (readings can
be kept before the broker is reachable), the publisher connects in the
background (retrying while the broker is away), then scanning starts.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bleak.backends.client import BaseBleakClient
from bleak.backends.scanner import BaseBleakScanner

from devices.registry import Registry
from gateway.ble import Radio, check_bluez
from gateway.intake import Intake
from gateway.outbox import Outbox
from gateway.pairing import GatewayStore
from gateway.publisher import Publisher
from gateway.settings import GatewaySettings
from veille import __version__, logs
from veille.mqtt import BrokerSettings
from wire.status import DeviceHeartbeat, Latency, OutboxHeartbeat, Status

log = logs.get("gateway.service")


@dataclass(slots=True)
class Backends:
    """The radio the gateway uses: BlueZ (None, None) or a simulator's backends and clock."""

    scanner: type[BaseBleakScanner] | None = None
    client: type[BaseBleakClient] | None = None
    #: local wall time the device clocks should show (naive); None: the system clock
    local_clock: Callable[[], datetime] | None = None


class Gateway:
    """One gateway process: build it, then ``await run()``."""

    def __init__(
        self,
        settings: GatewaySettings,
        broker: BrokerSettings,
        backends: Backends | None = None,
        registry: Registry | None = None,
    ) -> None:
        self.settings = settings
        self.broker = broker
        self.backends = backends or Backends()
        self.registry = registry or Registry()
        self.started = time.monotonic()
        self.outbox = Outbox(settings.outbox_path, max_rows=settings.outbox_max_rows)
        self.store = GatewayStore(settings.pairing_path)
        self.publisher = Publisher(settings, broker, self.outbox, self.heartbeat)
        zone = settings.zone
        local = self.backends.local_clock or (lambda: datetime.now(zone).replace(tzinfo=None))
        if self.backends.local_clock is not None:
            # the simulator's world clock is the wall clock of that world
            def now() -> datetime:
                return local().replace(tzinfo=zone).astimezone(UTC)
        else:

            def now() -> datetime:
                return datetime.now(UTC)

        self.intake = Intake(
            settings.id,
            zone,
            self.store,
            self.outbox,
            self.publisher.offer,
            now,
            forget=self.publisher.forget,
        )
        self.radio = Radio(
            settings,
            self.store,
            self.intake,
            self.registry,
            local_clock=local,
            scanner_backend=self.backends.scanner,
            client_backend=self.backends.client,
        )
        self._was_full = False

    def heartbeat(self) -> Status:
        """The online status: uptime, outbox depth (and a loud full flag), per-device activity."""
        depth = self.outbox.depth()
        if depth.full and not self._was_full:
            log.error("outbox_full", waiting=depth.waiting, bound=depth.bound)
        self._was_full = depth.full
        counters = self.publisher.counters
        devices = {
            address: DeviceHeartbeat(
                last_seen=_moment(a.last_seen),
                last_session=_moment(a.last_session),
                battery_pct=a.battery_pct,
                sessions_ok=a.sessions_ok,
                sessions_failed=a.sessions_failed,
                last_error=a.last_error,
                records_rejected=a.records_rejected,
                last_rejection=a.last_rejection,
                clock_drift_s=a.clock_drift_s,
            )
            for address, a in sorted(self.radio.counters.devices.items())
        }
        for memory in self.store.devices():
            entry = devices.get(memory.address)
            if entry is None:
                devices[memory.address] = DeviceHeartbeat(
                    last_seen=_moment(memory.last_seen), battery_pct=memory.battery_pct
                )
            elif entry.battery_pct is None:
                devices[memory.address] = entry.model_copy(
                    update={"battery_pct": memory.battery_pct}
                )
        for pairing in self.store.pairings():  # the server's fleet page names each device
            entry = devices.get(pairing.address) or DeviceHeartbeat()
            if entry.driver is None:
                devices[pairing.address] = entry.model_copy(update={"driver": pairing.driver})
        oldest = self.outbox.oldest_added()
        return Status(
            state="online",
            gateway=self.settings.id,
            uptime_s=round(time.monotonic() - self.started, 1),
            outbox=OutboxHeartbeat(
                depth=depth.waiting,
                unpublished=depth.unpublished,
                refused=depth.refused,
                set_aside=depth.set_aside,
                bound=depth.bound,
                full=depth.full,
                oldest_s=None if oldest is None else round(max(0.0, time.time() - oldest), 1),
            ),
            published=counters.published,
            acked=counters.acked,
            refused=counters.refused,
            last_refusal=counters.last_refusal,
            rejected=counters.rejected,
            quarantined=self.store.quarantine_count(),
            publish_latency_ms=Latency.model_validate(counters.latency()),
            scans_restarted=self.radio.counters.scans_restarted,
            devices=devices,
            sent_at=datetime.now(UTC),
            version=__version__,
            free_disk_mb=_free_mb(self.settings.data_dir),
        )

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self.settings.heartbeat_s)
            self.publisher.publish_status()
            self.outbox.prune_delivered()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Run until ``stop`` is set (or SIGTERM/SIGINT when run from the CLI)."""
        if self.backends.scanner is None:
            await check_bluez()
        stop = stop or asyncio.Event()
        for problem in self.registry.problems:  # load the drivers now, not on the first advert
            log.error("driver_problem", entry_point=problem.entry_point, error=problem.error)
        await self.publisher.connect()
        tasks = [
            asyncio.create_task(self.publisher.pump(), name="publisher"),
            asyncio.create_task(self._heartbeats(), name="heartbeat"),
            asyncio.create_task(self.radio.run(), name="radio"),
        ]
        log.info("gateway_started", gateway=self.settings.id)
        stopper = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not stopper:
                    task.result()  # a crashed part takes the process down (systemd restarts)
        finally:
            for task in [*tasks, stopper]:
                task.cancel()
            await asyncio.gather(*tasks, stopper, return_exceptions=True)
            await self.radio.close()
            await self.publisher.settle()  # acks already received are written down
            self.publisher.close()
            self.outbox.close()
            self.store.close()
            log.info("gateway_stopped", gateway=self.settings.id)


def _free_mb(path: Path) -> float | None:
    """Free space where the outbox lives; None when the disk cannot be asked."""
    try:
        return round(shutil.disk_usage(path).free / 1e6, 1)
    except OSError:
        return None


def _moment(moment: float | None) -> datetime | None:
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, UTC).replace(microsecond=0)


def install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
