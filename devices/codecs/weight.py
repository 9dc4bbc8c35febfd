"""Weight Measurement (0x2A9D), Weight Scale Service.

Layout: flags (u8), weight (u16; 0.005 kg or 0.01 lb; 0xFFFF = measurement
unsuccessful), [time stamp (Date Time)], [user id (u8; 0xFF = unknown)],
[BMI (u16, 0.1 kg/m²) and height (u16; 0.001 m or 0.1 in)].
"""

from __future__ import annotations

from enum import IntFlag

from devices import uuids
from devices.codecs import Codec
from devices.codecs.common import UNKNOWN_USER, fixed, metric, require_kind, user_index
from devices.codecs.units import (
    IN_STEP_IMPERIAL,
    KG_PER_LB,
    KG_STEP_SI,
    LB_STEP_IMPERIAL,
    M_PER_IN,
    M_STEP_SI,
)
from devices.cursor import Cursor, Writer
from devices.reading import Kind, Reading
from veille.errors import EncodeError

UUID = uuids.WEIGHT_MEASUREMENT
UNSUCCESSFUL = 0xFFFF
BMI_STEP = 0.1


class WeightFlags(IntFlag):
    """Flags field of Weight Measurement (bits 4-7 reserved)."""

    IMPERIAL = 1 << 0  # 0: SI (kg, m); 1: imperial (lb, in)
    TIME_STAMP = 1 << 1
    USER_ID = 1 << 2
    BMI_AND_HEIGHT = 1 << 3


def mass_step(imperial: bool) -> float:
    """Kilograms per count of a mass field (shared with Body Composition)."""
    return LB_STEP_IMPERIAL * KG_PER_LB if imperial else KG_STEP_SI


def height_step(imperial: bool) -> float:
    """Metres per count of a height field (shared with Body Composition)."""
    return IN_STEP_IMPERIAL * M_PER_IN if imperial else M_STEP_SI


def decode(payload: bytes) -> Reading:
    cursor = Cursor(payload, "Weight Measurement")
    flags = WeightFlags(cursor.u8("flags"))
    imperial = WeightFlags.IMPERIAL in flags
    raw_weight = cursor.u16("weight")
    time = cursor.date_time() if WeightFlags.TIME_STAMP in flags else None
    user = user_index(cursor.u8("user id")) if WeightFlags.USER_ID in flags else None
    metrics: dict[str, float | None] = {
        "weight_kg": None if raw_weight == UNSUCCESSFUL else raw_weight * mass_step(imperial)
    }
    if WeightFlags.BMI_AND_HEIGHT in flags:
        metrics["bmi"] = cursor.u16("BMI") * BMI_STEP
        metrics["height_m"] = cursor.u16("height") * height_step(imperial)
    cursor.finish()
    return Reading(
        kind=Kind.WEIGHT,
        metrics=metrics,
        time=time,
        user_index=user,
        flags=("measurement_unsuccessful",) if raw_weight == UNSUCCESSFUL else (),
    )


def encode(reading: Reading, *, imperial: bool = False) -> bytes:
    """The payload a scale would send for ``reading``; BMI and height go together or not at all."""
    require_kind(reading, Kind.WEIGHT)
    flags = WeightFlags.IMPERIAL if imperial else WeightFlags(0)
    weight = metric(reading, "weight_kg")
    has_bmi = "bmi" in reading.metrics
    if has_bmi != ("height_m" in reading.metrics):
        raise EncodeError("Weight Measurement carries BMI and height together, or neither")
    if reading.time is not None:
        flags |= WeightFlags.TIME_STAMP
    if reading.user_index is not None:
        flags |= WeightFlags.USER_ID
    if has_bmi:
        flags |= WeightFlags.BMI_AND_HEIGHT
    out = Writer()
    out.u8(flags, "flags")
    if weight is None:
        out.u16(UNSUCCESSFUL, "weight")
    else:
        out.u16(fixed(weight, mass_step(imperial), "weight_kg", limit=UNSUCCESSFUL - 1), "weight")
    if reading.time is not None:
        out.date_time(reading.time)
    if reading.user_index is not None:
        out.u8(reading.user_index, "user id")
    if has_bmi:
        bmi, height = reading.metrics["bmi"], reading.metrics["height_m"]
        if bmi is None or height is None:
            raise EncodeError("Weight Measurement has no 'not a number' value for BMI or height")
        out.u16(fixed(bmi, BMI_STEP, "bmi"), "BMI")
        out.u16(fixed(height, height_step(imperial), "height_m"), "height")
    return out.getvalue()


__all__ = ["CODEC", "UNKNOWN_USER", "WeightFlags", "decode", "encode"]

CODEC = Codec(UUID, "Weight Measurement", Kind.WEIGHT, decode, encode)
