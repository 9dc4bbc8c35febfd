"""The demo's home: the real gateway (`gateway.service.Gateway`) on the simulator's radio.

The household is `devices/sim/households/demo.toml`, moved so that its
story (day 0 to day 28) ends today. Its virtual devices
(`devices.sim.household.SimulatedHome`) take their measurements as the
world clock passes them and advertise; the gateway scans, connects, runs
each driver's GATT conversation through bleak's backend interface, keeps
every reading in its durable outbox and publishes it; only the radio is
simulated. The world clock follows the demo's compressed clock, so device
timestamps, the gateway's receive times and the rules' "now" are all
simulated time.

A second run on the same data directory rebuilds the devices' memories up
to where the first run stopped (a glucose meter keeps its numbered records,
as a real one does; scales and cuffs had already handed theirs over), and
the gateway, with its own pairing table and outbox in the data directory,
goes on from there.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import devices.sim
from devices.drivers.oximeter import cursor_of
from devices.reading import Reading
from devices.sim.devices import GlucoseMeter, MeasurementDevice
from devices.sim.health import PulseOximeter
from devices.sim.household import Household, SimulatedHome
from gateway.service import Backends, Gateway
from gateway.settings import GatewaySettings
from veille.clock import Clock
from veille.mqtt import BrokerSettings

HOUSEHOLD_FILE = Path(devices.sim.__file__).parent / "households" / "demo.toml"
GATEWAY_ID = "demo-gw-01"
#: A driver per simulated device type (names of the `veille.devices` registry).
DRIVERS = {
    "weight_scale": "weight_scale",
    "body_composition": "body_composition",
    "blood_pressure": "blood_pressure",
    "glucose": "glucose",
    "pulse_oximeter": "pulse_oximeter",
    "thermometer": "thermometer",
}


def load_household(epoch: date, path: Path = HOUSEHOLD_FILE) -> Household:
    """The demo household with its day 0 on ``epoch`` (records already stored move with it)."""
    base = Household.load(path)
    shift = epoch - base.model.start
    stored = [s.model_copy(update={"at": s.at + shift}) for s in base.model.stored]
    return Household(base.model.model_copy(update={"start": epoch, "stored": stored}))


def home_time(household: Household, moment: datetime) -> datetime:
    """An aware moment as the home's naive wall time (what device clocks show)."""
    return moment.astimezone(ZoneInfo(household.model.timezone)).replace(tzinfo=None)


def story_start(household: Household) -> datetime:
    """Day 0, midnight at home, as an aware UTC time."""
    zone = ZoneInfo(household.model.timezone)
    return datetime.combine(household.model.start, time(0, 0), zone).astimezone(UTC)


def produced(household: Household, until: datetime) -> dict[str, dict[str, int]]:
    """patient -> kind -> readings the home's devices held from day 0 until ``until``."""
    start = home_time(household, story_start(household))
    taken = [*household.stored(), *household.measurements(start, home_time(household, until))]
    counts: dict[str, Counter[str]] = {}
    for measurement in taken:
        counts.setdefault(measurement.patient, Counter())[measurement.reading.kind.value] += 1
    return {patient: dict(kinds) for patient, kinds in sorted(counts.items())}


@dataclass(frozen=True, slots=True)
class Left:
    """What has not reached the store yet: records on the devices, rows in the outbox."""

    on_devices: int
    in_outbox: int
    #: the earliest measurement still on a device (a next run measures again from there)
    oldest_on_device: datetime | None

    @property
    def total(self) -> int:
        return self.on_devices + self.in_outbox


class SimulatedGateway:
    """`run` (in a thread) plays the home on ``clock`` through a real gateway until `stop`."""

    def __init__(
        self,
        household: Household,
        clock: Clock,
        broker: BrokerSettings,
        data_dir: Path,
        played_until: datetime,
    ) -> None:
        self.household = household
        self.clock = clock
        self.broker = broker
        self.settings = GatewaySettings(
            id=GATEWAY_ID,
            data_dir=data_dir / "gateway",
            timezone=household.model.timezone,
            # Real seconds: at the demo's speed, twenty seconds would be a fortnight.
            reconnect_after_s=0,
            republish_after_s=10,
            heartbeat_s=15,
            max_connections=4,
        )
        self.played_until = played_until
        self._resumed_from = played_until
        self._paused = threading.Event()
        self._halted = threading.Event()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._home: SimulatedHome | None = None
        self._gateway: Gateway | None = None

    def run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        home = SimulatedHome(self.household)
        if self._resumed_from > story_start(self.household):
            self._restore(home)
        radio = home.radio
        gateway = Gateway(
            self.settings,
            self.broker,
            Backends(radio.scanner_backend, radio.client_backend, radio.now),
        )
        for (address, user_index), patient in self.household.pairings().items():
            driver = DRIVERS[self.household.devices[address].type]
            code = self.household.consent_code(address, user_index)
            gateway.store.pair(address, patient, driver, user_index, code)
        self._home, self._gateway = home, gateway
        driving = asyncio.create_task(self._drive(home))
        self._ready.set()
        try:
            await gateway.run(self._stop)
        finally:
            driving.cancel()
            await asyncio.gather(driving, return_exceptions=True)

    def _restore(self, home: SimulatedHome) -> None:
        """Devices' memories as the previous run left them."""
        home.advance_to(home_time(self.household, self._resumed_from))
        for device in home.devices.values():
            if isinstance(device, MeasurementDevice):  # handed over in the previous run
                device.delivered.extend(device.pending)
                device.pending.clear()

    async def _drive(self, home: SimulatedHome) -> None:
        """Move the world clock with the demo's clock; devices measure on the way."""
        try:
            while not self._paused.is_set():
                now = self.clock.now()
                wall = home_time(self.household, now)
                if wall > home.radio.now():
                    home.advance_to(wall)
                    self.played_until = now
                await asyncio.sleep(0.05)
        finally:
            self._halted.set()

    def wait_ready(self, timeout_s: float) -> bool:
        return self._ready.wait(timeout_s)

    def pause(self) -> datetime:
        """Measure no more; returns the moment the home stopped at."""
        self._paused.set()
        self._halted.wait(5)
        return self.played_until

    async def _left(self) -> Left:
        home, gateway = self._home, self._gateway
        if home is None or gateway is None:
            return Left(0, 0, None)
        waiting: list[Reading] = []
        for device in home.devices.values():
            if isinstance(device, MeasurementDevice):
                waiting.extend(device.pending)
            elif isinstance(device, GlucoseMeter) and device.records:
                last = gateway.store.remembered(device.address).last_sequence or 0
                waiting.extend(r for r, _c in device.records if (r.sequence or 0) > last)
            elif isinstance(device, PulseOximeter) and device.records:
                cursor = gateway.store.remembered(device.address).last_sequence
                waiting.extend(
                    r
                    for r in device.records
                    if cursor is None or (r.time and cursor_of(r.time) > cursor)
                )
        zone = ZoneInfo(self.household.model.timezone)
        times = [r.time.replace(tzinfo=zone).astimezone(UTC) for r in waiting if r.time]
        return Left(len(waiting), gateway.outbox.depth().waiting, min(times, default=None))

    def left(self) -> Left:
        """What is not yet in the store's hands, asked from another thread."""
        if self._loop is None or self._loop.is_closed():
            return Left(0, 0, None)
        future = asyncio.run_coroutine_threadsafe(self._left(), self._loop)
        return future.result(10)

    def stop(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stop.set)
