"""Per-model quirks around the strict decoders, each with its own vector."""

from __future__ import annotations

from datetime import datetime

import pytest

from devices.decode import decode
from devices.quirks import (
    Dropped,
    decode_with_quirks,
    is_stored_error_record,
    mark_stored_error_record,
    quirks_for,
)
from veille.errors import DecodeError

T_HEX = "ea07030e081e05"

# Pulse 72 and status "irregular pulse" big-endian, user 2 present but its flag (0x08) clear.
CUFF = "16780050005d00" + T_HEX + "0048" + "02" + "0004"


def test_big_endian_cuff_is_rejected_by_the_strict_decoder() -> None:
    with pytest.raises(DecodeError, match="trailing"):
        decode("2A35", bytes.fromhex(CUFF))


def test_big_endian_cuff_with_its_quirk() -> None:
    reading = decode_with_quirks("2A35", bytes.fromhex(CUFF), manufacturer="Beurer", model="BM85")
    assert not isinstance(reading, Dropped)
    assert reading.metrics["pulse_bpm"] == 72.0
    assert reading.user_index == 2
    assert reading.flags == ("irregular_pulse",)
    assert reading.time == datetime(2026, 3, 14, 8, 30, 5)


def test_big_endian_cuff_quirk_leaves_a_short_payload_to_the_strict_decoder() -> None:
    with pytest.raises(DecodeError, match="truncated"):
        decode_with_quirks("2A35", bytes.fromhex("0478"), manufacturer="Beurer", model="BM85")


def test_quirks_match_device_information_loosely_and_only_that_model() -> None:
    assert quirks_for("  BEURER ", "bm85", "2a35")
    assert not quirks_for("Beurer", "BM85", "2A18")
    assert not quirks_for("Beurer", "BM86", "2A35")
    assert not quirks_for(None, None, "2A35")
    with pytest.raises(DecodeError, match="trailing"):
        decode_with_quirks("2A35", bytes.fromhex(CUFF), manufacturer="Omron", model="BM85")


# Base time 2026, month byte 2 meaning March for this meter (January is 0).
MONTH = "020100ea07020e081e055ab011"


def test_zero_based_month_meter() -> None:
    assert decode("2A18", bytes.fromhex(MONTH)).time == datetime(2026, 2, 14, 8, 30, 5)
    reading = decode_with_quirks(
        "2A18", bytes.fromhex(MONTH), manufacturer="ForaCare", model="FORA 6 Connect"
    )
    assert not isinstance(reading, Dropped)
    assert reading.time == datetime(2026, 3, 14, 8, 30, 5)


def test_zero_based_month_january() -> None:
    january = "000100ea07000e081e05"  # the strict decoder reads month 0 as "unknown"
    assert decode("2A18", bytes.fromhex(january)).time is None
    reading = decode_with_quirks(
        "2A18", bytes.fromhex(january), manufacturer="ForaCare", model="FORA 6 Connect"
    )
    assert not isinstance(reading, Dropped)
    assert reading.time == datetime(2026, 1, 14, 8, 30, 5)


@pytest.mark.parametrize(
    ("hex_payload", "reason"),
    [
        ("ff" * 17, "every byte is 0xFF"),
        ("02ffff" + T_HEX + "5ab011", "sequence number 0xFFFF"),
    ],
    ids=["all_ff", "sequence_ffff"],
)
def test_filler_records_are_dropped_with_a_reason(hex_payload: str, reason: str) -> None:
    result = decode_with_quirks(
        "2A18", bytes.fromhex(hex_payload), manufacturer="Sinocare", model="Safe AQ Smart"
    )
    assert isinstance(result, Dropped)
    assert reason in result.reason


def test_filler_quirk_keeps_real_records() -> None:
    payload = bytes.fromhex("020700" + T_HEX + "5ab011")
    result = decode_with_quirks("2A18", payload, manufacturer="Sinocare", model="Safe AQ Smart")
    assert not isinstance(result, Dropped)
    assert result.sequence == 7


STORED_ERROR = "00ff07ff07ff07"


def test_stored_error_record_is_flagged_for_every_device() -> None:
    strict = decode("2A35", bytes.fromhex(STORED_ERROR))
    assert is_stored_error_record(strict)
    assert strict.flags == ()  # the strict decoder reports what was sent
    reading = decode_with_quirks(
        "2A35", bytes.fromhex(STORED_ERROR), manufacturer="Any", model="Cuff"
    )
    assert not isinstance(reading, Dropped)
    assert reading.flags == ("stored_error_record",)


def test_a_real_measurement_is_not_a_stored_error_record() -> None:
    one_nan = decode("2A35", bytes.fromhex("007800ff07ff07"))
    assert not is_stored_error_record(one_nan)
    assert mark_stored_error_record(one_nan) is one_nan
    weight = decode("2A9D", bytes.fromhex("00ffff"))
    assert not is_stored_error_record(weight)
