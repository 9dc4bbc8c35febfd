"""`veille pair`: scan and list health devices, record device -> patient, bond when asked."""

from __future__ import annotations

import argparse
import asyncio
import secrets
from dataclasses import dataclass
from typing import Any

from bleak import BleakClient, BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.exc import BleakError

from devices import uuids
from devices.driver import normalize_uuid
from devices.drivers.uds import register_user
from devices.registry import Registry
from gateway.pairing import GatewayStore, normalise_address
from gateway.settings import GatewaySettings
from veille.errors import ConfigError, DeviceError, DriverError

#: Bluetooth SIG health services a device may advertise, for devices no driver claims yet.
HEALTH_SERVICES = {
    normalize_uuid(uuids.GLUCOSE_SERVICE): "glucose",
    normalize_uuid(uuids.BLOOD_PRESSURE_SERVICE): "blood pressure",
    normalize_uuid(uuids.BODY_COMPOSITION_SERVICE): "body composition",
    normalize_uuid(uuids.WEIGHT_SCALE_SERVICE): "weight scale",
    normalize_uuid(uuids.HEALTH_THERMOMETER_SERVICE): "thermometer",
    normalize_uuid(uuids.PULSE_OXIMETER_SERVICE): "pulse oximeter",
}


@dataclass(frozen=True, slots=True)
class Nearby:
    address: str
    name: str | None
    rssi: int
    services: tuple[str, ...]
    driver: str | None


def describe(device: BLEDevice, advertisement: AdvertisementData, registry: Registry) -> Nearby:
    """What the scan list shows for one advertisement (None driver: nothing claims it)."""
    services = tuple(
        HEALTH_SERVICES[u.lower()]
        for u in advertisement.service_uuids
        if u.lower() in HEALTH_SERVICES
    )
    try:
        found = registry.match(device.name, advertisement)
    except DriverError:
        found = None
    return Nearby(
        device.address.upper(),
        advertisement.local_name or device.name,
        advertisement.rssi,
        services,
        found.driver.name if found else None,
    )


async def scan(seconds: float, registry: Registry) -> list[Nearby]:
    """Health devices heard within ``seconds`` (a driver matched or a health service shown)."""
    seen: dict[str, Nearby] = {}

    def heard(device: BLEDevice, advertisement: AdvertisementData) -> None:
        entry = describe(device, advertisement, registry)
        if entry.driver or entry.services:
            seen[entry.address] = entry

    async with BleakScanner(heard):
        await asyncio.sleep(seconds)
    return sorted(seen.values(), key=lambda n: -n.rssi)


async def bond(address: str, pin: str | None, seconds: float) -> None:
    """Pair (bond) with BlueZ, answering its PIN/passkey questions through our agent."""
    from gateway.agent import registered_agent  # D-Bus only when bonding

    device = await BleakScanner.find_device_by_address(address, timeout=seconds)
    if device is None:
        raise DeviceError(
            f"{address} was not heard within {seconds:.0f} s: take a measurement (most "
            "devices advertise only just after one) and run the command again"
        )
    async with registered_agent(pin, address):
        try:
            async with BleakClient(device) as client:
                await client.pair()
        except BleakError as err:
            raise DeviceError(f"bonding with {address} failed: {err}") from err


async def register_on_scale(
    address: str,
    code: int,
    seconds: float,
    *,
    scanner_backend: type[BaseBleakScanner] | None = None,
    client_backend: type[BaseBleakClient] | None = None,
) -> int:
    """Register a new user slot with ``code`` on a User Data Service scale; its index."""
    scan: dict[str, Any] = {"backend": scanner_backend} if scanner_backend else {}
    device = await BleakScanner.find_device_by_address(address, timeout=seconds, **scan)
    if device is None:
        raise DeviceError(
            f"{address} was not heard within {seconds:.0f} s: step on the scale (it advertises "
            "only just after) and run the command again"
        )
    connect: dict[str, Any] = {"backend": client_backend} if client_backend else {}
    try:
        async with BleakClient(device, **connect) as client:
            return await register_user(client, code)
    except BleakError as err:
        raise DeviceError(f"registering a user on {address} failed: {err}") from err


def pair_command(args: argparse.Namespace, settings: GatewaySettings) -> int:
    store = GatewayStore(settings.pairing_path)
    registry = Registry()
    try:
        if args.list:
            for p in store.pairings():
                user = "all users" if p.user_index is None else f"user {p.user_index}"
                consent = "" if p.consent in (None, "given") else f"  [consent {p.consent}]"
                print(f"{p.address}  {p.driver:<18} {user:<10} -> {p.patient}{consent}")
            return 0
        if args.remove:
            removed = store.remove(args.remove)
            print(f"removed {removed} pairing(s) of {normalise_address(args.remove)}")
            return 0 if removed else 1
        if not args.address:
            if settings.ble.backend != "bluez":
                raise ConfigError("veille pair scans with BlueZ; set [gateway.ble] backend")
            found = asyncio.run(scan(args.scan_seconds, registry))
            if not found:
                print("no health device heard: take a measurement, then scan again")
                return 1
            for n in found:
                print(
                    f"{n.address}  {n.rssi:>4} dBm  {n.name or '?':<20} "
                    f"{', '.join(n.services) or '-':<20} driver: {n.driver or 'none'}"
                )
            return 0
        if not args.patient:
            raise ConfigError("--patient is required to pair a device (a pseudonymous id)")
        driver = args.driver
        if driver is None:
            raise ConfigError(
                "--driver is required (the scan list shows it; `veille devices list` lists all)"
            )
        registry.get(driver)  # an unknown driver name fails here, not at the first reading
        if args.bond:
            asyncio.run(bond(normalise_address(args.address), args.pin, args.scan_seconds))
        user_index, code = args.user, args.consent_code
        if args.register:
            if user_index is not None or code is not None:
                raise ConfigError(
                    "--register chooses the slot and its code: no --user/--consent-code"
                )
            code = secrets.randbelow(10_000)
            user_index = asyncio.run(
                register_on_scale(normalise_address(args.address), code, args.scan_seconds)
            )
        elif code is not None and user_index is None:
            raise ConfigError("--consent-code needs the slot it belongs to (--user N)")
        store.pair(args.address, args.patient, driver, user_index, code)
        user = "" if user_index is None else f" (user {user_index})"
        print(f"paired {normalise_address(args.address)}{user} -> {args.patient} [{driver}]")
        return 0
    finally:
        store.close()
