"""`veille pair`: scan and list health devices, record device -> patient, bond when asked."""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass

from bleak import BleakClient, BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakError

from devices.driver import normalize_uuid
from devices.registry import Registry
from gateway.pairing import GatewayStore, normalise_address
from gateway.settings import GatewaySettings
from veille.errors import ConfigError, DeviceError, DriverError

#: Bluetooth SIG health services a device may advertise, for devices no driver claims yet.
HEALTH_SERVICES = {
    normalize_uuid("1808"): "glucose",
    normalize_uuid("1810"): "blood pressure",
    normalize_uuid("181B"): "body composition",
    normalize_uuid("181D"): "weight scale",
    normalize_uuid("1809"): "thermometer",
    normalize_uuid("1822"): "pulse oximeter",
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


def pair_command(args: argparse.Namespace, settings: GatewaySettings) -> int:
    store = GatewayStore(settings.pairing_path)
    registry = Registry()
    try:
        if args.list:
            for p in store.pairings():
                user = "all users" if p.user_index is None else f"user {p.user_index}"
                print(f"{p.address}  {p.driver:<18} {user:<10} -> {p.patient}")
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
        store.pair(args.address, args.patient, driver, args.user)
        user = "" if args.user is None else f" (user {args.user})"
        print(f"paired {normalise_address(args.address)}{user} -> {args.patient} [{driver}]")
        return 0
    finally:
        store.close()
