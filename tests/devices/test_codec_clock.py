"""Date Time (0x2A08), Current Time (0x2A2B), Battery Level (0x2A19)."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.codecs import clock
from devices.codecs.clock import AdjustReason, CurrentTime
from veille.errors import DecodeError, EncodeError

T = datetime(2026, 3, 14, 8, 30, 5)  # a Saturday


def test_date_time() -> None:
    assert clock.decode_date_time(bytes.fromhex("ea07030e081e05")) == T
    assert clock.encode_date_time(T).hex() == "ea07030e081e05"
    assert clock.decode_date_time(bytes(7)) is None
    assert clock.encode_date_time(None) == bytes(7)


@pytest.mark.parametrize(
    ("hex_payload", "phrase"),
    [("ea070d0e081e05", "invalid"), ("ea07030e1e", "truncated"), ("ea07031e181e05", "invalid")],
)
def test_invalid_date_time(hex_payload: str, phrase: str) -> None:
    with pytest.raises(DecodeError, match=phrase):
        clock.decode_date_time(bytes.fromhex(hex_payload))


def test_current_time_for_setting_the_clock() -> None:
    payload = clock.encode_current_time(T.replace(microsecond=500_000))
    assert payload.hex() == "ea07030e081e05068001"
    assert clock.decode_current_time(payload) == CurrentTime(
        T, 6, 128, AdjustReason.MANUAL_TIME_UPDATE
    )
    with pytest.raises(DecodeError, match="day of week 9"):
        clock.decode_current_time(bytes.fromhex("ea07030e081e05090000"))


@given(time=st.datetimes(datetime(1582, 1, 1)).map(lambda t: t.replace(microsecond=0)))
def test_current_time_round_trip(time: datetime) -> None:
    decoded = clock.decode_current_time(clock.encode_current_time(time))
    assert (decoded.time, decoded.day_of_week) == (time, time.isoweekday())


def test_battery_level() -> None:
    assert clock.decode_battery_level(b"\x64") == 100
    assert clock.encode_battery_level(42) == b"\x2a"
    with pytest.raises(DecodeError, match="above 100"):
        clock.decode_battery_level(b"\x65")
    with pytest.raises(DecodeError, match="truncated"):
        clock.decode_battery_level(b"")
    with pytest.raises(EncodeError):
        clock.encode_battery_level(101)
