"""Weight Measurement (0x2A9D): one literal vector per flag bit, units, round trips."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.codecs import weight
from devices.codecs.weight import WeightFlags
from devices.reading import Kind, Reading
from veille.errors import DecodeError, EncodeError

T = datetime(2026, 3, 14, 8, 30, 5)
T_HEX = "ea07030e081e05"


@pytest.mark.parametrize(
    ("hex_payload", "metrics", "time", "user"),
    [
        pytest.param("00b036", {"weight_kg": 70.0}, None, None, id="none"),
        pytest.param("011027", {"weight_kg": 45.359237}, None, None, id="bit0_imperial"),
        pytest.param("02b036" + T_HEX, {"weight_kg": 70.0}, T, None, id="bit1_time_stamp"),
        pytest.param("04b03605", {"weight_kg": 70.0}, None, 5, id="bit2_user_id"),
        pytest.param(
            "08b036fa00d606",
            {"weight_kg": 70.0, "bmi": 25.0, "height_m": 1.75},
            None,
            None,
            id="bit3_bmi_height",
        ),
        pytest.param(
            "09b036fa00b602",
            {"weight_kg": 140 * 0.45359237, "bmi": 25.0, "height_m": 1.76276},
            None,
            None,
            id="imperial_height_in_inches",
        ),
        pytest.param("f0b036", {"weight_kg": 70.0}, None, None, id="reserved_bits_ignored"),
    ],
)
def test_each_flag_bit(
    hex_payload: str, metrics: dict[str, float], time: datetime | None, user: int | None
) -> None:
    reading = weight.decode(bytes.fromhex(hex_payload))
    assert reading.kind is Kind.WEIGHT
    assert reading.metrics == pytest.approx(metrics)
    assert (reading.time, reading.user_index, reading.flags) == (time, user, ())


def test_flag_bits_are_the_specification_ones() -> None:
    assert [f.value for f in WeightFlags] == [1, 2, 4, 8]


def test_unsuccessful_measurement_keeps_the_other_fields() -> None:
    reading = weight.decode(bytes.fromhex("06ffff" + T_HEX + "01"))
    assert reading.metrics == {"weight_kg": None}
    assert reading.flags == ("measurement_unsuccessful",)
    assert (reading.time, reading.user_index) == (T, 1)


def test_year_zero_time_stamp_is_no_time() -> None:
    assert weight.decode(bytes.fromhex("02b036" + "00000101000000")).time is None


@pytest.mark.parametrize(
    ("hex_payload", "phrase"),
    [
        ("", "flags truncated"),
        ("08b036fa00", "height truncated"),
        ("00b03600", "trailing byte"),
        ("02b036ea070d0e081e05", "timestamp invalid"),  # month 13
    ],
)
def test_malformed_payloads_name_what_is_wrong(hex_payload: str, phrase: str) -> None:
    with pytest.raises(DecodeError, match=phrase):
        weight.decode(bytes.fromhex(hex_payload))


def test_encode_refuses_bmi_without_height_and_other_kinds() -> None:
    with pytest.raises(EncodeError, match="together"):
        weight.encode(Reading(Kind.WEIGHT, {"weight_kg": 70.0, "bmi": 22.0}))
    with pytest.raises(EncodeError, match="blood_pressure"):
        weight.encode(Reading(Kind.BLOOD_PRESSURE, {"systolic_mmhg": 120.0}))


times = st.none() | st.datetimes(datetime(1582, 1, 1), datetime(9999, 12, 31)).map(
    lambda t: t.replace(microsecond=0)
)


@given(
    imperial=st.booleans(),
    raw_weight=st.integers(0, 0xFFFF),
    time=times,
    user=st.none() | st.integers(0, 254),
    bmi_height=st.none() | st.tuples(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF)),
)
def test_round_trip(
    imperial: bool,
    raw_weight: int,
    time: datetime | None,
    user: int | None,
    bmi_height: tuple[int, int] | None,
) -> None:
    step = weight.mass_step(imperial)
    metrics: dict[str, float | None] = {
        "weight_kg": None if raw_weight == 0xFFFF else raw_weight * step
    }
    if bmi_height is not None:
        metrics["bmi"] = bmi_height[0] * 0.1
        metrics["height_m"] = bmi_height[1] * weight.height_step(imperial)
    flags = ("measurement_unsuccessful",) if raw_weight == 0xFFFF else ()
    reading = Reading(Kind.WEIGHT, metrics, time=time, user_index=user, flags=flags)
    payload = weight.encode(reading, imperial=imperial)
    assert weight.decode(payload) == reading or _close(weight.decode(payload), reading)
    assert weight.encode(weight.decode(payload), imperial=imperial) == payload


def _close(a: Reading, b: Reading) -> bool:
    return a.as_decoded() == {**b.as_decoded(), "metrics": pytest.approx(dict(b.metrics))}
