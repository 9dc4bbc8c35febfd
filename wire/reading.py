"""The ``veille.reading/1`` envelope: one reading from a gateway to the server.

It crosses a trust boundary (any MQTT client could publish), so every field is
validated; ``patient`` is pseudonymous: no name or national identifier ever
appears. The device-level `devices.reading.Reading` maps to and from this
envelope in one place, `devices.envelope`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from wire.message import Message
from wire.vocabulary import FLAGS, METRICS, Kind

SCHEMA = "veille.reading/1"

_METRIC_NAMES = frozenset(METRICS)

#: Gateway, patient and driver ids: short, printable, safe in a topic and a URL.
Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class DeviceRef(BaseModel):
    """Which device produced the reading, as Device Information told the gateway."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    address: Annotated[str, Field(min_length=1, max_length=64)]
    driver: Identifier
    model: Annotated[str, Field(max_length=128)] | None = None
    serial: Annotated[str, Field(max_length=128)] | None = None


class WireReading(Message):
    """One reading on the wire. ``time`` is when it was measured (UTC), ``received``
    when the gateway got it (UTC); ``device_time`` is the device's own naive clock."""

    SCHEMA: ClassVar[str] = SCHEMA

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
