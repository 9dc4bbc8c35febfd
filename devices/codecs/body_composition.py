"""Body Composition Measurement (0x2A9C), Body Composition Service.

Layout: flags (u16), body fat (u16, 0.1 %; 0xFFFF = measurement
unsuccessful), then, each when its flag says so, in this order: time stamp
(Date Time), user id (u8), basal metabolism (u16, kJ), muscle percentage
(u16, 0.1 %), muscle mass, fat free mass, soft lean mass, body water mass
(u16 each; 0.005 kg or 0.01 lb), impedance (u16, 0.1 Ω), weight (u16, as
masses), height (u16; 0.001 m or 0.1 in).

A scale whose record does not fit one notification sets "multiple packet
measurement" (bit 12) and splits it; the attribute ``multiple_packet`` tells
the driver to merge the packets (each decodes on its own).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntFlag

from devices import uuids
from devices.codecs import Codec
from devices.codecs.common import fixed, metric, require_kind, user_index
from devices.codecs.weight import height_step, mass_step
from devices.cursor import Cursor, Writer
from devices.reading import Kind, Reading
from veille.errors import DecodeError, EncodeError

UUID = uuids.BODY_COMPOSITION_MEASUREMENT
UNSUCCESSFUL = 0xFFFF
PERCENT_STEP = 0.1
IMPEDANCE_STEP = 0.1


class BodyCompositionFlags(IntFlag):
    """Flags field of Body Composition Measurement (bits 13-15 reserved)."""

    IMPERIAL = 1 << 0
    TIME_STAMP = 1 << 1
    USER_ID = 1 << 2
    BASAL_METABOLISM = 1 << 3
    MUSCLE_PERCENTAGE = 1 << 4
    MUSCLE_MASS = 1 << 5
    FAT_FREE_MASS = 1 << 6
    SOFT_LEAN_MASS = 1 << 7
    BODY_WATER_MASS = 1 << 8
    IMPEDANCE = 1 << 9
    WEIGHT = 1 << 10
    HEIGHT = 1 << 11
    MULTIPLE_PACKET = 1 << 12


def _constant(step: float) -> Callable[[bool], float]:
    """A unit that does not depend on the SI / imperial flag."""
    return lambda _imperial: step


#: The optional u16 fields after time stamp and user id, in payload order:
#: flag, metric, field name, and the canonical value of one count given ``imperial``.
FIELDS: tuple[tuple[BodyCompositionFlags, str, str, Callable[[bool], float]], ...] = (
    (
        BodyCompositionFlags.BASAL_METABOLISM,
        "basal_metabolism_kj",
        "basal metabolism",
        _constant(1.0),
    ),
    (
        BodyCompositionFlags.MUSCLE_PERCENTAGE,
        "muscle_pct",
        "muscle percentage",
        _constant(PERCENT_STEP),
    ),
    (BodyCompositionFlags.MUSCLE_MASS, "muscle_mass_kg", "muscle mass", mass_step),
    (BodyCompositionFlags.FAT_FREE_MASS, "fat_free_mass_kg", "fat free mass", mass_step),
    (BodyCompositionFlags.SOFT_LEAN_MASS, "soft_lean_mass_kg", "soft lean mass", mass_step),
    (BodyCompositionFlags.BODY_WATER_MASS, "body_water_mass_kg", "body water mass", mass_step),
    (BodyCompositionFlags.IMPEDANCE, "impedance_ohm", "impedance", _constant(IMPEDANCE_STEP)),
    (BodyCompositionFlags.WEIGHT, "weight_kg", "weight", mass_step),
    (BodyCompositionFlags.HEIGHT, "height_m", "height", height_step),
)


def decode(payload: bytes) -> Reading:
    cursor = Cursor(payload, "Body Composition Measurement")
    flags = BodyCompositionFlags(cursor.u16("flags"))
    imperial = BodyCompositionFlags.IMPERIAL in flags
    raw_fat = cursor.u16("body fat percentage")
    time = cursor.date_time() if BodyCompositionFlags.TIME_STAMP in flags else None
    user = user_index(cursor.u8("user id")) if BodyCompositionFlags.USER_ID in flags else None
    metrics: dict[str, float | None] = {
        "body_fat_pct": None if raw_fat == UNSUCCESSFUL else raw_fat * PERCENT_STEP
    }
    for bit, name, field, unit in FIELDS:
        if bit in flags:
            metrics[name] = cursor.u16(field) * unit(imperial)
    cursor.finish()
    multiple = BodyCompositionFlags.MULTIPLE_PACKET in flags
    return Reading(
        kind=Kind.BODY_COMPOSITION,
        metrics=metrics,
        time=time,
        user_index=user,
        flags=("measurement_unsuccessful",) if raw_fat == UNSUCCESSFUL else (),
        attributes={"multiple_packet": True} if multiple else {},
    )


def merge_packets(first: Reading, second: Reading) -> Reading:
    """One reading from the two packets of a multiple-packet measurement.

    Each packet decodes on its own; the second adds the fields the first
    could not carry. A field sent in both must agree (a mismatch means the
    packets belong to different measurements).
    """
    for reading in (first, second):
        require_kind(reading, Kind.BODY_COMPOSITION)
    metrics = dict(first.metrics)
    for name, value in second.metrics.items():
        if name in metrics and metrics[name] != value:
            raise DecodeError(
                f"Body Composition packets disagree on {name} ({metrics[name]} and {value}): "
                "they are not two halves of one measurement"
            )
        metrics.setdefault(name, value)
    attributes = {**first.attributes, **second.attributes}
    attributes.pop("multiple_packet", None)
    return Reading(
        kind=Kind.BODY_COMPOSITION,
        metrics=metrics,
        time=first.time or second.time,
        user_index=first.user_index if first.user_index is not None else second.user_index,
        flags=tuple(sorted(set(first.flags) | set(second.flags))),
        attributes=attributes,
    )


def encode(reading: Reading, *, imperial: bool = False) -> bytes:
    """One packet for ``reading``; ``multiple_packet`` is set from the attribute of that name."""
    require_kind(reading, Kind.BODY_COMPOSITION)
    fat = metric(reading, "body_fat_pct")
    flags = BodyCompositionFlags.IMPERIAL if imperial else BodyCompositionFlags(0)
    if reading.time is not None:
        flags |= BodyCompositionFlags.TIME_STAMP
    if reading.user_index is not None:
        flags |= BodyCompositionFlags.USER_ID
    for bit, name, _field, _unit in FIELDS:
        if name in reading.metrics:
            flags |= bit
    if reading.attributes.get("multiple_packet") is True:
        flags |= BodyCompositionFlags.MULTIPLE_PACKET
    out = Writer()
    out.u16(flags, "flags")
    if fat is None:
        out.u16(UNSUCCESSFUL, "body fat percentage")
    else:
        out.u16(fixed(fat, PERCENT_STEP, "body_fat_pct", limit=UNSUCCESSFUL - 1), "body fat")
    if reading.time is not None:
        out.date_time(reading.time)
    if reading.user_index is not None:
        out.u8(reading.user_index, "user id")
    for _bit, name, field, unit in FIELDS:
        if name in reading.metrics:
            value = reading.metrics[name]
            if value is None:
                raise EncodeError(f"Body Composition has no 'not a number' value for {field}")
            out.u16(fixed(value, unit(imperial), name), field)
    return out.getvalue()


CODEC = Codec(UUID, "Body Composition Measurement", Kind.BODY_COMPOSITION, decode, encode)
