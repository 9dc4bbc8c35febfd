"""Xiaomi Mi Body Composition Scale 2 (XMTZC05HM, advertises as ``MIBFS``).

The scale never needs a connection: each advertisement carries 13 bytes of
service data under 0x181B (its own format, not the Bluetooth SIG Body
Composition Measurement), following the publicly documented layout
(openScale wiki, Theengs decoder):

====== ======================================================================
bytes  meaning
====== ======================================================================
0      unit and flags: bit 0 pounds (else kilograms)
1      flags: bit 1 impedance present, bit 5 weight stabilised,
       bit 6 catty (jin) unit, bit 7 weight removed (person stepped off)
2-8    scale clock: year (u16 LE), month, day, hour, minute, second
9-10   impedance, ohm (u16 LE)
11-12  weight (u16 LE): kilograms x 200, or pounds / catty x 100
====== ======================================================================

A reading comes from a stabilised weight only; the repeats of one
measurement carry the same scale time, hence the same reading id.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from devices import uuids
from devices.driver import AdvertisementDriver, DecodeError, Matcher, normalize_uuid
from devices.reading import Kind, Reading

if TYPE_CHECKING:
    from bleak.backends.device import BLEDevice
    from bleak.backends.scanner import AdvertisementData

SERVICE_DATA_UUID = normalize_uuid(uuids.BODY_COMPOSITION_SERVICE)
LENGTH = 13
KG_PER_LB = 0.45359237
KG_PER_JIN = 0.5

POUNDS = 1 << 0
IMPEDANCE = 1 << 1
STABILISED = 1 << 5
CATTY = 1 << 6
REMOVED = 1 << 7


def parse(data: bytes) -> list[Reading]:
    """The readings in one service-data payload: none until the weight is stable.

    A stable weight gives a ``weight`` reading; with impedance, also a
    ``body_composition`` reading carrying weight and impedance.
    """
    if len(data) != LENGTH:
        raise DecodeError(f"Mi Scale 2 service data is {LENGTH} bytes, got {len(data)}")
    unit, flags = data[0], data[1]
    if flags & REMOVED or not flags & STABILISED:
        return []
    year = int.from_bytes(data[2:4], "little")
    month, day, hour, minute, second = data[4:9]
    try:
        time = datetime(year, month, day, hour, minute, second) if year else None
    except ValueError as error:
        raise DecodeError(f"Mi Scale 2 clock {year}-{month}-{day}: {error}", offset=2) from None
    raw = int.from_bytes(data[11:13], "little")
    if flags & CATTY:
        weight_kg = raw / 100 * KG_PER_JIN
    elif unit & POUNDS:
        weight_kg = raw / 100 * KG_PER_LB
    else:
        weight_kg = raw / 200
    readings = [Reading(Kind.WEIGHT, {"weight_kg": round(weight_kg, 3)}, time=time)]
    if flags & IMPEDANCE:
        impedance = float(int.from_bytes(data[9:11], "little"))
        readings.append(
            Reading(
                Kind.BODY_COMPOSITION,
                {"weight_kg": round(weight_kg, 3), "impedance_ohm": impedance},
                time=time,
            )
        )
    return readings


def encode(
    weight_kg: float,
    time: datetime,
    *,
    impedance_ohm: int | None = None,
    stabilised: bool = True,
    removed: bool = False,
) -> bytes:
    """The service data the scale advertises (kilograms): for the simulator and tests."""
    flags = (STABILISED if stabilised else 0) | (REMOVED if removed else 0)
    flags |= IMPEDANCE if impedance_ohm is not None else 0
    return (
        bytes((0x02, flags))
        + time.year.to_bytes(2, "little")
        + bytes((time.month, time.day, time.hour, time.minute, time.second))
        + (impedance_ohm or 0).to_bytes(2, "little")
        + round(weight_kg * 200).to_bytes(2, "little")
    )


class MiScale2Driver(AdvertisementDriver):
    name = "xiaomi_mi_scale_2"
    description = "Xiaomi Mi Body Composition Scale 2 (MIBFS), advertisement only"
    # Service DATA 0x181B plus the name: more specific than a standard 0x181B service.
    matchers = (Matcher(service_data_uuid=uuids.BODY_COMPOSITION_SERVICE, local_name="MIBFS"),)

    def from_advertisement(
        self, device: BLEDevice, advertisement: AdvertisementData
    ) -> list[Reading]:
        data = advertisement.service_data.get(SERVICE_DATA_UUID)
        if data is None:
            return []
        return parse(bytes(data))
