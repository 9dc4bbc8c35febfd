"""Intermediate Temperature (0x2A1E): the Temperature Measurement layout while it settles.

Decoded so a malformed one is reported; it is kind
``intermediate_temperature``, which no rule reads (see
`devices.codecs.temperature`).
"""

from __future__ import annotations

from devices.codecs import Codec
from devices.codecs.temperature import INTERMEDIATE_UUID, read, write
from devices.reading import Kind, Reading

UUID = INTERMEDIATE_UUID


def decode(payload: bytes) -> Reading:
    return read(payload, Kind.INTERMEDIATE_TEMPERATURE)


def encode(reading: Reading, *, in_fahrenheit: bool = False, exponent: int | None = None) -> bytes:
    return write(
        reading, Kind.INTERMEDIATE_TEMPERATURE, in_fahrenheit=in_fahrenheit, exponent=exponent
    )


CODEC = Codec(UUID, "Intermediate Temperature", Kind.INTERMEDIATE_TEMPERATURE, decode, encode)
