"""Record Access Control Point (0x2A52): requests a collector writes, responses a meter indicates.

A request is op code (u8), operator (u8), then an operand whose shape the
op code and operator decide; with a filter, the operand starts with the
filter type (u8: 1 = sequence number). Responses are either "number of
stored records" (op code 5, operator null, u16 count) or "response code"
(op code 6, operator null, request op code, response code).

The simulator needs the mirror image, so requests decode and responses
encode here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from devices import uuids
from devices.cursor import Cursor, Writer
from veille.errors import DecodeError

UUID = uuids.RECORD_ACCESS_CONTROL_POINT


class OpCode(IntEnum):
    REPORT_STORED_RECORDS = 1
    DELETE_STORED_RECORDS = 2
    ABORT_OPERATION = 3
    REPORT_NUMBER_OF_STORED_RECORDS = 4
    NUMBER_OF_STORED_RECORDS_RESPONSE = 5
    RESPONSE_CODE = 6


class Operator(IntEnum):
    NULL = 0
    ALL_RECORDS = 1
    LESS_THAN_OR_EQUAL_TO = 2
    GREATER_THAN_OR_EQUAL_TO = 3
    WITHIN_RANGE_OF = 4
    FIRST_RECORD = 5
    LAST_RECORD = 6


class FilterType(IntEnum):
    SEQUENCE_NUMBER = 1
    USER_FACING_TIME = 2


class ResponseCode(IntEnum):
    SUCCESS = 1
    OP_CODE_NOT_SUPPORTED = 2
    INVALID_OPERATOR = 3
    OPERATOR_NOT_SUPPORTED = 4
    INVALID_OPERAND = 5
    NO_RECORDS_FOUND = 6
    ABORT_UNSUCCESSFUL = 7
    PROCEDURE_NOT_COMPLETED = 8
    OPERAND_NOT_SUPPORTED = 9

    @property
    def label(self) -> str:
        """``no_records_found``: the snake_case name, for logs and errors."""
        return self.name.lower()


# --- requests -------------------------------------------------------------------------


def _request(op: OpCode, operator: Operator, *sequences: int) -> bytes:
    out = Writer()
    out.u8(op, "op code")
    out.u8(operator, "operator")
    if sequences:
        out.u8(FilterType.SEQUENCE_NUMBER, "filter type")
        for sequence in sequences:
            out.u16(sequence, "sequence number")
    return out.getvalue()


def report_all_records() -> bytes:
    return _request(OpCode.REPORT_STORED_RECORDS, Operator.ALL_RECORDS)


def report_records_from(sequence: int) -> bytes:
    """Records whose sequence number is >= ``sequence`` (last seen + 1 after a gap)."""
    return _request(OpCode.REPORT_STORED_RECORDS, Operator.GREATER_THAN_OR_EQUAL_TO, sequence)


def report_records_within(first: int, last: int) -> bytes:
    """Records whose sequence number is in ``first..last`` (inclusive, ``first <= last``)."""
    return _request(OpCode.REPORT_STORED_RECORDS, Operator.WITHIN_RANGE_OF, first, last)


def report_number_of_records_within(first: int, last: int) -> bytes:
    """How many records are numbered ``first..last`` (inclusive)."""
    return _request(OpCode.REPORT_NUMBER_OF_STORED_RECORDS, Operator.WITHIN_RANGE_OF, first, last)


def report_number_of_records(from_sequence: int | None = None) -> bytes:
    """How many records are stored (all, or from ``from_sequence`` on)."""
    if from_sequence is None:
        return _request(OpCode.REPORT_NUMBER_OF_STORED_RECORDS, Operator.ALL_RECORDS)
    return _request(
        OpCode.REPORT_NUMBER_OF_STORED_RECORDS, Operator.GREATER_THAN_OR_EQUAL_TO, from_sequence
    )


def abort_operation() -> bytes:
    return _request(OpCode.ABORT_OPERATION, Operator.NULL)


def delete_all_records() -> bytes:
    return _request(OpCode.DELETE_STORED_RECORDS, Operator.ALL_RECORDS)


@dataclass(frozen=True, slots=True)
class Request:
    """A decoded request; ``sequence`` is the operand of a sequence-number filter
    (the lower bound of "within range of", whose upper bound is ``sequence_to``)."""

    op_code: int
    operator: int
    filter_type: int | None = None
    sequence: int | None = None
    operand: bytes = b""
    sequence_to: int | None = None


def decode_request(payload: bytes) -> Request:
    """What a collector asked; unknown op codes and operators are kept as numbers.

    A meter answers those with a response code rather than refusing to parse,
    so only truncation raises here.
    """
    cursor = Cursor(payload, "Record Access Control Point request")
    op_code = cursor.u8("op code")
    operator = cursor.u8("operator")
    ranged = operator == Operator.WITHIN_RANGE_OF
    filtered = ranged or operator in (
        Operator.LESS_THAN_OR_EQUAL_TO,
        Operator.GREATER_THAN_OR_EQUAL_TO,
    )
    filter_type = cursor.u8("filter type") if filtered and cursor.remaining else None
    sequence = sequence_to = None
    if filter_type == FilterType.SEQUENCE_NUMBER:
        sequence = cursor.u16("sequence number")
        if ranged:
            sequence_to = cursor.u16("upper sequence number")
    rest = cursor.take(cursor.remaining, "operand")
    return Request(op_code, operator, filter_type, sequence, rest, sequence_to)


# --- responses ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NumberOfRecords:
    count: int


@dataclass(frozen=True, slots=True)
class Response:
    """The meter's answer to ``request_op_code``."""

    request_op_code: int
    code: ResponseCode

    @property
    def ok(self) -> bool:
        return self.code is ResponseCode.SUCCESS


def decode_response(payload: bytes) -> NumberOfRecords | Response:
    cursor = Cursor(payload, "Record Access Control Point response")
    op_code = cursor.u8("op code")
    cursor.u8("operator")  # always Null in a response
    if op_code == OpCode.NUMBER_OF_STORED_RECORDS_RESPONSE:
        count = cursor.u16("number of records")
        cursor.finish()
        return NumberOfRecords(count)
    if op_code == OpCode.RESPONSE_CODE:
        request = cursor.u8("request op code")
        raw = cursor.u8("response code")
        cursor.finish()
        try:
            return Response(request, ResponseCode(raw))
        except ValueError:
            raise DecodeError(
                f"Record Access Control Point: unknown response code {raw}", offset=3
            ) from None
    raise DecodeError(
        f"Record Access Control Point: op code {op_code} is not a response "
        "(expected 5, number of records, or 6, response code)",
        offset=0,
    )


def encode_number_of_records(count: int) -> bytes:
    out = Writer()
    out.u8(OpCode.NUMBER_OF_STORED_RECORDS_RESPONSE, "op code")
    out.u8(Operator.NULL, "operator")
    out.u16(count, "number of records")
    return out.getvalue()


def encode_response(request_op_code: int, code: ResponseCode) -> bytes:
    return bytes((OpCode.RESPONSE_CODE, Operator.NULL, request_op_code, code))
