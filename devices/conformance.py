"""The conformance kit: what a driver (ours or a vendor's) must pass before it ships.

Four checks, each returning a `Report` (``report.raise_for_failures()`` in a
test):

- `check_vectors`: literal payloads against the whole expected readings, and
  payloads that must be refused with `DecodeError`;
- `check_round_trips`: the vendor's encoder (or the simulator's) and the
  driver's decoder agree;
- `check_malformed`: thousands of truncated, extended, bit-flipped and random
  payloads raise nothing but `DecodeError` (seed printed, pinnable);
- `check_session`: a whole session through real ``bleak.BleakScanner`` and
  ``BleakClient`` against a virtual device on a `VirtualRadio`.

A vendor imports from here, `devices.driver` and `devices.reading` only;
the simulator classes a session needs are re-exported below.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bleak import BleakClient, BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData

from devices.driver import AdvertisementDriver, BaseDriver, DeviceState, Driver, SessionResult
from devices.reading import Reading
from devices.sim import Broadcaster, Faults, VirtualPeripheral, VirtualRadio
from veille.errors import DecodeError, DeviceError, DriverError

__all__ = [
    "Broadcaster",
    "ConformanceError",
    "Faults",
    "Report",
    "Vector",
    "VirtualPeripheral",
    "VirtualRadio",
    "advertisement",
    "check_malformed",
    "check_round_trips",
    "check_session",
    "check_vectors",
    "decode_with",
    "same_reading",
    "session",
]


class ConformanceError(DriverError):
    """A driver failed the conformance kit; the message lists every failure."""


@dataclass(frozen=True, slots=True)
class Vector:
    """A literal payload and the readings it must decode to (``None``: must be refused).

    ``characteristic`` is the GATT characteristic (``"2A9D"``) for a GATT
    driver, or the service-data UUID for an advertisement driver.
    """

    name: str
    characteristic: str
    payload: bytes
    expected: tuple[Reading, ...] | None


@dataclass(slots=True)
class Report:
    driver: str
    check: str
    passed: int = 0
    failures: list[str] = field(default_factory=list)

    def fail(self, text: str) -> None:
        self.failures.append(text)

    def raise_for_failures(self) -> None:
        if self.failures:
            lines = "\n  ".join(self.failures[:20])
            more = f"\n  ... and {len(self.failures) - 20} more" if len(self.failures) > 20 else ""
            raise ConformanceError(
                f"{self.driver}: {self.check}: {len(self.failures)} failure(s)\n  {lines}{more}"
            )


def advertisement(
    service_data: dict[str, bytes] | None = None,
    *,
    local_name: str | None = None,
    service_uuids: Sequence[str] = (),
    manufacturer_data: dict[int, bytes] | None = None,
) -> AdvertisementData:
    """An advertisement as bleak reports it, for an advertisement driver's vectors."""
    from devices.driver import normalize_uuid

    return AdvertisementData(
        local_name=local_name,
        manufacturer_data=dict(manufacturer_data or {}),
        service_data={normalize_uuid(k): v for k, v in (service_data or {}).items()},
        service_uuids=[normalize_uuid(u) for u in service_uuids],
        tx_power=None,
        rssi=-60,
        platform_data=(),
    )


def decode_with(
    driver: BaseDriver, characteristic: str, payload: bytes, *, local_name: str | None = None
) -> tuple[Reading, ...]:
    """What the driver makes of one payload; raises whatever the driver raises."""
    if isinstance(driver, Driver):
        return (driver.decode(characteristic, payload),)
    if isinstance(driver, AdvertisementDriver):
        device = BLEDevice("00:00:00:00:00:00", local_name, None)
        adv = advertisement({characteristic: payload}, local_name=local_name)
        return tuple(driver.from_advertisement(device, adv))
    raise DriverError(f"{driver!r} is not a Driver or AdvertisementDriver")


def _close(a: float | None, b: float | None, tolerance: float) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=tolerance, abs_tol=tolerance)


def same_reading(got: Reading, want: Reading, *, tolerance: float = 1e-9) -> str | None:
    """``None`` when ``got`` is ``want`` (metrics within ``tolerance``), else what differs."""
    if got.metrics.keys() != want.metrics.keys():
        return f"metrics {sorted(got.metrics)} != {sorted(want.metrics)}"
    for name, value in want.metrics.items():
        if not _close(got.metrics[name], value, tolerance):
            return f"{name} = {got.metrics[name]} != {value}"
    for attr in ("kind", "time", "user_index", "sequence", "flags"):
        if getattr(got, attr) != getattr(want, attr):
            return f"{attr} = {getattr(got, attr)!r} != {getattr(want, attr)!r}"
    if dict(got.attributes) != dict(want.attributes):
        return f"attributes {dict(got.attributes)} != {dict(want.attributes)}"
    return None


def _compare(
    report: Report, label: str, got: Sequence[Reading], want: Sequence[Reading], tolerance: float
) -> None:
    if len(got) != len(want):
        report.fail(f"{label}: {len(got)} reading(s), expected {len(want)}")
        return
    for index, (g, w) in enumerate(zip(got, want, strict=True)):
        difference = same_reading(g, w, tolerance=tolerance)
        if difference is not None:
            report.fail(f"{label}: reading {index}: {difference}")
            return
    report.passed += 1


def check_vectors(
    driver: BaseDriver,
    vectors: Sequence[Vector],
    *,
    local_name: str | None = None,
    tolerance: float = 1e-6,
) -> Report:
    report = Report(driver.name, "vectors")
    for vector in vectors:
        try:
            got = decode_with(driver, vector.characteristic, vector.payload, local_name=local_name)
        except DecodeError as error:
            if vector.expected is None:
                report.passed += 1
            else:
                report.fail(f"{vector.name}: refused ({error}) but should decode")
            continue
        if vector.expected is None:
            report.fail(f"{vector.name}: decoded {got} but must be refused with DecodeError")
            continue
        _compare(report, vector.name, got, vector.expected, tolerance)
    return report


def check_round_trips(
    driver: BaseDriver,
    characteristic: str,
    readings: Sequence[Reading],
    encode: Callable[[Reading], bytes],
    *,
    tolerance: float = 1e-6,
    local_name: str | None = None,
) -> Report:
    """``decode(encode(r))`` is ``r`` for each reading (within the field's resolution)."""
    report = Report(driver.name, "round trips")
    for index, reading in enumerate(readings):
        payload = encode(reading)
        try:
            got = decode_with(driver, characteristic, payload, local_name=local_name)
        except DecodeError as error:
            report.fail(f"round trip {index}: {payload.hex()} refused: {error}")
            continue
        _compare(report, f"round trip {index} ({payload.hex()})", got[:1], [reading], tolerance)
    return report


def _mutations(rng: random.Random, seeds: Sequence[bytes], count: int) -> list[bytes]:
    out: list[bytes] = [b""]
    for seed in seeds:
        out += [seed[:cut] for cut in range(len(seed))]  # every truncation
        out.append(seed + b"\x00")
        out.append(seed + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8))))
    while len(out) < count:
        if seeds and rng.random() < 0.7:
            data = bytearray(rng.choice(seeds))
            for _ in range(rng.randrange(1, 4)):
                if data:
                    data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
            out.append(bytes(data))
        else:
            out.append(bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40))))
    return out


def check_malformed(
    driver: BaseDriver,
    characteristic: str,
    seeds: Sequence[bytes],
    *,
    examples: int = 2000,
    seed: int | None = None,
    local_name: str | None = None,
) -> Report:
    """Mutated and random payloads: the driver decodes them or raises `DecodeError`, nothing else.

    The seed is in the report's check name, so a failure can be replayed.
    """
    seed = random.randrange(2**32) if seed is None else seed
    report = Report(driver.name, f"malformed input (seed={seed})")
    for payload in _mutations(random.Random(seed), seeds, examples):
        try:
            decode_with(driver, characteristic, payload, local_name=local_name)
        except DecodeError:
            pass
        # Anything else escaping a decoder is exactly what this check exists to find.
        except Exception as error:  # noqa: BLE001
            report.fail(f"{payload.hex()}: {type(error).__name__}: {error}")
            continue
        report.passed += 1
    return report


async def session(
    radio: VirtualRadio,
    driver: Driver,
    address: str,
    state: DeviceState | None = None,
    *,
    scan_timeout: float = 2.0,
    connect_attempts: int = 1,
    clock: Callable[[], datetime] | None = None,
    into: list[Reading] | None = None,
) -> tuple[SessionResult, list[Reading]]:
    """Scan for ``address``, connect through bleak and run one session; (result, readings).

    Connection attempts are retried ``connect_attempts`` times, as a gateway
    would; the readings are those handed to ``emit``, also appended to
    ``into`` as they come (so a caller keeps them when the session fails).
    """
    device = await BleakScanner.find_device_by_address(
        address, timeout=scan_timeout, backend=radio.scanner_backend
    )
    if device is None:
        raise DeviceError(f"{address} did not advertise within {scan_timeout} s")
    readings: list[Reading] = []
    sink = into if into is not None else []

    async def emit(reading: Reading) -> None:
        readings.append(reading)
        if sink is not readings:
            sink.append(reading)

    from bleak.exc import BleakError

    for attempt in range(1, connect_attempts + 1):
        client = BleakClient(device, backend=radio.client_backend)
        try:
            await client.connect()
        except BleakError as error:
            if attempt == connect_attempts:
                raise DeviceError(f"{address}: {error} after {attempt} attempt(s)") from error
            await asyncio.sleep(0.01)
            continue
        try:
            result = await driver.run_session(
                client, state or DeviceState(), emit, clock=clock or radio.now
            )
        finally:
            await client.disconnect()
        return result, readings
    raise DeviceError(f"{address}: no connection attempt was made")


async def check_session(
    driver: BaseDriver,
    radio: VirtualRadio,
    address: str,
    expected: Sequence[Reading],
    *,
    tolerance: float = 0.01,
    listen: float = 0.5,
) -> Report:
    """One session against a virtual device; the readings must be ``expected``.

    An advertisement driver is given every advertisement heard for ``listen``
    seconds; repeated advertisements must give equal readings (they are
    one measurement downstream).
    """
    report = Report(driver.name, "session")
    if isinstance(driver, Driver):
        try:
            result, got = await session(radio, driver, address)
        except DeviceError as error:
            report.fail(f"session failed: {error}")
            return report
        if result.readings != len(got):
            report.fail(f"SessionResult.readings = {result.readings}, emitted {len(got)}")
        _compare(report, "session", got, expected, tolerance)
        return report
    if not isinstance(driver, AdvertisementDriver):
        raise DriverError(f"{driver.name}: neither a GATT session driver nor an advertisement one")
    heard: list[Reading] = []
    failures: list[str] = []

    def detected(device: BLEDevice, adv: AdvertisementData) -> None:
        if device.address.upper() != address.upper() or driver.best_match(device.name, adv) == 0:
            return
        try:
            for reading in driver.from_advertisement(device, adv):
                if reading not in heard:
                    heard.append(reading)
        except DecodeError as error:
            failures.append(f"advertisement refused: {error}")

    async with BleakScanner(detected, backend=radio.scanner_backend):
        await asyncio.sleep(listen)
    for failure in failures:
        report.fail(failure)
    _compare(report, "session", heard, expected, tolerance)
    return report
