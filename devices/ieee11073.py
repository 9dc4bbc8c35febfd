"""IEEE 11073-20601 SFLOAT (16-bit) and FLOAT (32-bit), as Bluetooth health profiles use them.

A value is ``mantissa × 10^exponent`` with both parts two's complement:
SFLOAT packs a 4-bit exponent over a 12-bit mantissa, FLOAT an 8-bit
exponent over a 24-bit mantissa. Five mantissas at exponent 0 are not
numbers (NaN, NRes, ±INF, reserved); they decode to ``None`` because a
device saying "no value" must never become a number downstream.

Encoding picks the exponent itself: the exact representation whose exponent
is closest to zero (120 → 120e0, 120.4 → 1204e-1), or, when no exact one
exists, the most precise one that fits. A caller that knows the device's
resolution (mg/dL sent as ``n × 10^-5`` kg/L) pins it with ``exponent=``.
Mantissas beyond ±2045 (±8388605 for FLOAT) are never emitted, even at a
non-zero exponent where they are ordinary numbers: lax decoders read them as
special values whatever the exponent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from veille.errors import EncodeError


@dataclass(frozen=True, slots=True)
class _Format:
    """One of the two widths: its bit split and its reserved raw values."""

    name: str
    mantissa_bits: int
    exponent_bits: int
    nan: int
    nres: int
    plus_inf: int
    minus_inf: int
    reserved: int

    @property
    def max_mantissa(self) -> int:
        """Largest ordinary mantissa: the top three positive codes are special at exponent 0."""
        return (1 << (self.mantissa_bits - 1)) - 3

    @property
    def exponent_range(self) -> range:
        half = 1 << (self.exponent_bits - 1)
        return range(-half, half)

    @property
    def specials(self) -> frozenset[int]:
        return frozenset({self.nan, self.nres, self.plus_inf, self.minus_inf, self.reserved})


SFLOAT = _Format("SFLOAT", 12, 4, 0x07FF, 0x0800, 0x07FE, 0x0802, 0x0801)
FLOAT = _Format("FLOAT", 24, 8, 0x007FFFFF, 0x00800000, 0x007FFFFE, 0x00800002, 0x00800001)


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value & (1 << (bits - 1)) else value


def _decode(fmt: _Format, raw: int) -> float | None:
    if raw in fmt.specials:
        return None
    mantissa = _signed(raw & ((1 << fmt.mantissa_bits) - 1), fmt.mantissa_bits)
    exponent = _signed(raw >> fmt.mantissa_bits, fmt.exponent_bits)
    scale: int = 10 ** abs(exponent)
    if exponent >= 0:
        return float(mantissa * scale)
    # Dividing by an exact power of ten keeps 1204e-1 == 120.4, where 1204 * 0.1 would not.
    return mantissa / scale


def _pack(fmt: _Format, mantissa: int, exponent: int) -> int:
    mantissa_mask = (1 << fmt.mantissa_bits) - 1
    exponent_mask = (1 << fmt.exponent_bits) - 1
    return ((exponent & exponent_mask) << fmt.mantissa_bits) | (mantissa & mantissa_mask)


def _mantissa_at(value: Decimal, exponent: int) -> tuple[int, bool]:
    """The mantissa for ``exponent`` (rounded half-even) and whether it is exact."""
    scaled = value.scaleb(-exponent)
    rounded = scaled.to_integral_value(rounding=ROUND_HALF_EVEN)
    return int(rounded), rounded == scaled


def _encode(fmt: _Format, value: float | None, exponent: int | None) -> int:
    if value is None or math.isnan(value):
        return fmt.nan
    if math.isinf(value):
        return fmt.plus_inf if value > 0 else fmt.minus_inf
    decimal = Decimal(repr(float(value)))
    limit = fmt.max_mantissa
    if exponent is not None:
        if exponent not in fmt.exponent_range:
            raise EncodeError(f"{fmt.name} exponent {exponent} outside {fmt.exponent_range}")
        mantissa, _ = _mantissa_at(decimal, exponent)
        if abs(mantissa) <= limit:
            return _pack(fmt, mantissa, exponent)
    exact = [
        e for e in fmt.exponent_range if (m := _mantissa_at(decimal, e))[1] and abs(m[0]) <= limit
    ]
    if exact:
        best = min(exact, key=abs)
        return _pack(fmt, _mantissa_at(decimal, best)[0], best)
    for e in fmt.exponent_range:  # ascending: the first that fits is the most precise
        mantissa, _ = _mantissa_at(decimal, e)
        if abs(mantissa) <= limit:
            return _pack(fmt, mantissa, e) if mantissa else 0
    raise EncodeError(f"{value} is too large for an {fmt.name}")


def decode_sfloat(raw: int) -> float | None:
    """The value of a 16-bit SFLOAT, or ``None`` for NaN, NRes, ±INF and reserved."""
    return _decode(SFLOAT, raw & 0xFFFF)


def decode_float(raw: int) -> float | None:
    """The value of a 32-bit FLOAT, or ``None`` for NaN, NRes, ±INF and reserved."""
    return _decode(FLOAT, raw & 0xFFFFFFFF)


def encode_sfloat(value: float | None, *, exponent: int | None = None) -> int:
    """The raw 16-bit SFLOAT for ``value``; ``None`` and NaN give NaN, ±inf give ±INF.

    ``exponent`` pins the exponent when the value fits the mantissa at it
    (rounded to that resolution); otherwise the automatic choice applies.
    """
    return _encode(SFLOAT, value, exponent)


def encode_float(value: float | None, *, exponent: int | None = None) -> int:
    """The raw 32-bit FLOAT for ``value``; same rules as `encode_sfloat`."""
    return _encode(FLOAT, value, exponent)
