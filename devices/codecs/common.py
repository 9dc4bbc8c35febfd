"""Small helpers shared by the codecs: kind checks and fixed-point fields."""

from __future__ import annotations

from devices.reading import Kind, Reading
from veille.errors import EncodeError

#: A User ID of 0xFF means "unknown user" (User Data Service); Veille reports None.
UNKNOWN_USER = 0xFF


def require_kind(reading: Reading, kind: Kind) -> None:
    if reading.kind is not kind:
        raise EncodeError(f"cannot encode a {reading.kind.value} reading as {kind.value}")


def user_index(raw: int) -> int | None:
    return None if raw == UNKNOWN_USER else raw


def fixed(value: float, step: float, field: str, *, limit: int = 0xFFFF) -> int:
    """``value`` as a count of ``step`` (a uint field), rounded; out of range raises."""
    raw = round(value / step)
    if not 0 <= raw <= limit:
        raise EncodeError(f"{field} = {value} is outside what the field can carry")
    return raw


def metric(reading: Reading, name: str) -> float | None:
    """A metric the encoder needs; absent raises, ``None`` (not a number) is returned."""
    if name not in reading.metrics:
        raise EncodeError(f"a {reading.kind.value} reading needs metric {name} to be encoded")
    return reading.metrics[name]


def enum_name(table: dict[int, str], raw: int) -> str:
    """The snake_case name of ``raw``; a reserved value stays visible as ``reserved_<n>``."""
    return table.get(raw, f"reserved_{raw}")


def enum_value(table: dict[int, str], name: str, field: str, *, limit: int = 0x0F) -> int:
    """The raw value of a name from ``table`` (or ``reserved_<n>``), at most ``limit``."""
    for raw, known in table.items():
        if known == name:
            return raw
    prefix, _, number = name.partition("_")
    if prefix == "reserved" and number.isdigit() and int(number) <= limit:
        return int(number)
    raise EncodeError(f"{field} {name!r} is not one of {sorted(table.values())}")
