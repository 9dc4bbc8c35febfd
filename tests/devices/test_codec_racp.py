"""Record Access Control Point (0x2A52): request bytes, responses, every response code named."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.codecs import racp
from devices.codecs.racp import NumberOfRecords, OpCode, Operator, Response, ResponseCode
from veille.errors import DecodeError


@pytest.mark.parametrize(
    ("request_bytes", "expected"),
    [
        (racp.report_all_records(), "0101"),
        (racp.report_records_from(0x1234), "0103013412"),
        (racp.report_number_of_records(), "0401"),
        (racp.report_number_of_records(from_sequence=7), "0403010700"),
        (racp.abort_operation(), "0300"),
        (racp.delete_all_records(), "0201"),
        (racp.report_records_within(2, 0x0105), "01040102000501"),
        (racp.report_number_of_records_within(0, 9), "04040100000900"),
    ],
    ids=[
        "report_all",
        "report_from",
        "number_all",
        "number_from",
        "abort",
        "delete_all",
        "report_within",
        "number_within",
    ],
)
def test_request_bytes(request_bytes: bytes, expected: str) -> None:
    assert request_bytes.hex() == expected


def test_requests_decode_for_the_simulator() -> None:
    request = racp.decode_request(racp.report_records_from(42))
    assert (request.op_code, request.operator) == (OpCode.REPORT_STORED_RECORDS, 3)
    assert (request.filter_type, request.sequence, request.operand) == (1, 42, b"")
    assert racp.decode_request(bytes.fromhex("0104")).operator == Operator.WITHIN_RANGE_OF
    ranged = racp.decode_request(racp.report_records_within(65530, 65535))
    assert (ranged.operator, ranged.sequence, ranged.sequence_to) == (4, 65530, 65535)
    with pytest.raises(DecodeError, match="sequence number truncated"):
        racp.decode_request(bytes.fromhex("010301ff"))


def test_number_of_records_response() -> None:
    assert racp.decode_response(bytes.fromhex("05003412")) == NumberOfRecords(0x1234)


CODES = {
    1: "success",
    2: "op_code_not_supported",
    3: "invalid_operator",
    4: "operator_not_supported",
    5: "invalid_operand",
    6: "no_records_found",
    7: "abort_unsuccessful",
    8: "procedure_not_completed",
    9: "operand_not_supported",
}


@pytest.mark.parametrize(("raw", "label"), list(CODES.items()), ids=list(CODES.values()))
def test_every_response_code_is_named(raw: int, label: str) -> None:
    response = racp.decode_response(bytes((6, 0, 1, raw)))
    assert isinstance(response, Response)
    assert response.code.label == label
    assert response.request_op_code == OpCode.REPORT_STORED_RECORDS
    assert response.ok is (raw == 1)


@pytest.mark.parametrize(
    ("hex_payload", "phrase"),
    [
        ("0600010a", "unknown response code 10"),
        ("0100", "not a response"),
        ("050034", "number of records truncated"),
        ("0600010100", "trailing"),
    ],
)
def test_malformed_responses(hex_payload: str, phrase: str) -> None:
    with pytest.raises(DecodeError, match=phrase):
        racp.decode_response(bytes.fromhex(hex_payload))


@given(count=st.integers(0, 0xFFFF))
def test_number_of_records_round_trip(count: int) -> None:
    assert racp.decode_response(racp.encode_number_of_records(count)) == NumberOfRecords(count)


@given(op=st.sampled_from(list(OpCode)), code=st.sampled_from(list(ResponseCode)))
def test_response_round_trip(op: OpCode, code: ResponseCode) -> None:
    assert racp.decode_response(racp.encode_response(op, code)) == Response(op, code)
