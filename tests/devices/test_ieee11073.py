"""SFLOAT and FLOAT: special values, exponents, exact encoding, round trips."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.ieee11073 import decode_float, decode_sfloat, encode_float, encode_sfloat
from veille.errors import EncodeError

SFLOAT_SPECIALS = {
    "nan": 0x07FF,
    "nres": 0x0800,
    "plus_inf": 0x07FE,
    "minus_inf": 0x0802,
    "reserved": 0x0801,
}
FLOAT_SPECIALS = {
    "nan": 0x007FFFFF,
    "nres": 0x00800000,
    "plus_inf": 0x007FFFFE,
    "minus_inf": 0x00800002,
    "reserved": 0x00800001,
}


@pytest.mark.parametrize("raw", list(SFLOAT_SPECIALS.values()), ids=list(SFLOAT_SPECIALS))
def test_sfloat_special_values_are_none(raw: int) -> None:
    assert decode_sfloat(raw) is None


@pytest.mark.parametrize("raw", list(FLOAT_SPECIALS.values()), ids=list(FLOAT_SPECIALS))
def test_float_special_values_are_none(raw: int) -> None:
    assert decode_float(raw) is None


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (0x0078, 120.0),  # exponent 0
        (0xF4B4, 120.4),  # exponent -1, mantissa 1204
        (0xB064, 0.001),  # exponent -5, mantissa 100 (100 mg/dL in kg/L)
        (0xC037, 0.0055),  # exponent -4
        (0x17FD, 20450.0),  # exponent +1, largest ordinary mantissa
        (0x7001, 1e7),  # largest exponent
        (0x8001, 1e-8),  # smallest exponent
        (0x0FFF, -1.0),  # negative mantissa
        (0xF803, -204.5),  # exponent -1, mantissa -2045
        (0x0000, 0.0),
        (0x17FF, 20470.0),  # NaN's mantissa at a non-zero exponent is an ordinary number
    ],
)
def test_sfloat_decodes_mantissa_and_exponent(raw: int, value: float) -> None:
    assert decode_sfloat(raw) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (0x00000078, 120.0),
        (0xFF0004B4, 120.4),
        (0xFE0186A0, 1000.0),  # 100000e-2
        (0x02000001, 100.0),
        (0xFFFFFFFF, -0.1),  # mantissa -1, exponent -1
        (0x807FFFFD, 8388605e-128),
    ],
)
def test_float_decodes_mantissa_and_exponent(raw: int, value: float) -> None:
    assert decode_float(raw) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize(
    ("value", "raw"),
    [
        (120.0, 0x0078),  # exact at exponent 0: no needless exponent
        (120.4, 0xF4B4),
        (0.001, 0xD001),
        (20000.0, 0x17D0),  # 2000e1, the exponent closest to zero that fits
        (-1.0, 0x0FFF),
        (0.0, 0x0000),
        (None, 0x07FF),
        (math.nan, 0x07FF),
        (math.inf, 0x07FE),
        (-math.inf, 0x0802),
    ],
)
def test_encode_sfloat_picks_the_exact_exponent(value: float | None, raw: int) -> None:
    assert encode_sfloat(value) == raw


def test_encode_sfloat_rounds_when_no_exact_form_exists() -> None:
    raw = encode_sfloat(69.9983745384)
    assert raw == 0xF2BC  # 700e-1: the most precise mantissa that fits
    assert decode_sfloat(raw) == pytest.approx(70.0)


def test_encode_sfloat_pins_an_exponent_that_fits() -> None:
    assert encode_sfloat(0.001, exponent=-5) == 0xB064
    assert encode_sfloat(0.05, exponent=-3) == 0xD032


def test_encode_sfloat_falls_back_when_the_pinned_exponent_overflows() -> None:
    assert decode_sfloat(encode_sfloat(5000.0, exponent=0)) == 5000.0


def test_encode_too_large_raises() -> None:
    with pytest.raises(EncodeError, match="too large"):
        encode_sfloat(2046e7)
    with pytest.raises(EncodeError, match="exponent"):
        encode_sfloat(1.0, exponent=8)


def test_encode_float_keeps_more_digits() -> None:
    assert decode_float(encode_float(123456.7)) == 123456.7
    assert encode_float(None) == 0x007FFFFF


@given(
    mantissa=st.integers(-2045, 2045),
    exponent=st.integers(-8, 7),
)
def test_sfloat_exact_values_round_trip(mantissa: int, exponent: int) -> None:
    value = float(Decimal(mantissa).scaleb(exponent))
    assert decode_sfloat(encode_sfloat(value)) == pytest.approx(value, rel=1e-12, abs=0)


@given(raw=st.integers(0, 0xFFFF))
def test_every_sfloat_decodes_to_none_or_a_finite_number(raw: int) -> None:
    value = decode_sfloat(raw)
    assert value is None or math.isfinite(value)
    if value is not None:
        # Mantissas beyond ±2045 (ordinary at a non-zero exponent) are never emitted, since
        # lax decoders read them as special: those values come back rounded one digit.
        mantissa = raw & 0x0FFF
        exact = mantissa <= 2045 or mantissa >= 0x1000 - 2045
        tolerance = 1e-12 if exact else 3e-3
        assert decode_sfloat(encode_sfloat(value)) == pytest.approx(value, rel=tolerance)


@given(mantissa=st.integers(-8388605, 8388605), exponent=st.integers(-20, 20))
def test_float_exact_values_round_trip(mantissa: int, exponent: int) -> None:
    value = float(Decimal(mantissa).scaleb(exponent))
    assert decode_float(encode_float(value)) == pytest.approx(value, rel=1e-12, abs=0)
