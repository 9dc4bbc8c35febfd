"""The byte cursor: little-endian reads, and overruns that name field and offset."""

from __future__ import annotations

from datetime import datetime

import pytest

from devices.cursor import Cursor, Writer
from veille.errors import DecodeError, EncodeError


def test_reads_little_endian_in_order() -> None:
    cursor = Cursor(bytes.fromhex("010201feff03020104030201780078000000"), "t")
    assert cursor.u8("a") == 0x01
    assert cursor.u16("b") == 0x0102
    assert cursor.s16("c") == -2
    assert cursor.u24("d") == 0x010203
    assert cursor.u32("e") == 0x01020304
    assert cursor.sfloat("f") == 120.0
    assert cursor.float32("g") == 120.0
    cursor.finish()


def test_overrun_names_field_and_offset() -> None:
    cursor = Cursor(b"\x01\x02\x03", "Some Record")
    cursor.u16("first")
    with pytest.raises(DecodeError) as raised:
        cursor.u16("pulse rate")
    assert raised.value.offset == 2
    assert "Some Record: pulse rate truncated" in str(raised.value)
    assert "2 byte(s) needed, 1 left" in str(raised.value)


def test_trailing_bytes_are_rejected() -> None:
    cursor = Cursor(b"\x01\x02", "r")
    cursor.u8("a")
    with pytest.raises(DecodeError, match=r"trailing bytes \(1\)"):
        cursor.finish()


@pytest.mark.parametrize(
    ("hex_payload", "expected"),
    [
        ("ea07030e081e05", datetime(2026, 3, 14, 8, 30, 5)),
        ("0000030e081e05", None),  # year 0
        ("ea07000e081e05", None),  # month 0
        ("ea070300081e05", None),  # day 0
    ],
)
def test_date_time_unknown_parts(hex_payload: str, expected: datetime | None) -> None:
    assert Cursor(bytes.fromhex(hex_payload), "r").date_time() == expected


def test_writer_refuses_values_that_do_not_fit() -> None:
    out = Writer()
    with pytest.raises(EncodeError, match="user id = 256"):
        out.u8(256, "user id")
    with pytest.raises(EncodeError, match="signed"):
        out.s16(0x8000, "offset")
    out.u24(0x010203, "x")
    out.u32(1, "y")
    out.float32(None)
    assert out.getvalue().hex() == "03020101000000ffff7f00"


@pytest.mark.parametrize("year", [1, 999, 1581])
def test_date_time_year_before_1582_is_invalid(year: int) -> None:
    """Date Time years run 1582-9999 (0 = not known); a year in between 1 and 1581 is not a date."""
    payload = year.to_bytes(2, "little") + bytes.fromhex("0101000000")
    with pytest.raises(DecodeError, match="timestamp invalid") as raised:
        Cursor(payload, "r").date_time()
    assert raised.value.offset == 0


def test_date_time_first_valid_year() -> None:
    payload = (1582).to_bytes(2, "little") + bytes.fromhex("0a0f000000")
    assert Cursor(payload, "r").date_time() == datetime(1582, 10, 15)
