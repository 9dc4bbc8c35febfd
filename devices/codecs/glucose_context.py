"""Glucose Measurement Context (0x2A34), Glucose Service, and `join_context`.

Layout: flags (u8), sequence number (u16), [extended flags (u8)],
[carbohydrate id (u8) and carbohydrate (SFLOAT, kg)], [meal (u8)],
[tester (low nibble) and health (high nibble)], [exercise duration (u16, s;
65535 = overrun) and intensity (u8, %)], [medication id (u8) and medication
(SFLOAT, kg or L)], [HbA1c (SFLOAT, %)].

Canonical units: carbohydrate in g, medication in mg (``medication_mg``) or
mL (``medication_ml``). Enumerations become snake_case attributes named
after the specification's fields: ``carbohydrate_id``, ``meal``, ``tester``,
``health``, ``medication_id``; reserved values read ``reserved_<n>``.
"""

from __future__ import annotations

from enum import IntFlag

from devices import uuids
from devices.codecs import Codec
from devices.codecs.common import enum_name, enum_value, require_kind
from devices.cursor import Cursor, Writer
from devices.reading import Kind, Reading
from veille.errors import DecodeError, EncodeError

UUID = uuids.GLUCOSE_MEASUREMENT_CONTEXT
EXERCISE_OVERRUN = 0xFFFF


class ContextFlags(IntFlag):
    """Flags field of Glucose Measurement Context."""

    CARBOHYDRATE = 1 << 0
    MEAL = 1 << 1
    TESTER_HEALTH = 1 << 2
    EXERCISE = 1 << 3
    MEDICATION = 1 << 4
    MEDICATION_LITERS = 1 << 5  # 0: kilograms; 1: liters
    HBA1C = 1 << 6
    EXTENDED_FLAGS = 1 << 7


CARBOHYDRATE_IDS = {
    1: "breakfast",
    2: "lunch",
    3: "dinner",
    4: "snack",
    5: "drink",
    6: "supper",
    7: "brunch",
}
MEALS = {1: "preprandial", 2: "postprandial", 3: "fasting", 4: "casual", 5: "bedtime"}
TESTERS = {1: "self", 2: "health_care_professional", 3: "lab_test", 15: "not_available"}
HEALTH = {
    1: "minor_health_issues",
    2: "major_health_issues",
    3: "during_menses",
    4: "under_stress",
    5: "no_health_issues",
    15: "not_available",
}
MEDICATION_IDS = {
    1: "rapid_acting_insulin",
    2: "short_acting_insulin",
    3: "intermediate_acting_insulin",
    4: "long_acting_insulin",
    5: "pre_mixed_insulin",
}

#: Resolutions devices use: grams as n × 10^-3 kg, mg as n × 10^-6 kg, mL as n × 10^-3 L.
CARBOHYDRATE_EXPONENT = -3
MEDICATION_KG_EXPONENT = -6
MEDICATION_L_EXPONENT = -3
HBA1C_EXPONENT = -1


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def decode(payload: bytes) -> Reading:
    cursor = Cursor(payload, "Glucose Measurement Context")
    flags = ContextFlags(cursor.u8("flags"))
    sequence = cursor.u16("sequence number")
    metrics: dict[str, float | None] = {}
    attributes: dict[str, str | int | float | bool | None] = {}
    if ContextFlags.EXTENDED_FLAGS in flags:
        attributes["extended_flags"] = cursor.u8("extended flags")
    if ContextFlags.CARBOHYDRATE in flags:
        attributes["carbohydrate_id"] = enum_name(CARBOHYDRATE_IDS, cursor.u8("carbohydrate id"))
        metrics["carbohydrate_g"] = _scaled(cursor.sfloat("carbohydrate"), 1000)
    if ContextFlags.MEAL in flags:
        attributes["meal"] = enum_name(MEALS, cursor.u8("meal"))
    if ContextFlags.TESTER_HEALTH in flags:
        tester_health = cursor.u8("tester and health")
        attributes["tester"] = enum_name(TESTERS, tester_health & 0x0F)
        attributes["health"] = enum_name(HEALTH, tester_health >> 4)
    if ContextFlags.EXERCISE in flags:
        duration = cursor.u16("exercise duration")
        metrics["exercise_duration_s"] = None if duration == EXERCISE_OVERRUN else float(duration)
        if duration == EXERCISE_OVERRUN:
            attributes["exercise_duration_overrun"] = True
        metrics["exercise_intensity_pct"] = float(cursor.u8("exercise intensity"))
    if ContextFlags.MEDICATION in flags:
        attributes["medication_id"] = enum_name(MEDICATION_IDS, cursor.u8("medication id"))
        medication = cursor.sfloat("medication")
        if ContextFlags.MEDICATION_LITERS in flags:
            metrics["medication_ml"] = _scaled(medication, 1000)
        else:
            metrics["medication_mg"] = _scaled(medication, 1_000_000)
    if ContextFlags.HBA1C in flags:
        metrics["hba1c_pct"] = cursor.sfloat("HbA1c")
    cursor.finish()
    return Reading(
        kind=Kind.GLUCOSE_CONTEXT, metrics=metrics, sequence=sequence, attributes=attributes
    )


def _attribute(reading: Reading, name: str, table: dict[int, str], default: str) -> int:
    """A u8 enumeration field (nibbles are combined by the caller)."""
    limit = 0x0F if name in ("tester", "health") else 0xFF
    return enum_value(table, str(reading.attributes.get(name, default)), name, limit=limit)


def encode(reading: Reading) -> bytes:
    """The context record for ``reading``; which fields go out follows its metrics/attributes."""
    require_kind(reading, Kind.GLUCOSE_CONTEXT)
    if reading.sequence is None:
        raise EncodeError("a Glucose Measurement Context needs a sequence number")
    m, a = reading.metrics, reading.attributes
    if "medication_mg" in m and "medication_ml" in m:
        raise EncodeError("one medication amount per context: mg or mL, not both")
    medication_key = "medication_ml" if "medication_ml" in m else "medication_mg"
    present = {
        ContextFlags.EXTENDED_FLAGS: "extended_flags" in a,
        ContextFlags.CARBOHYDRATE: "carbohydrate_g" in m,
        ContextFlags.MEAL: "meal" in a,
        ContextFlags.TESTER_HEALTH: "tester" in a or "health" in a,
        ContextFlags.EXERCISE: "exercise_duration_s" in m or "exercise_intensity_pct" in m,
        ContextFlags.MEDICATION: medication_key in m,
        ContextFlags.MEDICATION_LITERS: medication_key == "medication_ml" and medication_key in m,
        ContextFlags.HBA1C: "hba1c_pct" in m,
    }
    flags = ContextFlags(0)
    for bit, here in present.items():
        if here:
            flags |= bit
    out = Writer()
    out.u8(flags, "flags")
    out.u16(reading.sequence, "sequence number")
    if ContextFlags.EXTENDED_FLAGS in flags:
        out.u8(int(a["extended_flags"] or 0), "extended flags")
    if ContextFlags.CARBOHYDRATE in flags:
        out.u8(_attribute(reading, "carbohydrate_id", CARBOHYDRATE_IDS, "reserved_0"), "carb id")
        out.sfloat(_scaled(m["carbohydrate_g"], 1e-3), exponent=CARBOHYDRATE_EXPONENT)
    if ContextFlags.MEAL in flags:
        out.u8(_attribute(reading, "meal", MEALS, "reserved_0"), "meal")
    if ContextFlags.TESTER_HEALTH in flags:
        tester = _attribute(reading, "tester", TESTERS, "not_available")
        health = _attribute(reading, "health", HEALTH, "not_available")
        out.u8(tester | health << 4, "tester and health")
    if ContextFlags.EXERCISE in flags:
        duration = m.get("exercise_duration_s")
        out.u16(EXERCISE_OVERRUN if duration is None else round(duration), "exercise duration")
        out.u8(round(m.get("exercise_intensity_pct") or 0), "exercise intensity")
    if ContextFlags.MEDICATION in flags:
        out.u8(_attribute(reading, "medication_id", MEDICATION_IDS, "reserved_0"), "medication id")
        if medication_key == "medication_ml":
            out.sfloat(_scaled(m[medication_key], 1e-3), exponent=MEDICATION_L_EXPONENT)
        else:
            out.sfloat(_scaled(m[medication_key], 1e-6), exponent=MEDICATION_KG_EXPONENT)
    if ContextFlags.HBA1C in flags:
        out.sfloat(m["hba1c_pct"], exponent=HBA1C_EXPONENT)
    return out.getvalue()


def join_context(measurement: Reading, context: Reading) -> Reading:
    """``measurement`` with the context's metrics and attributes merged in.

    The two must carry the same sequence number: that is the only link the
    Glucose Service defines between them. ``context_follows`` is dropped
    because the context is no longer pending.
    """
    if measurement.kind is not Kind.GLUCOSE or context.kind is not Kind.GLUCOSE_CONTEXT:
        raise DecodeError(
            f"join_context needs a glucose and a glucose_context reading, "
            f"got {measurement.kind.value} and {context.kind.value}"
        )
    if measurement.sequence != context.sequence:
        raise DecodeError(
            f"glucose context sequence {context.sequence} does not match "
            f"measurement sequence {measurement.sequence}"
        )
    attributes = {k: v for k, v in measurement.attributes.items() if k != "context_follows"}
    return Reading(
        kind=Kind.GLUCOSE,
        metrics={**measurement.metrics, **context.metrics},
        time=measurement.time,
        user_index=measurement.user_index,
        sequence=measurement.sequence,
        flags=tuple(sorted(set(measurement.flags) | set(context.flags))),
        attributes={**attributes, **context.attributes},
    )


CODEC = Codec(UUID, "Glucose Measurement Context", Kind.GLUCOSE_CONTEXT, decode, encode)
