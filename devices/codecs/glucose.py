"""Glucose Measurement (0x2A18), Glucose Service.

Layout: flags (u8), sequence number (u16), base time (Date Time), [time
offset (s16, minutes)], [concentration (SFLOAT, kg/L or mol/L) with type and
sample location (u8: type in the low nibble, location in the high one)],
[sensor status annunciation (u16)]. Flag bit 4 says a Glucose Measurement
Context with the same sequence number follows; it is kept as the attribute
``context_follows`` so the driver knows to wait for it.

kg/L is converted through mg/dL (× 10^5) to mmol/L (÷ 18.0156); mol/L × 1000.
Control solution is reported as the device says it (``sample_type``); adding
the ``control_solution`` flag is the driver's decision, not the decoder's.
"""

from __future__ import annotations

from datetime import timedelta
from enum import IntFlag

from devices import uuids
from devices.codecs import Codec
from devices.codecs.common import enum_name, enum_value, metric, require_kind
from devices.codecs.units import MG_DL_PER_KG_L, MG_DL_PER_MMOL_L
from devices.cursor import Cursor, Writer
from devices.reading import Kind, Reading
from veille.errors import DecodeError, EncodeError

UUID = uuids.GLUCOSE_MEASUREMENT


class GlucoseFlags(IntFlag):
    """Flags field of Glucose Measurement (bits 5-7 reserved)."""

    TIME_OFFSET = 1 << 0
    CONCENTRATION_TYPE_LOCATION = 1 << 1
    MOL_PER_L = 1 << 2  # 0: kg/L; 1: mol/L
    SENSOR_STATUS = 1 << 3
    CONTEXT_FOLLOWS = 1 << 4


class SensorStatus(IntFlag):
    """Sensor Status Annunciation field (bits 12-15 reserved)."""

    DEVICE_BATTERY_LOW = 1 << 0
    SENSOR_MALFUNCTION = 1 << 1
    SAMPLE_SIZE_INSUFFICIENT = 1 << 2
    STRIP_INSERTION_ERROR = 1 << 3
    STRIP_TYPE_INCORRECT = 1 << 4
    RESULT_TOO_HIGH = 1 << 5
    RESULT_TOO_LOW = 1 << 6
    TEMPERATURE_TOO_HIGH = 1 << 7
    TEMPERATURE_TOO_LOW = 1 << 8
    READ_INTERRUPTED = 1 << 9
    GENERAL_DEVICE_FAULT = 1 << 10
    TIME_FAULT = 1 << 11


#: Status bit → Veille flag: the member name, lower-cased.
STATUS_FLAGS: dict[SensorStatus, str] = {
    bit: (bit.name or "").lower() for bit in SensorStatus.__members__.values()
}

SAMPLE_TYPES: dict[int, str] = {
    1: "capillary_whole_blood",
    2: "capillary_plasma",
    3: "venous_whole_blood",
    4: "venous_plasma",
    5: "arterial_whole_blood",
    6: "arterial_plasma",
    7: "undetermined_whole_blood",
    8: "undetermined_plasma",
    9: "interstitial_fluid",
    10: "control_solution",
}
SAMPLE_LOCATIONS: dict[int, str] = {
    1: "finger",
    2: "alternate_site_test",
    3: "earlobe",
    4: "control_solution",
    15: "not_available",
}

#: Resolution devices use: mg/dL as n × 10^-5 kg/L, 0.1 mmol/L as n × 10^-4 mol/L.
KG_L_EXPONENT = -5
MOL_L_EXPONENT = -4


def status_flags(raw: int) -> tuple[str, ...]:
    status = SensorStatus(raw)
    return tuple(name for bit, name in STATUS_FLAGS.items() if bit in status)


def decode(payload: bytes) -> Reading:
    cursor = Cursor(payload, "Glucose Measurement")
    flags = GlucoseFlags(cursor.u8("flags"))
    sequence = cursor.u16("sequence number")
    base_time = cursor.date_time("base time timestamp")
    offset = cursor.s16("time offset") if GlucoseFlags.TIME_OFFSET in flags else 0
    metrics: dict[str, float | None] = {}
    attributes: dict[str, str | int | float | bool | None] = {}
    if GlucoseFlags.CONCENTRATION_TYPE_LOCATION in flags:
        concentration = cursor.sfloat("glucose concentration")
        type_location = cursor.u8("type and sample location")
        if concentration is None:
            metrics["glucose_mmol_l"] = None
        elif GlucoseFlags.MOL_PER_L in flags:
            metrics["glucose_mmol_l"] = concentration * 1000
        else:
            metrics["glucose_mmol_l"] = concentration * MG_DL_PER_KG_L / MG_DL_PER_MMOL_L
        attributes["sample_type"] = enum_name(SAMPLE_TYPES, type_location & 0x0F)
        attributes["sample_location"] = enum_name(SAMPLE_LOCATIONS, type_location >> 4)
    status: tuple[str, ...] = ()
    if GlucoseFlags.SENSOR_STATUS in flags:
        status = status_flags(cursor.u16("sensor status annunciation"))
    cursor.finish()
    if GlucoseFlags.CONTEXT_FOLLOWS in flags:
        attributes["context_follows"] = True
    try:
        time = None if base_time is None else base_time + timedelta(minutes=offset)
    except OverflowError:
        raise DecodeError(
            f"Glucose Measurement: base time {base_time} plus {offset} min is out of range",
            offset=3,
        ) from None
    return Reading(
        kind=Kind.GLUCOSE,
        metrics=metrics,
        time=time,
        sequence=sequence,
        flags=status,
        attributes=attributes,
    )


def encode(
    reading: Reading,
    *,
    mol_per_l: bool = False,
    time_offset_min: int | None = None,
    with_status: bool | None = None,
) -> bytes:
    """A meter's record for ``reading`` (which needs a ``sequence``).

    ``time_offset_min`` sends ``time - offset`` as base time plus the offset
    field; without it no offset field is sent. A reading without the glucose
    metric is sent without concentration, type and location.
    """
    require_kind(reading, Kind.GLUCOSE)
    if reading.sequence is None:
        raise EncodeError("a Glucose Measurement needs a sequence number")
    flags = GlucoseFlags(0)
    has_value = "glucose_mmol_l" in reading.metrics
    status = sum(bit for bit, name in STATUS_FLAGS.items() if name in reading.flags)
    has_status = bool(status) if with_status is None else with_status
    for present, bit in (
        (time_offset_min is not None, GlucoseFlags.TIME_OFFSET),
        (has_value, GlucoseFlags.CONCENTRATION_TYPE_LOCATION),
        (has_value and mol_per_l, GlucoseFlags.MOL_PER_L),
        (has_status, GlucoseFlags.SENSOR_STATUS),
        (reading.attributes.get("context_follows") is True, GlucoseFlags.CONTEXT_FOLLOWS),
    ):
        if present:
            flags |= bit
    out = Writer()
    out.u8(flags, "flags")
    out.u16(reading.sequence, "sequence number")
    if reading.time is None:
        out.date_time(None)
    else:
        out.date_time(reading.time - timedelta(minutes=time_offset_min or 0))
    if time_offset_min is not None:
        out.s16(time_offset_min, "time offset")
    if has_value:
        value = metric(reading, "glucose_mmol_l")
        if value is None:
            out.sfloat(None)
        elif mol_per_l:
            out.sfloat(value / 1000, exponent=MOL_L_EXPONENT)
        else:
            out.sfloat(value * MG_DL_PER_MMOL_L / MG_DL_PER_KG_L, exponent=KG_L_EXPONENT)
        sample_type = str(reading.attributes.get("sample_type", "capillary_whole_blood"))
        location = str(reading.attributes.get("sample_location", "not_available"))
        nibbles = enum_value(SAMPLE_TYPES, sample_type, "sample_type") | (
            enum_value(SAMPLE_LOCATIONS, location, "sample_location") << 4
        )
        out.u8(nibbles, "type and sample location")
    if has_status:
        out.u16(status, "sensor status annunciation")
    return out.getvalue()


CODEC = Codec(UUID, "Glucose Measurement", Kind.GLUCOSE, decode, encode)
