"""The virtual radio: a world of virtual peripherals, its clock, and bleak backends bound to it.

``BleakScanner(callback, backend=radio.scanner_backend)`` and
``BleakClient(device, backend=radio.client_backend)`` work unchanged: the
backend classes are subclasses of bleak's own `BaseBleakScanner` and
`BaseBleakClient`, made per radio, so two radios in one process never see
each other's devices (no global state).

The world clock is simulated: ``radio.now()`` is what device clocks run on
and what a demo advances (weeks in a minute). Advertising windows and
delays are real loop time, because bleak's callers wait in real time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TypeVar

from devices.sim.backend import SimClient, SimScanner
from devices.sim.peripheral import VirtualPeripheral
from veille.errors import ConfigError

#: Any kind of virtual device: `add` hands back the very type it was given.
P = TypeVar("P", bound="VirtualPeripheral")


class VirtualRadio:
    """Virtual peripherals in range of one gateway, and the world clock they share."""

    def __init__(self, *, start: datetime | None = None, scan_interval: float = 0.02) -> None:
        self._now = start or datetime(2026, 1, 5, 7, 0)
        self.scan_interval = scan_interval
        self._devices: dict[str, VirtualPeripheral] = {}
        self._scanner: type[SimScanner] | None = None
        self._client: type[SimClient] | None = None

    # --- world --------------------------------------------------------------------

    def now(self) -> datetime:
        """World local time (naive), what a correctly set device clock shows."""
        return self._now

    def set_time(self, when: datetime) -> None:
        if when < self._now:
            raise ConfigError(f"the world clock runs forward: {when} is before {self._now}")
        self._now = when

    def advance(self, delta: timedelta) -> None:
        self.set_time(self._now + delta)

    def add(self, device: P) -> P:
        if device.address in self._devices:
            raise ConfigError(f"two virtual devices share the address {device.address}")
        device.radio = self
        self._devices[device.address] = device
        return device

    def device(self, address: str) -> VirtualPeripheral | None:
        return self._devices.get(address.upper())

    def __iter__(self) -> Iterator[VirtualPeripheral]:
        return iter(list(self._devices.values()))

    # --- bleak backends bound to this radio -----------------------------------------

    @property
    def scanner_backend(self) -> type[SimScanner]:
        """A `BaseBleakScanner` subclass that hears this radio's devices."""
        if self._scanner is None:
            self._scanner = type("VirtualRadioScanner", (SimScanner,), {"radio": self})
        return self._scanner

    @property
    def client_backend(self) -> type[SimClient]:
        """A `BaseBleakClient` subclass that connects to this radio's devices."""
        if self._client is None:
            self._client = type("VirtualRadioClient", (SimClient,), {"radio": self})
        return self._client
