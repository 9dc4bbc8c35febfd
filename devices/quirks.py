"""Per-model quirks: rewrite a payload or a reading around the strict standard decoders.

The codecs in `devices.codecs` follow the specification and nothing else;
devices that do not are corrected here, keyed by what Device Information
says (Manufacturer Name 0x2A29, Model Number 0x2A24), so a fix for one model
can never change how another is read. A quirk may rewrite the bytes before
decoding, rewrite the reading after, or drop a record with a reason (which
the driver logs and counts, never silently).

The table entries name plausible real-world models but are *representative*:
each models a misbehaviour seen across inexpensive BLE health devices, for
tests and as a template for vendors, and is not a statement about the
firmware of the product it names.

Every device, quirky or not, also goes through `mark_stored_error_record`:
cuffs that replay stored failed measurements send them with systolic,
diastolic and mean all NaN, and those must be recognisable downstream.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from devices import uuids
from devices.codecs.blood_pressure import BloodPressureFlags
from devices.cursor import DATE_TIME_SIZE
from devices.decode import characteristic_key, decode
from devices.reading import Kind, Reading


@dataclass(frozen=True, slots=True)
class Dropped:
    """A record a quirk recognised as not a measurement; ``reason`` says why."""

    reason: str


PayloadRewrite = Callable[[bytes], "bytes | Dropped"]
ReadingRewrite = Callable[[Reading], "Reading | Dropped"]


@dataclass(frozen=True, slots=True)
class Quirk:
    """One deviation from the specification, for one characteristic of one model."""

    name: str
    characteristic: str
    payload: PayloadRewrite | None = None
    reading: ReadingRewrite | None = None


# --- (1) a cuff with big-endian pulse and status, and a user byte without its flag -------


def _swap16(data: bytearray, at: int) -> None:
    if at + 2 <= len(data):
        data[at], data[at + 1] = data[at + 1], data[at]


def cuff_big_endian_fields(payload: bytes) -> bytes:
    """Make pulse and status little-endian and announce the unflagged user byte.

    The user byte is recognised by length: exactly one byte more than the
    flags announce, with the user flag clear. Anything else is left for the
    strict decoder to reject.
    """
    if not payload:
        return payload
    data = bytearray(payload)
    flags = BloodPressureFlags(data[0])
    after_time = 7 + (DATE_TIME_SIZE if BloodPressureFlags.TIME_STAMP in flags else 0)
    after_pulse = after_time + (2 if BloodPressureFlags.PULSE_RATE in flags else 0)
    has_status = BloodPressureFlags.MEASUREMENT_STATUS in flags
    announced = after_pulse + (1 if BloodPressureFlags.USER_ID in flags else 0)
    announced += 2 if has_status else 0
    if BloodPressureFlags.USER_ID not in flags and len(data) == announced + 1:
        flags |= BloodPressureFlags.USER_ID
        data[0] = flags
    if BloodPressureFlags.PULSE_RATE in flags:
        _swap16(data, after_time)
    if has_status:
        _swap16(data, after_pulse + (1 if BloodPressureFlags.USER_ID in flags else 0))
    return bytes(data)


# --- (2) a glucose meter whose base-time month counts from 0 ------------------------------

_GLUCOSE_MONTH_AT = 1 + 2 + 2  # flags, sequence number, year


def glucose_month_from_zero(payload: bytes) -> bytes:
    """Add one to the base-time month of a meter that sends January as 0."""
    if len(payload) <= _GLUCOSE_MONTH_AT or payload[3:5] == b"\x00\x00":
        return payload  # too short (the decoder says so) or time unknown
    data = bytearray(payload)
    if data[_GLUCOSE_MONTH_AT] < 12:
        data[_GLUCOSE_MONTH_AT] += 1
    return bytes(data)


# --- (3) a meter that fills unused memory with an all-0xFF record -------------------------


def drop_filler_record(payload: bytes) -> bytes | Dropped:
    """Recognise the filler record (sequence 0xFFFF, or every byte 0xFF) and drop it."""
    if payload and all(byte == 0xFF for byte in payload):
        return Dropped("filler record: every byte is 0xFF (unused memory)")
    if len(payload) >= 3 and payload[1:3] == b"\xff\xff":
        return Dropped("filler record: sequence number 0xFFFF is not a stored measurement")
    return payload


# --- the table ----------------------------------------------------------------------------

QUIRKS: Mapping[tuple[str, str], tuple[Quirk, ...]] = MappingProxyType(
    {
        ("beurer", "bm85"): (
            Quirk(
                "big-endian pulse and status, unflagged user",
                uuids.BLOOD_PRESSURE_MEASUREMENT,
                cuff_big_endian_fields,
            ),
        ),
        ("foracare", "fora 6 connect"): (
            Quirk(
                "base-time month counts from 0", uuids.GLUCOSE_MEASUREMENT, glucose_month_from_zero
            ),
        ),
        ("sinocare", "safe aq smart"): (
            Quirk(
                "fills memory with all-0xFF records", uuids.GLUCOSE_MEASUREMENT, drop_filler_record
            ),
        ),
    }
)


def _key(manufacturer: str | None, model: str | None) -> tuple[str, str]:
    return (
        " ".join((manufacturer or "").split()).casefold(),
        " ".join((model or "").split()).casefold(),
    )


def quirks_for(manufacturer: str | None, model: str | None, char: str) -> tuple[Quirk, ...]:
    """The quirks of this model for this characteristic (case and spacing ignored)."""
    key = characteristic_key(char)
    return tuple(q for q in QUIRKS.get(_key(manufacturer, model), ()) if q.characteristic == key)


def is_stored_error_record(reading: Reading) -> bool:
    """A blood-pressure record with systolic, diastolic and mean all not-a-number.

    Some cuffs keep failed measurements and replay them before the real
    ones; they are not measurements, but they are not noise either (the
    rules engine counts measurement errors), so they are flagged, not dropped.
    """
    pressures = ("systolic_mmhg", "diastolic_mmhg", "mean_arterial_mmhg")
    return reading.kind is Kind.BLOOD_PRESSURE and all(
        name in reading.metrics and reading.metrics[name] is None for name in pressures
    )


def mark_stored_error_record(reading: Reading) -> Reading:
    """``reading`` with the flag ``stored_error_record`` when `is_stored_error_record`."""
    if not is_stored_error_record(reading):
        return reading
    return replace(reading, flags=(*reading.flags, "stored_error_record"))


def decode_with_quirks(
    char: str, payload: bytes, *, manufacturer: str | None, model: str | None
) -> Reading | Dropped:
    """Decode as `devices.decode.decode`, with this model's quirks around it.

    Raises `DecodeError` exactly as the strict decoder does for what the
    quirks do not explain.
    """
    quirks = quirks_for(manufacturer, model, char)
    for quirk in quirks:
        if quirk.payload is not None:
            rewritten = quirk.payload(payload)
            if isinstance(rewritten, Dropped):
                return rewritten
            payload = rewritten
    reading = decode(char, payload)
    for quirk in quirks:
        if quirk.reading is not None:
            result = quirk.reading(reading)
            if isinstance(result, Dropped):
                return result
            reading = result
    return mark_stored_error_record(reading)
