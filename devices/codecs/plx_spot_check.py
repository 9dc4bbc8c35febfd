"""PLX Spot-check Measurement (0x2A5E), Pulse Oximeter Service (0x1822), indicated.

Layout: flags (u8), SpO2 (SFLOAT, %), pulse rate (SFLOAT, /min),
[timestamp (Date Time)], [Measurement Status (u16)], [Device and Sensor
Status (u24)], [pulse amplitude index (SFLOAT, %)]. Flag bit 4 says the
device's clock was never set: its timestamps count from an arbitrary
origin, so the reading carries ``device_clock_not_set`` (the gateway sets
the clock when the device offers Current Time). Bits 5-7 are reserved.
"""

from __future__ import annotations

from enum import IntFlag

from devices import uuids
from devices.codecs import Codec
from devices.codecs.common import metric, require_kind
from devices.codecs.plx_status import DEVICE_FLAGS, MEASUREMENT_FLAGS, flags_of, value_of
from devices.cursor import Cursor, Writer
from devices.reading import Kind, Reading

UUID = uuids.PLX_SPOT_CHECK_MEASUREMENT
CLOCK_NOT_SET = "device_clock_not_set"


class SpotCheckFlags(IntFlag):
    """Flags of PLX Spot-check Measurement (bits 5-7 reserved)."""

    TIMESTAMP = 1 << 0
    MEASUREMENT_STATUS = 1 << 1
    DEVICE_AND_SENSOR_STATUS = 1 << 2
    PULSE_AMPLITUDE_INDEX = 1 << 3
    DEVICE_CLOCK_NOT_SET = 1 << 4


def decode(payload: bytes) -> Reading:
    cursor = Cursor(payload, "PLX Spot-check Measurement")
    flags = SpotCheckFlags(cursor.u8("flags"))
    metrics = {"spo2_pct": cursor.sfloat("SpO2"), "pulse_bpm": cursor.sfloat("pulse rate")}
    time = cursor.date_time() if SpotCheckFlags.TIMESTAMP in flags else None
    names: list[str] = []
    if SpotCheckFlags.MEASUREMENT_STATUS in flags:
        names += flags_of(MEASUREMENT_FLAGS, cursor.u16("measurement status"))
    if SpotCheckFlags.DEVICE_AND_SENSOR_STATUS in flags:
        names += flags_of(DEVICE_FLAGS, cursor.u24("device and sensor status"))
    if SpotCheckFlags.PULSE_AMPLITUDE_INDEX in flags:
        metrics["pulse_amplitude_index_pct"] = cursor.sfloat("pulse amplitude index")
    if SpotCheckFlags.DEVICE_CLOCK_NOT_SET in flags:
        names.append(CLOCK_NOT_SET)
    cursor.finish()
    return Reading(kind=Kind.SPO2, metrics=metrics, time=time, flags=tuple(names))


def encode(
    reading: Reading,
    *,
    with_measurement_status: bool | None = None,
    with_device_status: bool | None = None,
) -> bytes:
    """The status fields go out when a flag of theirs is set, unless forced on or off."""
    require_kind(reading, Kind.SPO2)
    measurement = value_of(MEASUREMENT_FLAGS, reading.flags)
    device = value_of(DEVICE_FLAGS, reading.flags)
    has_measurement = (
        bool(measurement) if with_measurement_status is None else with_measurement_status
    )
    has_device = bool(device) if with_device_status is None else with_device_status
    pai = "pulse_amplitude_index_pct" in reading.metrics
    flags = SpotCheckFlags(0)
    for present, bit in (
        (reading.time is not None, SpotCheckFlags.TIMESTAMP),
        (has_measurement, SpotCheckFlags.MEASUREMENT_STATUS),
        (has_device, SpotCheckFlags.DEVICE_AND_SENSOR_STATUS),
        (pai, SpotCheckFlags.PULSE_AMPLITUDE_INDEX),
        (CLOCK_NOT_SET in reading.flags, SpotCheckFlags.DEVICE_CLOCK_NOT_SET),
    ):
        if present:
            flags |= bit
    out = Writer()
    out.u8(flags, "flags")
    out.sfloat(metric(reading, "spo2_pct"))
    out.sfloat(metric(reading, "pulse_bpm"))
    if reading.time is not None:
        out.date_time(reading.time)
    if has_measurement:
        out.u16(measurement, "measurement status")
    if has_device:
        out.u24(device, "device and sensor status")
    if pai:
        out.sfloat(reading.metrics["pulse_amplitude_index_pct"])
    return out.getvalue()


CODEC = Codec(UUID, "PLX Spot-check Measurement", Kind.SPO2, decode, encode)
