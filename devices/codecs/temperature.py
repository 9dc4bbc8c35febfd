"""Temperature Measurement (0x2A1C) and Intermediate Temperature (0x2A1E), Health Thermometer.

Layout (both): flags (u8), temperature (32-bit IEEE-11073 FLOAT, °C or
°F), [time stamp (Date Time)], [temperature type (u8)]. Fahrenheit is
converted to ``temperature_c``; NaN, NRes, ±INF and reserved FLOATs are
``None``. The type is the attribute ``site``; a reserved type stays
visible as ``reserved_<n>``. Intermediate Temperature is the reading while
the thermometer settles: decoded, never alerted on (kind
``intermediate_temperature``). Flag bits 3-7 are reserved.
"""

from __future__ import annotations

from enum import IntFlag

from devices import uuids
from devices.codecs import Codec
from devices.codecs.common import enum_name, enum_value, metric, require_kind
from devices.cursor import Cursor, Writer
from devices.reading import Kind, Reading

UUID = uuids.TEMPERATURE_MEASUREMENT
INTERMEDIATE_UUID = uuids.INTERMEDIATE_TEMPERATURE


class TemperatureFlags(IntFlag):
    """Flags of Temperature Measurement and Intermediate Temperature (bits 3-7 reserved)."""

    FAHRENHEIT = 1 << 0
    TIME_STAMP = 1 << 1
    TEMPERATURE_TYPE = 1 << 2


#: Temperature Type (0x2A1D) values; 0 and 10-255 are reserved.
SITES: dict[int, str] = {
    1: "armpit",
    2: "body",
    3: "ear",
    4: "finger",
    5: "gastro_intestinal_tract",
    6: "mouth",
    7: "rectum",
    8: "toe",
    9: "tympanum",
}

_NAMES = {
    Kind.TEMPERATURE: "Temperature Measurement",
    Kind.INTERMEDIATE_TEMPERATURE: "Intermediate Temperature",
}


def celsius(fahrenheit: float) -> float:
    return (fahrenheit - 32.0) * 5.0 / 9.0


def fahrenheit(celsius_value: float) -> float:
    return celsius_value * 9.0 / 5.0 + 32.0


def read(payload: bytes, kind: Kind) -> Reading:
    cursor = Cursor(payload, _NAMES[kind])
    flags = TemperatureFlags(cursor.u8("flags"))
    value = cursor.float32("temperature")
    if value is not None and TemperatureFlags.FAHRENHEIT in flags:
        value = celsius(value)
    time = cursor.date_time() if TemperatureFlags.TIME_STAMP in flags else None
    attributes: dict[str, str | int | float | bool | None] = {}
    if TemperatureFlags.TEMPERATURE_TYPE in flags:
        attributes["site"] = enum_name(SITES, cursor.u8("temperature type"))
    cursor.finish()
    return Reading(kind=kind, metrics={"temperature_c": value}, time=time, attributes=attributes)


def write(reading: Reading, kind: Kind, *, in_fahrenheit: bool, exponent: int | None) -> bytes:
    require_kind(reading, kind)
    value = metric(reading, "temperature_c")
    site = reading.attributes.get("site")
    flags = TemperatureFlags.FAHRENHEIT if in_fahrenheit else TemperatureFlags(0)
    if reading.time is not None:
        flags |= TemperatureFlags.TIME_STAMP
    if site is not None:
        flags |= TemperatureFlags.TEMPERATURE_TYPE
    out = Writer()
    out.u8(flags, "flags")
    sent = fahrenheit(value) if in_fahrenheit and value is not None else value
    # Thermometers resolve 0.01 °C or 0.1 °F: pin that unless told otherwise.
    out.float32(sent, exponent=exponent if exponent is not None else (-1 if in_fahrenheit else -2))
    if reading.time is not None:
        out.date_time(reading.time)
    if site is not None:
        out.u8(enum_value(SITES, str(site), "temperature type", limit=0xFF), "temperature type")
    return out.getvalue()


def decode(payload: bytes) -> Reading:
    return read(payload, Kind.TEMPERATURE)


def encode(reading: Reading, *, in_fahrenheit: bool = False, exponent: int | None = None) -> bytes:
    """``in_fahrenheit``: send °F; ``exponent``: the FLOAT's exponent (default -2 in °C, -1
    in °F)."""
    return write(reading, Kind.TEMPERATURE, in_fahrenheit=in_fahrenheit, exponent=exponent)


CODEC = Codec(UUID, "Temperature Measurement", Kind.TEMPERATURE, decode, encode)
