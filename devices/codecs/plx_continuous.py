"""PLX Continuous Measurement (0x2A5F), Pulse Oximeter Service (0x1822), notified.

Layout: flags (u8), SpO2PR-Normal (two SFLOAT: SpO2 %, pulse /min),
[SpO2PR-Fast], [SpO2PR-Slow], [Measurement Status (u16)], [Device and
Sensor Status (u24)], [pulse amplitude index (SFLOAT, %)]. No timestamp:
samples are timed by their arrival, and the driver, not this codec, turns
the stream into readings (`devices.drivers.oximeter_stream`). Bits 5-7 of
the flags are reserved.
"""

from __future__ import annotations

from enum import IntFlag

from devices import uuids
from devices.codecs import Codec
from devices.codecs.common import metric, require_kind
from devices.codecs.plx_status import DEVICE_FLAGS, MEASUREMENT_FLAGS, flags_of, value_of
from devices.cursor import Cursor, Writer
from devices.reading import Kind, Reading

UUID = uuids.PLX_CONTINUOUS_MEASUREMENT


class ContinuousFlags(IntFlag):
    """Flags of PLX Continuous Measurement (bits 5-7 reserved)."""

    SPO2PR_FAST = 1 << 0
    SPO2PR_SLOW = 1 << 1
    MEASUREMENT_STATUS = 1 << 2
    DEVICE_AND_SENSOR_STATUS = 1 << 3
    PULSE_AMPLITUDE_INDEX = 1 << 4


#: Each SpO2PR pair: the flag announcing it and its two metric names.
PAIRS: tuple[tuple[ContinuousFlags | None, str, str], ...] = (
    (None, "spo2_pct", "pulse_bpm"),
    (ContinuousFlags.SPO2PR_FAST, "spo2_fast_pct", "pulse_fast_bpm"),
    (ContinuousFlags.SPO2PR_SLOW, "spo2_slow_pct", "pulse_slow_bpm"),
)


def decode(payload: bytes) -> Reading:
    cursor = Cursor(payload, "PLX Continuous Measurement")
    flags = ContinuousFlags(cursor.u8("flags"))
    metrics: dict[str, float | None] = {}
    for bit, spo2, pulse in PAIRS:
        if bit is None or bit in flags:
            metrics[spo2] = cursor.sfloat(spo2.removesuffix("_pct").replace("_", " "))
            metrics[pulse] = cursor.sfloat(pulse.removesuffix("_bpm").replace("_", " "))
    names: list[str] = []
    if ContinuousFlags.MEASUREMENT_STATUS in flags:
        names += flags_of(MEASUREMENT_FLAGS, cursor.u16("measurement status"))
    if ContinuousFlags.DEVICE_AND_SENSOR_STATUS in flags:
        names += flags_of(DEVICE_FLAGS, cursor.u24("device and sensor status"))
    if ContinuousFlags.PULSE_AMPLITUDE_INDEX in flags:
        metrics["pulse_amplitude_index_pct"] = cursor.sfloat("pulse amplitude index")
    cursor.finish()
    return Reading(kind=Kind.SPO2_CONTINUOUS, metrics=metrics, flags=tuple(names))


def encode(
    reading: Reading,
    *,
    with_measurement_status: bool | None = None,
    with_device_status: bool | None = None,
) -> bytes:
    """The pairs present in ``metrics`` go out; status fields as `plx_spot_check.encode`."""
    require_kind(reading, Kind.SPO2_CONTINUOUS)
    measurement = value_of(MEASUREMENT_FLAGS, reading.flags)
    device = value_of(DEVICE_FLAGS, reading.flags)
    has_measurement = (
        bool(measurement) if with_measurement_status is None else with_measurement_status
    )
    has_device = bool(device) if with_device_status is None else with_device_status
    pai = "pulse_amplitude_index_pct" in reading.metrics
    flags = ContinuousFlags(0)
    pairs = [(bit, s, p) for bit, s, p in PAIRS if bit is None or s in reading.metrics]
    for bit, _, _ in pairs:
        if bit is not None:
            flags |= bit
    for present, bit in (
        (has_measurement, ContinuousFlags.MEASUREMENT_STATUS),
        (has_device, ContinuousFlags.DEVICE_AND_SENSOR_STATUS),
        (pai, ContinuousFlags.PULSE_AMPLITUDE_INDEX),
    ):
        if present:
            flags |= bit
    out = Writer()
    out.u8(flags, "flags")
    for _, spo2, pulse in pairs:
        out.sfloat(metric(reading, spo2))
        out.sfloat(metric(reading, pulse))
    if has_measurement:
        out.u16(measurement, "measurement status")
    if has_device:
        out.u24(device, "device and sensor status")
    if pai:
        out.sfloat(reading.metrics["pulse_amplitude_index_pct"])
    return out.getvalue()


CODEC = Codec(UUID, "PLX Continuous Measurement", Kind.SPO2_CONTINUOUS, decode, encode)
