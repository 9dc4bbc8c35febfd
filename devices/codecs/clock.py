"""Date Time (0x2A08), Current Time (0x2A2B) and Battery Level (0x2A19).

The small characteristics a conversation needs around the measurements:
reading and setting a device's clock, and its battery. Current Time is
Date Time, day of week (1 = Monday … 7, 0 = unknown), fractions of a second
in 1/256 and an adjust-reason bit field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntFlag

from devices import uuids
from devices.cursor import DATE_TIME_SIZE, Cursor, Writer
from veille.errors import DecodeError, EncodeError

DATE_TIME_UUID = uuids.DATE_TIME
CURRENT_TIME_UUID = uuids.CURRENT_TIME
BATTERY_LEVEL_UUID = uuids.BATTERY_LEVEL


class AdjustReason(IntFlag):
    MANUAL_TIME_UPDATE = 1 << 0
    EXTERNAL_REFERENCE_TIME_UPDATE = 1 << 1
    CHANGE_OF_TIME_ZONE = 1 << 2
    CHANGE_OF_DST = 1 << 3


def decode_date_time(payload: bytes) -> datetime | None:
    cursor = Cursor(payload, "Date Time")
    value = cursor.date_time("date time")
    cursor.finish()
    return value


def encode_date_time(value: datetime | None) -> bytes:
    out = Writer()
    out.date_time(value)
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class CurrentTime:
    """A device clock: naive local time as the device keeps it."""

    time: datetime | None
    day_of_week: int = 0
    fractions256: int = 0
    adjust_reason: int = 0  # AdjustReason bits


def decode_current_time(payload: bytes) -> CurrentTime:
    cursor = Cursor(payload, "Current Time")
    time = cursor.date_time("date time")
    day_of_week = cursor.u8("day of week")
    if day_of_week > 7:
        raise DecodeError(f"Current Time: day of week {day_of_week} (0-7)", offset=DATE_TIME_SIZE)
    fractions = cursor.u8("fractions256")
    reason = AdjustReason(cursor.u8("adjust reason"))  # unknown bits kept
    cursor.finish()
    return CurrentTime(time, day_of_week, fractions, reason)


def encode_current_time(
    time: datetime, *, adjust_reason: AdjustReason = AdjustReason.MANUAL_TIME_UPDATE
) -> bytes:
    """What a gateway writes to set a device's clock to ``time`` (naive local time)."""
    out = Writer()
    out.date_time(time)
    out.u8(time.isoweekday(), "day of week")
    out.u8(time.microsecond * 256 // 1_000_000, "fractions256")
    out.u8(adjust_reason, "adjust reason")
    return out.getvalue()


def decode_battery_level(payload: bytes) -> int:
    """Percent charge, 0-100."""
    cursor = Cursor(payload, "Battery Level")
    level = cursor.u8("battery level")
    cursor.finish()
    if level > 100:
        raise DecodeError(f"Battery Level: {level} % is above 100", offset=0)
    return level


def encode_battery_level(level: int) -> bytes:
    if not 0 <= level <= 100:
        raise EncodeError(f"battery level {level} is not a percentage")
    return bytes((level,))
