"""The driver registry: entry points of the ``veille.devices`` group, loaded lazily.

Veille's own drivers register in its ``pyproject.toml`` exactly as a
vendor's package does::

    [project.entry-points."veille.devices"]
    weight_scale = "devices.drivers.scales:WeightScaleDriver"

An entry point names a `devices.driver.Driver` or `AdvertisementDriver`
subclass (made with no arguments) or instance. Nothing is imported until
the registry is first used. Each driver is validated when it registers and
kept with the distribution that provided it; one that fails to import or
validate is recorded as a `Problem` and the others load regardless.

`Registry.match` picks the driver whose most specific matching `Matcher`
is the most specific of all; two drivers equally specific for one device is
a configuration error (`DriverError`), as is found early by `problems`
when two drivers declare the very same matcher. A driver that takes devices
advertising several services says so with one matcher naming them all
(``Matcher(service_uuid=("181D", "181B"))``), which outranks a matcher
naming one of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

from devices.decode import characteristic_key
from devices.driver import AdvertisementDriver, BaseDriver, Driver, Matcher
from veille.errors import DecodeError, DriverError

if TYPE_CHECKING:
    from bleak.backends.scanner import AdvertisementData

GROUP = "veille.devices"
_NAME = re.compile(r"^[a-z][a-z0-9_.-]*$")


@dataclass(frozen=True, slots=True)
class Registered:
    """A driver and where it came from (``distribution`` is ``name version``)."""

    driver: BaseDriver
    entry_point: str
    distribution: str


@dataclass(frozen=True, slots=True)
class Problem:
    """A driver that could not register, or two that would be ambiguous."""

    entry_point: str
    distribution: str
    error: str


def validate(candidate: object) -> BaseDriver:
    """The driver an entry point provides, or `DriverError` saying what is wrong with it."""
    if isinstance(candidate, type):
        if not issubclass(candidate, BaseDriver):
            raise DriverError(f"{candidate.__name__} is not a devices.driver.Driver subclass")
        candidate = candidate()
    if not isinstance(candidate, Driver | AdvertisementDriver):
        raise DriverError(
            f"{candidate!r} is neither a devices.driver.Driver nor an AdvertisementDriver"
        )
    kind = type(candidate).__name__
    if not _NAME.match(candidate.name or ""):
        raise DriverError(f"{kind}.name {candidate.name!r} must be lower-case, e.g. 'acme_scale'")
    if not candidate.matchers or not all(isinstance(m, Matcher) for m in candidate.matchers):
        raise DriverError(f"{kind} declares no Matcher: it could never be chosen")
    if isinstance(candidate, Driver):
        if type(candidate).run_session is Driver.run_session:
            raise DriverError(f"{kind} does not implement run_session")
        try:
            for char in candidate.characteristics:
                characteristic_key(char)
        except DecodeError as error:
            raise DriverError(f"{kind}.characteristics: {error}") from None
    elif type(candidate).from_advertisement is AdvertisementDriver.from_advertisement:
        raise DriverError(f"{kind} does not implement from_advertisement")
    return candidate


def _distribution(entry: EntryPoint) -> str:
    dist = entry.dist
    return f"{dist.name} {dist.version}" if dist is not None else "unknown distribution"


class Registry:
    """Drivers from entry points (by default the installed ``veille.devices`` group)."""

    def __init__(self, entries: Iterable[EntryPoint] | None = None) -> None:
        self._entries = list(entries) if entries is not None else None
        self._drivers: list[Registered] | None = None
        self._problems: list[Problem] = []

    def _load(self) -> list[Registered]:
        if self._drivers is not None:
            return self._drivers
        entries = self._entries if self._entries is not None else entry_points(group=GROUP)
        self._drivers = []
        for entry in sorted(entries, key=lambda e: e.name):
            source = _distribution(entry)
            try:
                driver = validate(entry.load())
            except DriverError as error:
                self._problems.append(Problem(entry.name, source, str(error)))
                continue
            # A vendor's module may fail to import in any way at all (a missing dependency,
            # a syntax error, an exception at import time); that is reported and isolated
            # here so it cannot take the other drivers down.
            except Exception as error:  # noqa: BLE001
                reason = f"failed to load: {type(error).__name__}: {error}"
                self._problems.append(Problem(entry.name, source, reason))
                continue
            self.add(driver, entry_point=entry.name, distribution=source)
        return self._drivers

    def add(self, driver: BaseDriver, *, entry_point: str, distribution: str) -> None:
        """Register ``driver`` (validated); a second driver with the same name is refused."""
        drivers = self._drivers if self._drivers is not None else self._load()
        try:
            driver = validate(driver)
            taken = next((r for r in drivers if r.driver.name == driver.name), None)
            if taken is not None:
                raise DriverError(
                    f"driver name {driver.name!r} is already registered by {taken.distribution}"
                )
        except DriverError as error:
            self._problems.append(Problem(entry_point, distribution, str(error)))
            return
        for other in drivers:
            for matcher in set(driver.matchers) & set(other.driver.matchers):
                self._problems.append(
                    Problem(
                        entry_point,
                        distribution,
                        f"{driver.name} and {other.driver.name} ({other.distribution}) both "
                        f"claim {describe_matcher(matcher)}: such a device would be ambiguous",
                    )
                )
        drivers.append(Registered(driver, entry_point, distribution))

    @property
    def drivers(self) -> Sequence[Registered]:
        return tuple(self._load())

    @property
    def problems(self) -> Sequence[Problem]:
        self._load()
        return tuple(self._problems)

    def get(self, name: str) -> BaseDriver:
        for registered in self._load():
            if registered.driver.name == name:
                return registered.driver
        raise DriverError(f"no driver named {name!r}; installed: {self.names()}")

    def names(self) -> list[str]:
        return [r.driver.name for r in self._load()]

    def match(self, name: str | None, advertisement: AdvertisementData) -> Registered | None:
        """The driver for this advertisement; ``None`` when no driver claims it.

        Raises `DriverError` when two drivers claim it equally specifically.
        """
        scored = [(r.driver.best_match(name, advertisement), r) for r in self._load()]
        scored = [(score, r) for score, r in scored if score > 0]
        if not scored:
            return None
        best = max(score for score, _ in scored)
        winners = [r for score, r in scored if score == best]
        if len(winners) > 1:
            claimants = ", ".join(f"{r.driver.name} ({r.distribution})" for r in winners)
            raise DriverError(
                f"{len(winners)} drivers claim this device equally ({claimants}); "
                "uninstall one, or make one's matcher more specific"
            )
        return winners[0]


def _short(uuid: str) -> str:
    if uuid.startswith("0000") and uuid.endswith("-0000-1000-8000-00805f9b34fb"):
        return uuid[4:8].upper()
    return uuid


def describe_matcher(matcher: Matcher) -> str:
    parts = []
    if matcher.services:
        plural = "s" if len(matcher.services) > 1 else ""
        parts.append(f"service{plural} {' & '.join(_short(u) for u in matcher.services)}")
    if matcher.service_data_uuid:
        parts.append(f"service data {_short(matcher.service_data_uuid)}")
    if matcher.manufacturer_id is not None:
        parts.append(f"manufacturer 0x{matcher.manufacturer_id:04X}")
    if matcher.local_name:
        parts.append(f"name /{matcher.local_name}/")
    return " + ".join(parts)


def describe(registry: Registry) -> list[str]:
    """Lines for ``veille devices list``: driver, what it claims, who provided it."""
    lines = []
    for r in sorted(registry.drivers, key=lambda r: r.driver.name):
        claims = "; ".join(describe_matcher(m) for m in r.driver.matchers)
        chars = ", ".join(r.driver.characteristics) or "advertisement only"
        lines.append(f"{r.driver.name:<20} {claims:<40} [{chars}]  from {r.distribution}")
    return lines
