"""Blood Pressure Measurement (0x2A35), Blood Pressure Service.

Layout: flags (u8), systolic, diastolic, mean arterial pressure (SFLOAT,
mmHg or kPa), [time stamp (Date Time)], [pulse rate (SFLOAT, /min)],
[user id (u8)], [measurement status (u16)]. Intermediate Cuff Pressure
(0x2A36) has the same layout; `devices.codecs.intermediate_cuff_pressure`
reuses `read_fields` and `write_fields`.

The flag bits and the two-bit pulse rate range are where hand-written
parsers slip (a bit off, or the range read as two independent flags): they
are named once here from the specification's table and each has a test
vector. (Nordic's Android BLE common library reads them correctly.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, IntFlag

from devices import uuids
from devices.codecs import Codec
from devices.codecs.common import metric, require_kind, user_index
from devices.codecs.units import MMHG_PER_KPA
from devices.cursor import Cursor, Writer
from devices.reading import Kind, Reading

UUID = uuids.BLOOD_PRESSURE_MEASUREMENT


class BloodPressureFlags(IntFlag):
    """Flags of Blood Pressure Measurement and Intermediate Cuff Pressure (bits 5-7 reserved)."""

    KPA = 1 << 0  # 0: mmHg; 1: kPa
    TIME_STAMP = 1 << 1
    PULSE_RATE = 1 << 2
    USER_ID = 1 << 3
    MEASUREMENT_STATUS = 1 << 4


class MeasurementStatus(IntFlag):
    """Measurement Status field; bits 3-4 together are the pulse rate range (`PulseRateRange`)."""

    BODY_MOVEMENT = 1 << 0
    CUFF_LOOSE = 1 << 1  # "cuff fit detection": cuff too loose
    IRREGULAR_PULSE = 1 << 2
    PULSE_RATE_RANGE_LOW_BIT = 1 << 3
    PULSE_RATE_RANGE_HIGH_BIT = 1 << 4
    IMPROPER_POSITION = 1 << 5


PULSE_RATE_RANGE_SHIFT = 3
PULSE_RATE_RANGE_MASK = 0b11 << PULSE_RATE_RANGE_SHIFT


class PulseRateRange(IntEnum):
    """Bits 3-4 of Measurement Status, a 2-bit value (3 is reserved: no flag)."""

    WITHIN_RANGE = 0
    EXCEEDS_UPPER_LIMIT = 1
    BELOW_LOWER_LIMIT = 2
    RESERVED = 3


#: Single-bit status → flag name.
STATUS_FLAGS: dict[MeasurementStatus, str] = {
    MeasurementStatus.BODY_MOVEMENT: "body_movement",
    MeasurementStatus.CUFF_LOOSE: "cuff_loose",
    MeasurementStatus.IRREGULAR_PULSE: "irregular_pulse",
    MeasurementStatus.IMPROPER_POSITION: "improper_position",
}
RANGE_FLAGS: dict[PulseRateRange, str] = {
    PulseRateRange.EXCEEDS_UPPER_LIMIT: "pulse_rate_high",
    PulseRateRange.BELOW_LOWER_LIMIT: "pulse_rate_low",
}


def status_flags(raw: int) -> tuple[str, ...]:
    """Veille flags for a Measurement Status value."""
    status = MeasurementStatus(raw)
    names = [name for bit, name in STATUS_FLAGS.items() if bit in status]
    pulse_range = PulseRateRange((raw & PULSE_RATE_RANGE_MASK) >> PULSE_RATE_RANGE_SHIFT)
    if pulse_range in RANGE_FLAGS:
        names.append(RANGE_FLAGS[pulse_range])
    return tuple(names)


def status_value(flags: tuple[str, ...]) -> int:
    """The Measurement Status value carrying ``flags`` (other flags are ignored)."""
    raw = 0
    for bit, name in STATUS_FLAGS.items():
        if name in flags:
            raw |= bit
    for pulse_range, name in RANGE_FLAGS.items():
        if name in flags:
            raw = (raw & ~PULSE_RATE_RANGE_MASK) | (pulse_range << PULSE_RATE_RANGE_SHIFT)
    return raw


@dataclass(frozen=True, slots=True)
class Fields:
    """What a Blood Pressure Measurement or Intermediate Cuff Pressure carries, in mmHg."""

    pressures: tuple[float | None, float | None, float | None]
    time: datetime | None
    pulse_bpm: float | None
    has_pulse: bool
    user_index: int | None
    flags: tuple[str, ...]


def read_fields(payload: bytes, record: str) -> Fields:
    cursor = Cursor(payload, record)
    flags = BloodPressureFlags(cursor.u8("flags"))
    scale = MMHG_PER_KPA if BloodPressureFlags.KPA in flags else 1.0
    raw = [cursor.sfloat(name) for name in ("systolic", "diastolic", "mean arterial pressure")]
    systolic, diastolic, mean = (None if value is None else value * scale for value in raw)
    time = cursor.date_time() if BloodPressureFlags.TIME_STAMP in flags else None
    has_pulse = BloodPressureFlags.PULSE_RATE in flags
    pulse = cursor.sfloat("pulse rate") if has_pulse else None
    user = user_index(cursor.u8("user id")) if BloodPressureFlags.USER_ID in flags else None
    status: tuple[str, ...] = ()
    if BloodPressureFlags.MEASUREMENT_STATUS in flags:
        status = status_flags(cursor.u16("measurement status"))
    cursor.finish()
    return Fields((systolic, diastolic, mean), time, pulse, has_pulse, user, status)


def write_fields(
    pressures: tuple[float | None, float | None, float | None],
    reading: Reading,
    *,
    kpa: bool,
    with_status: bool | None,
    exponent: int | None = None,
) -> bytes:
    """Encode the shared layout; pressures go out with ``exponent`` when given, else at
    1 mmHg or 0.1 kPa resolution (as cuffs do) when the value fits."""
    flags = BloodPressureFlags.KPA if kpa else BloodPressureFlags(0)
    status = status_value(reading.flags)
    has_status = bool(status) if with_status is None else with_status
    has_pulse = "pulse_bpm" in reading.metrics
    for present, bit in (
        (reading.time is not None, BloodPressureFlags.TIME_STAMP),
        (has_pulse, BloodPressureFlags.PULSE_RATE),
        (reading.user_index is not None, BloodPressureFlags.USER_ID),
        (has_status, BloodPressureFlags.MEASUREMENT_STATUS),
    ):
        if present:
            flags |= bit
    out = Writer()
    out.u8(flags, "flags")
    for value in pressures:
        if kpa:
            kpa_value = None if value is None else value / MMHG_PER_KPA
            out.sfloat(kpa_value, exponent=-1 if exponent is None else exponent)
        else:
            out.sfloat(value, exponent=0 if exponent is None else exponent)
    if reading.time is not None:
        out.date_time(reading.time)
    if has_pulse:
        out.sfloat(reading.metrics["pulse_bpm"], exponent=0)
    if reading.user_index is not None:
        out.u8(reading.user_index, "user id")
    if has_status:
        out.u16(status, "measurement status")
    return out.getvalue()


def decode(payload: bytes) -> Reading:
    fields = read_fields(payload, "Blood Pressure Measurement")
    systolic, diastolic, mean = fields.pressures
    metrics = {"systolic_mmhg": systolic, "diastolic_mmhg": diastolic, "mean_arterial_mmhg": mean}
    if fields.has_pulse:
        metrics["pulse_bpm"] = fields.pulse_bpm
    return Reading(
        kind=Kind.BLOOD_PRESSURE,
        metrics=metrics,
        time=fields.time,
        user_index=fields.user_index,
        flags=fields.flags,
    )


def encode(
    reading: Reading,
    *,
    kpa: bool = False,
    with_status: bool | None = None,
    exponent: int | None = None,
) -> bytes:
    """``kpa``: send kPa; ``with_status``: force the status field on or off (default: when a
    status flag is set); ``exponent``: SFLOAT exponent of the pressures (default 0 in mmHg,
    -1 in kPa)."""
    require_kind(reading, Kind.BLOOD_PRESSURE)
    pressures = (
        metric(reading, "systolic_mmhg"),
        metric(reading, "diastolic_mmhg"),
        metric(reading, "mean_arterial_mmhg"),
    )
    return write_fields(pressures, reading, kpa=kpa, with_status=with_status, exponent=exponent)


CODEC = Codec(UUID, "Blood Pressure Measurement", Kind.BLOOD_PRESSURE, decode, encode)
