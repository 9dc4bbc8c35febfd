"""One small cursor over a GATT payload, and its mirror image for encoders.

Every byte a decoder reads goes through `Cursor`, so every overrun becomes
the same typed `DecodeError`, naming the field, the offset and what was
missing, instead of an ``IndexError`` or, worse, a silently short value.
All integers are little-endian, as the Bluetooth Core specification says.

Trailing bytes after a complete record are rejected (`Cursor.finish`): a
payload longer than its flags announce means the flags and the bytes
disagree, and guessing which one is right is the mistake that turns a
pulse into a user id. Devices known to do that are handled in `devices.quirks`.
"""

from __future__ import annotations

from datetime import datetime

from devices.ieee11073 import decode_float, decode_sfloat, encode_float, encode_sfloat
from veille.errors import DecodeError, EncodeError

DATE_TIME_SIZE = 7
#: First year a Date Time may carry (Gregorian calendar); 0 means "not known".
FIRST_YEAR = 1582


class Cursor:
    """Reads fields in order from ``payload``; ``record`` names it in error messages."""

    __slots__ = ("_offset", "_payload", "_record")

    def __init__(self, payload: bytes, record: str) -> None:
        self._payload = bytes(payload)
        self._record = record
        self._offset = 0

    @property
    def offset(self) -> int:
        return self._offset

    @property
    def remaining(self) -> int:
        return len(self._payload) - self._offset

    def take(self, size: int, field: str) -> bytes:
        """The next ``size`` bytes for ``field``; a short payload raises `DecodeError`."""
        if size > self.remaining:
            raise DecodeError(
                f"{self._record}: {field} truncated: payload shorter than flags require "
                f"({size} byte(s) needed, {self.remaining} left)",
                offset=self._offset,
            )
        start = self._offset
        self._offset += size
        return self._payload[start : self._offset]

    def _uint(self, size: int, field: str) -> int:
        return int.from_bytes(self.take(size, field), "little")

    def u8(self, field: str) -> int:
        return self._uint(1, field)

    def u16(self, field: str) -> int:
        return self._uint(2, field)

    def s16(self, field: str) -> int:
        return int.from_bytes(self.take(2, field), "little", signed=True)

    def u24(self, field: str) -> int:
        return self._uint(3, field)

    def u32(self, field: str) -> int:
        return self._uint(4, field)

    def sfloat(self, field: str) -> float | None:
        return decode_sfloat(self.u16(field))

    def float32(self, field: str) -> float | None:
        """A 32-bit IEEE-11073 FLOAT (named apart from the builtin it returns)."""
        return decode_float(self.u32(field))

    def date_time(self, field: str = "timestamp") -> datetime | None:
        """A 7-byte Date Time; ``None`` when the device says "not known" (year, month or day 0)."""
        start = self._offset
        raw = self.take(DATE_TIME_SIZE, field)
        year = int.from_bytes(raw[0:2], "little")
        month, day, hours, minutes, seconds = raw[2:7]
        if year == 0 or month == 0 or day == 0:
            return None
        try:
            if year < FIRST_YEAR:
                raise ValueError(f"year is {FIRST_YEAR}-9999, or 0 when not known")
            return datetime(year, month, day, hours, minutes, seconds)  # device clock: naive
        except ValueError as error:
            raise DecodeError(
                f"{self._record}: {field} invalid: {year:04}-{month:02}-{day:02} "
                f"{hours:02}:{minutes:02}:{seconds:02} ({error})",
                offset=start,
            ) from None

    def finish(self) -> None:
        """Reject bytes left over after the last field the flags announce."""
        if self.remaining:
            raise DecodeError(
                f"{self._record}: unexpected trailing bytes ({self.remaining}) after a "
                "complete record; the flags do not announce them",
                offset=self._offset,
            )


class Writer:
    """Appends fields little-endian; the encoders' counterpart of `Cursor`."""

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = bytearray()

    def _uint(self, value: int, size: int, field: str) -> None:
        if not 0 <= value < 1 << (8 * size):
            raise EncodeError(f"{field} = {value} does not fit in {size} unsigned byte(s)")
        self._buffer += value.to_bytes(size, "little")

    def u8(self, value: int, field: str) -> None:
        self._uint(value, 1, field)

    def u16(self, value: int, field: str) -> None:
        self._uint(value, 2, field)

    def s16(self, value: int, field: str) -> None:
        if not -0x8000 <= value < 0x8000:
            raise EncodeError(f"{field} = {value} does not fit in a signed 16-bit field")
        self._buffer += value.to_bytes(2, "little", signed=True)

    def u24(self, value: int, field: str) -> None:
        self._uint(value, 3, field)

    def u32(self, value: int, field: str) -> None:
        self._uint(value, 4, field)

    def sfloat(self, value: float | None, *, exponent: int | None = None) -> None:
        self._buffer += encode_sfloat(value, exponent=exponent).to_bytes(2, "little")

    def float32(self, value: float | None, *, exponent: int | None = None) -> None:
        self._buffer += encode_float(value, exponent=exponent).to_bytes(4, "little")

    def date_time(self, value: datetime | None) -> None:
        """A 7-byte Date Time; ``None`` writes the all-zero "not known" value."""
        if value is None:
            self._buffer += bytes(DATE_TIME_SIZE)
            return
        self.u16(value.year, "year")
        self._buffer += bytes((value.month, value.day, value.hour, value.minute, value.second))

    def getvalue(self) -> bytes:
        return bytes(self._buffer)
