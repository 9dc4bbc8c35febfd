"""Intermediate Cuff Pressure (0x2A36), Blood Pressure Service.

Same layout as Blood Pressure Measurement; the systolic field carries the
current cuff pressure and the diastolic and mean arterial fields are unused
(NaN), so they are read (the layout needs it) and dropped.
"""

from __future__ import annotations

from devices import uuids
from devices.codecs import Codec
from devices.codecs.blood_pressure import read_fields, write_fields
from devices.codecs.common import metric, require_kind
from devices.reading import Kind, Reading

UUID = uuids.INTERMEDIATE_CUFF_PRESSURE


def decode(payload: bytes) -> Reading:
    fields = read_fields(payload, "Intermediate Cuff Pressure")
    metrics = {"cuff_pressure_mmhg": fields.pressures[0]}
    if fields.has_pulse:
        metrics["pulse_bpm"] = fields.pulse_bpm
    return Reading(
        kind=Kind.INTERMEDIATE_CUFF_PRESSURE,
        metrics=metrics,
        time=fields.time,
        user_index=fields.user_index,
        flags=fields.flags,
    )


def encode(
    reading: Reading,
    *,
    kpa: bool = False,
    with_status: bool | None = None,
    exponent: int | None = None,
) -> bytes:
    """Options as for Blood Pressure Measurement; diastolic and mean go out as NaN."""
    require_kind(reading, Kind.INTERMEDIATE_CUFF_PRESSURE)
    pressures = (metric(reading, "cuff_pressure_mmhg"), None, None)
    return write_fields(pressures, reading, kpa=kpa, with_status=with_status, exponent=exponent)


CODEC = Codec(UUID, "Intermediate Cuff Pressure", Kind.INTERMEDIATE_CUFF_PRESSURE, decode, encode)
