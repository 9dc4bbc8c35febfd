"""User Control Point (0x2A9F), User Data Service (0x181C): registering users and consent.

A multi-user scale keeps one slot per person (the user index). The
collector registers a new user with a consent code it chooses (0-9999) and
is told the index; at every later connection it writes Consent (index and
code) before the scale will send that user's measurements. Requests are an
op code (u8) and its parameter; the scale indicates a Response Code (0x20):
request op code, result, and for Register New User the new user index.

The simulator needs the mirror image, so requests decode and responses
encode here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from devices import uuids
from devices.cursor import Cursor, Writer
from veille.errors import DecodeError, EncodeError

UUID = uuids.USER_CONTROL_POINT
#: User Index (0x2A9A): the user the current connection has consent for (0xFF: none).
USER_INDEX_UUID = uuids.USER_INDEX
MAX_CONSENT_CODE = 9999


class OpCode(IntEnum):
    REGISTER_NEW_USER = 0x01
    CONSENT = 0x02
    DELETE_USER_DATA = 0x03
    RESPONSE_CODE = 0x20


class Result(IntEnum):
    SUCCESS = 0x01
    OP_CODE_NOT_SUPPORTED = 0x02
    INVALID_PARAMETER = 0x03
    OPERATION_FAILED = 0x04
    USER_NOT_AUTHORIZED = 0x05

    @property
    def label(self) -> str:
        return self.name.lower()


def _code(consent_code: int) -> int:
    if not 0 <= consent_code <= MAX_CONSENT_CODE:
        raise EncodeError(f"consent code {consent_code} is not 0..{MAX_CONSENT_CODE}")
    return consent_code


def register_new_user(consent_code: int) -> bytes:
    out = Writer()
    out.u8(OpCode.REGISTER_NEW_USER, "op code")
    out.u16(_code(consent_code), "consent code")
    return out.getvalue()


def consent(user_index: int, consent_code: int) -> bytes:
    out = Writer()
    out.u8(OpCode.CONSENT, "op code")
    out.u8(user_index, "user index")
    out.u16(_code(consent_code), "consent code")
    return out.getvalue()


def delete_user_data() -> bytes:
    return bytes((OpCode.DELETE_USER_DATA,))


@dataclass(frozen=True, slots=True)
class Request:
    op_code: int
    user_index: int | None = None
    consent_code: int | None = None


def decode_request(payload: bytes) -> Request:
    """What a collector asked; unknown op codes are kept as numbers (the scale answers them)."""
    cursor = Cursor(payload, "User Control Point request")
    op = cursor.u8("op code")
    if op == OpCode.REGISTER_NEW_USER:
        request = Request(op, consent_code=cursor.u16("consent code"))
    elif op == OpCode.CONSENT:
        request = Request(op, cursor.u8("user index"), cursor.u16("consent code"))
    else:
        cursor.take(cursor.remaining, "parameter")
        return Request(op)
    cursor.finish()
    return request


@dataclass(frozen=True, slots=True)
class Response:
    """The scale's answer to ``request_op_code``; ``user_index`` after a registration."""

    request_op_code: int
    result: Result
    user_index: int | None = None

    @property
    def ok(self) -> bool:
        return self.result is Result.SUCCESS


def decode_response(payload: bytes) -> Response:
    cursor = Cursor(payload, "User Control Point response")
    op = cursor.u8("op code")
    if op != OpCode.RESPONSE_CODE:
        raise DecodeError(
            f"User Control Point: op code {op:#04x} is not a response (0x20)", offset=0
        )
    request = cursor.u8("request op code")
    raw = cursor.u8("result")
    try:
        result = Result(raw)
    except ValueError:
        raise DecodeError(f"User Control Point: unknown result {raw:#04x}", offset=2) from None
    index = None
    if request == OpCode.REGISTER_NEW_USER and result is Result.SUCCESS:
        index = cursor.u8("user index")
    cursor.finish()
    return Response(request, result, index)


def encode_response(request_op_code: int, result: Result, user_index: int | None = None) -> bytes:
    out = Writer()
    out.u8(OpCode.RESPONSE_CODE, "op code")
    out.u8(request_op_code, "request op code")
    out.u8(result, "result")
    if user_index is not None:
        out.u8(user_index, "user index")
    return out.getvalue()
