"""Glucose Measurement Context (0x2A34): per-bit vectors, round trips, and join_context."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.codecs import glucose, glucose_context
from devices.codecs.glucose_context import join_context
from devices.reading import Kind, Reading
from veille.errors import DecodeError, EncodeError

SEQ = "0500"  # sequence 5


@pytest.mark.parametrize(
    ("hex_payload", "metrics", "attributes"),
    [
        pytest.param("00" + SEQ, {}, {}, id="none"),
        pytest.param(
            "01" + SEQ + "0132d0",  # breakfast, 50e-3 kg
            {"carbohydrate_g": 50.0},
            {"carbohydrate_id": "breakfast"},
            id="bit0_carbohydrate",
        ),
        pytest.param("02" + SEQ + "01", {}, {"meal": "preprandial"}, id="bit1_meal"),
        pytest.param(
            "04" + SEQ + "21",  # tester in the low nibble, health in the high one
            {},
            {"tester": "self", "health": "major_health_issues"},
            id="bit2_tester_health",
        ),
        pytest.param(
            "08" + SEQ + "100e32",
            {"exercise_duration_s": 3600.0, "exercise_intensity_pct": 50.0},
            {},
            id="bit3_exercise",
        ),
        pytest.param(
            "10" + SEQ + "010aa0",  # rapid acting insulin, 10e-6 kg
            {"medication_mg": 10.0},
            {"medication_id": "rapid_acting_insulin"},
            id="bit4_medication_kg",
        ),
        pytest.param(
            "30" + SEQ + "040ad0",  # long acting insulin, 10e-3 L
            {"medication_ml": 10.0},
            {"medication_id": "long_acting_insulin"},
            id="bit5_medication_liters",
        ),
        pytest.param("40" + SEQ + "3ff0", {"hba1c_pct": 6.3}, {}, id="bit6_hba1c"),
        pytest.param("80" + SEQ + "00", {}, {"extended_flags": 0}, id="bit7_extended_flags"),
        pytest.param(
            "08" + SEQ + "ffff00",
            {"exercise_duration_s": None, "exercise_intensity_pct": 0.0},
            {"exercise_duration_overrun": True},
            id="exercise_overrun",
        ),
        pytest.param(
            "ff" + SEQ + "020332d005ff2c0119030ad03ff0",
            {
                "carbohydrate_g": 50.0,
                "exercise_duration_s": 300.0,
                "exercise_intensity_pct": 25.0,
                "medication_ml": 10.0,
                "hba1c_pct": 6.3,
            },
            {
                "extended_flags": 2,
                "carbohydrate_id": "dinner",
                "meal": "bedtime",
                "tester": "not_available",
                "health": "not_available",
                "medication_id": "intermediate_acting_insulin",
            },
            id="all_fields_in_order",
        ),
    ],
)
def test_each_flag_bit(
    hex_payload: str, metrics: dict[str, float], attributes: dict[str, object]
) -> None:
    reading = glucose_context.decode(bytes.fromhex(hex_payload))
    assert reading.kind is Kind.GLUCOSE_CONTEXT
    assert reading.sequence == 5
    assert reading.metrics == pytest.approx(metrics)
    assert reading.attributes == attributes


@pytest.mark.parametrize(
    ("hex_payload", "phrase"),
    [("01" + SEQ + "01", "carbohydrate truncated"), ("02" + SEQ + "0101", "trailing")],
)
def test_malformed(hex_payload: str, phrase: str) -> None:
    with pytest.raises(DecodeError, match=phrase):
        glucose_context.decode(bytes.fromhex(hex_payload))


def test_join_context_merges_into_the_measurement_with_the_same_sequence() -> None:
    measurement = glucose.decode(bytes.fromhex("120500ea07030e081e055ab011"))
    assert measurement.attributes["context_follows"] is True
    context = glucose_context.decode(bytes.fromhex("43" + SEQ + "0132d0013ff0"))
    joined = join_context(measurement, context)
    assert joined.kind is Kind.GLUCOSE
    assert joined.metrics == pytest.approx(
        {"glucose_mmol_l": 90 / 18.0156, "carbohydrate_g": 50.0, "hba1c_pct": 6.3}
    )
    assert joined.attributes == {
        "sample_type": "capillary_whole_blood",
        "sample_location": "finger",
        "carbohydrate_id": "breakfast",
        "meal": "preprandial",
    }
    assert (joined.time, joined.sequence) == (measurement.time, 5)


def test_join_context_refuses_another_sequence() -> None:
    measurement = glucose.decode(bytes.fromhex("000600ea07030e081e05"))
    context = glucose_context.decode(bytes.fromhex("00" + SEQ))
    with pytest.raises(DecodeError, match="sequence 5 does not match measurement sequence 6"):
        join_context(measurement, context)
    with pytest.raises(DecodeError, match="glucose_context"):
        join_context(context, measurement)


def test_encode_refuses_two_medication_units() -> None:
    reading = Reading(
        Kind.GLUCOSE_CONTEXT, {"medication_mg": 1.0, "medication_ml": 1.0}, sequence=1
    )
    with pytest.raises(EncodeError, match="mg or mL"):
        glucose_context.encode(reading)


def _names(table: dict[int, str]) -> st.SearchStrategy[str]:
    return st.sampled_from(sorted(table.values()))


@given(
    sequence=st.integers(0, 0xFFFF),
    extended=st.none() | st.integers(0, 255),
    carbohydrate=st.none()
    | st.tuples(_names(glucose_context.CARBOHYDRATE_IDS), st.integers(0, 2045)),
    meal=st.none() | _names(glucose_context.MEALS),
    tester_health=st.none()
    | st.tuples(_names(glucose_context.TESTERS), _names(glucose_context.HEALTH)),
    exercise=st.none() | st.tuples(st.integers(0, 0xFFFE), st.integers(0, 100)),
    medication=st.none()
    | st.tuples(
        _names(glucose_context.MEDICATION_IDS),
        st.sampled_from(["medication_mg", "medication_ml"]),
        st.integers(0, 2045),
    ),
    hba1c=st.none() | st.integers(0, 2045),
)
def test_round_trip(
    sequence: int,
    extended: int | None,
    carbohydrate: tuple[str, int] | None,
    meal: str | None,
    tester_health: tuple[str, str] | None,
    exercise: tuple[int, int] | None,
    medication: tuple[str, str, int] | None,
    hba1c: int | None,
) -> None:
    metrics: dict[str, float | None] = {}
    attributes: dict[str, str | int | float | bool | None] = {}
    if extended is not None:
        attributes["extended_flags"] = extended
    if carbohydrate is not None:
        attributes["carbohydrate_id"], metrics["carbohydrate_g"] = carbohydrate[0], carbohydrate[1]
    if meal is not None:
        attributes["meal"] = meal
    if tester_health is not None:
        attributes["tester"], attributes["health"] = tester_health
    if exercise is not None:
        metrics["exercise_duration_s"], metrics["exercise_intensity_pct"] = map(float, exercise)
    if medication is not None:
        attributes["medication_id"], metrics[medication[1]] = medication[0], medication[2]
    if hba1c is not None:
        metrics["hba1c_pct"] = hba1c / 10
    reading = Reading(Kind.GLUCOSE_CONTEXT, metrics, sequence=sequence, attributes=attributes)
    payload = glucose_context.encode(reading)
    back = glucose_context.decode(payload)
    assert back.metrics == pytest.approx(metrics)
    assert (back.sequence, back.attributes) == (sequence, attributes)
    assert glucose_context.encode(back) == payload
