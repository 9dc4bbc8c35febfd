"""The `veille.reading/1` envelope: how a reading travels from gateway to collector.

Encoded and decoded here and nowhere else. The envelope is validated with
pydantic because it crosses a trust boundary (any MQTT client could publish).
``patient`` is pseudonymous: no name or national identifier ever appears.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from devices.reading import FLAGS, METRICS, Kind, Reading
from veille.errors import PayloadError

SCHEMA = "veille.reading/1"

_METRIC_NAMES = frozenset(METRICS)

Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class DeviceRef(BaseModel):
    """Which device produced the reading, as Device Information told the gateway."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: Annotated[str, Field(min_length=1, max_length=64)]
    driver: Identifier
    model: Annotated[str, Field(max_length=128)] | None = None
    serial: Annotated[str, Field(max_length=128)] | None = None


class WireReading(BaseModel):
    """One reading on the wire. ``time`` is when it was measured (UTC), ``received``
    when the gateway got it (UTC); ``device_time`` is the device's own naive clock."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_: Literal["veille.reading/1"] = Field(default="veille.reading/1", alias="schema")
    id: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
    patient: Identifier
    gateway: Identifier
    device: DeviceRef
    kind: Kind
    time: AwareDatetime
    received: AwareDatetime
    device_time: datetime | None = None
    metrics: dict[str, float | None]
    flags: list[str] = Field(default_factory=list)
    attributes: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    user_index: Annotated[int, Field(ge=0, le=255)] | None = None
    sequence: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _known_names(self) -> WireReading:
        """Metric and flag names are ours; flags sorted, once each.

        One validator for the whole model, not one per field: the collector
        validates every payload, and each Python validator call costs ~1 us."""
        metrics = self.metrics
        if not _METRIC_NAMES.issuperset(metrics):
            raise ValueError(f"metrics: unknown metric(s) {sorted(set(metrics) - _METRIC_NAMES)}")
        for name, number in metrics.items():
            if number is not None and number != number:  # NaN never travels as a number
                raise ValueError(f"metrics: metric {name} is NaN; send null")
        flags = self.flags
        if flags:
            if not FLAGS.issuperset(flags):
                raise ValueError(f"flags: unknown flag(s) {sorted(set(flags) - FLAGS)}")
            normal = sorted(set(flags))
            if normal != flags:
                self.__dict__["flags"] = normal  # frozen to callers; still ours while validating
        return self

    def to_reading(self) -> Reading:
        """The device-level reading inside the envelope."""
        return Reading(
            kind=self.kind,
            metrics=dict(self.metrics),
            time=self.device_time,
            user_index=self.user_index,
            sequence=self.sequence,
            flags=tuple(self.flags),
            attributes=dict(self.attributes),
        )


def reading_id(
    device_address: str,
    kind: Kind | str,
    *,
    sequence: int | None,
    device_time: datetime | None,
    user_index: int | None,
    fallback: datetime | None = None,
) -> str:
    """A stable id for one measurement: the same record replayed gets the same id.

    Built from the device, the kind, the user slot and the device's own record
    number, or its timestamp when it keeps no numbers. Never from values: two
    identical weighings are two readings. A device with neither number nor
    clock can only be told apart by when the gateway received it (``fallback``).
    """
    if sequence is not None:
        what = f"seq={sequence}"
    elif device_time is not None:
        what = f"time={device_time.isoformat()}"
    elif fallback is not None:
        what = f"received={fallback.astimezone(UTC).isoformat()}"
    else:
        raise ValueError("a reading id needs a sequence, a device time or a receive time")
    key = f"{device_address.upper()}|{Kind(kind).value}|user={user_index}|{what}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def envelope(
    reading: Reading,
    *,
    patient: str,
    gateway: str,
    device: DeviceRef,
    time: datetime,
    received: datetime,
) -> WireReading:
    """Wrap a device reading for the wire; ``time`` is the measurement time the
    gateway settled on (device clock in the gateway's zone, or ``received``)."""
    return WireReading(
        id=reading_id(
            device.address,
            reading.kind,
            sequence=reading.sequence,
            device_time=reading.time,
            user_index=reading.user_index,
            fallback=received,
        ),
        patient=patient,
        gateway=gateway,
        device=device,
        kind=reading.kind,
        time=time.astimezone(UTC),
        received=received.astimezone(UTC),
        device_time=reading.time,
        metrics=dict(reading.metrics),
        flags=list(reading.flags),
        attributes=dict(reading.attributes),
        user_index=reading.user_index,
        sequence=reading.sequence,
    )


def encode(wire: WireReading) -> bytes:
    """Compact JSON bytes for MQTT."""
    return wire.model_dump_json(by_alias=True).encode()


def to_json_dict(wire: WireReading) -> dict[str, Any]:
    """The envelope as plain JSON types (for JSON lines exports)."""
    data: dict[str, Any] = json.loads(encode(wire))
    return data


def decode(payload: bytes | str) -> WireReading:
    """Parse and validate an MQTT payload; raises `PayloadError` with the reason."""
    try:
        return WireReading.model_validate_json(payload)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        raise PayloadError(f"invalid {SCHEMA} payload: {where}: {first['msg']}") from err
