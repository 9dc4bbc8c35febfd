"""Which time a reading carries on the wire, given the device clock and the gateway's.

BLE Date Time has no zone: the device clock is read as wall time in the
gateway's configured zone (zoneinfo, so daylight saving is right), then
converted to UTC. When the device clock is not believable (the driver
flagged ``device_clock_unreliable`` because the drift it measured was large,
or the time lies in the future, or the device sent none) the wire ``time``
is the gateway's receive time; the device's own time still travels as
``device_time`` and the flag says why they differ.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from devices.reading import Reading

UNRELIABLE = "device_clock_unreliable"
#: a measurement cannot come from the future; small slack for clocks a little fast
FUTURE_SLACK = timedelta(minutes=5)
#: before this a device clock was never set (many reset to 2000-01-01 or 1970)
EARLIEST = datetime(2015, 1, 1)


def local_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """A naive wall-clock time in ``zone`` as an aware UTC time (first fold when ambiguous)."""
    return wall.replace(tzinfo=zone).astimezone(UTC)


def wire_time(
    reading: Reading, received: datetime, zone: ZoneInfo
) -> tuple[datetime, tuple[str, ...]]:
    """(measurement time in UTC, flags) for ``reading`` received at ``received`` (aware)."""
    flags = tuple(reading.flags)
    if reading.time is None:
        return received.astimezone(UTC), flags
    if UNRELIABLE in flags:
        return received.astimezone(UTC), flags
    measured = local_to_utc(reading.time, zone)
    if reading.time < EARLIEST or measured > received + FUTURE_SLACK:
        return received.astimezone(UTC), (*flags, UNRELIABLE)
    return measured, flags
