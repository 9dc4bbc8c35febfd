"""Readings as InfluxDB points and back: the schema of docs/stores.md, pure functions.

measurement = kind; tags = patient, driver, gateway (never reading ids, which
would multiply series); fields = the metrics, plus what the export needs to
give the reading back whole (id, sequence, flags, device, ...).

A point is identified by measurement, tags and timestamp, so the timestamp
carries the measurement time to the microsecond and, in its last three
nanosecond digits, a number drawn from the reading id. The same reading
written twice is the same point (one point, never a duplicate); two readings
measured in the same microsecond by the same kind of device on the same
gateway still stay apart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from devices.reading import METRICS, Kind
from wire.reading import DeviceRef, WireReading

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TAGS = ("patient", "driver", "gateway")


_MICROSECOND = timedelta(microseconds=1)


def epoch_us(moment: datetime) -> int:
    """Microseconds since the epoch, exact (integer timedelta division, no float)."""
    if moment.tzinfo is None:  # naive: local time, as astimezone reads it
        moment = moment.astimezone(UTC)
    return (moment - EPOCH) // _MICROSECOND


def timestamp_ns(reading: WireReading) -> int:
    """Measurement time in ns, the sub-microsecond digits drawn from the id."""
    return epoch_us(reading.time) * 1000 + int(reading.id[:8], 16) % 1000


def time_of(ns: int) -> datetime:
    """The measurement time a point's timestamp stands for."""
    return EPOCH + timedelta(microseconds=ns // 1000)


def _key(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_line(reading: WireReading) -> str:
    """One line of InfluxDB line protocol (ns precision)."""
    tags = f"patient={_key(reading.patient)},driver={_key(reading.device.driver)}"
    tags += f",gateway={_key(reading.gateway)}"
    fields = [f"id={_string(reading.id)}", f"flags={_string(','.join(reading.flags))}"]
    nulls = sorted(name for name, value in reading.metrics.items() if value is None)
    fields.extend(
        f"{name}={float(value)!r}" for name, value in reading.metrics.items() if value is not None
    )
    if nulls:
        fields.append(f"null_metrics={_string(','.join(nulls))}")
    fields.append(f"received_us={epoch_us(reading.received)}i")
    fields.append(f"device_address={_string(reading.device.address)}")
    if reading.device.model is not None:
        fields.append(f"device_model={_string(reading.device.model)}")
    if reading.device.serial is not None:
        fields.append(f"device_serial={_string(reading.device.serial)}")
    if reading.device_time is not None:
        fields.append(f"device_time={_string(reading.device_time.isoformat())}")
    if reading.sequence is not None:
        fields.append(f"sequence={reading.sequence}i")
    if reading.user_index is not None:
        fields.append(f"user_index={reading.user_index}i")
    if reading.attributes:
        fields.append(f"attributes={_string(json.dumps(reading.attributes, sort_keys=True))}")
    return f"{_key(reading.kind.value)},{tags} {','.join(fields)} {timestamp_ns(reading)}"


def to_lines(readings: Sequence[WireReading]) -> str:
    return "\n".join(to_line(reading) for reading in readings)


def from_row(kind: str, row: Mapping[str, Any]) -> WireReading:
    """A reading from one InfluxQL row (``epoch=ns``: time is an integer)."""
    metrics: dict[str, float | None] = {
        name: float(value) for name, value in row.items() if name in METRICS and value is not None
    }
    for name in filter(None, str(row.get("null_metrics") or "").split(",")):
        metrics[name] = None
    received = EPOCH + timedelta(microseconds=int(row["received_us"]))
    return WireReading(
        id=row["id"],
        patient=row["patient"],
        gateway=row["gateway"],
        device=DeviceRef(
            address=row["device_address"],
            driver=row["driver"],
            model=row.get("device_model"),
            serial=row.get("device_serial"),
        ),
        kind=Kind(kind),
        time=time_of(int(row["time"])),
        received=received,
        device_time=row.get("device_time"),
        metrics=metrics,
        flags=[flag for flag in str(row.get("flags") or "").split(",") if flag],
        attributes=json.loads(row["attributes"]) if row.get("attributes") else {},
        user_index=row.get("user_index"),
        sequence=row.get("sequence"),
    )
