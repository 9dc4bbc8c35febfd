"""The ``veille.status/1`` message: a gateway's retained presence and heartbeat.

Retained on `wire.topics.status`. While the gateway is connected it says
``online`` with its heartbeat (uptime, outbox depth, counters, per-device
activity, pseudonymous: addresses, never a patient); its last will, set at
connect time, says ``offline`` and nothing else. Every heartbeat field is
optional for readers: an offline status has none, and a device the radio has
not met since start reports only what the pairing store remembers.
"""

from __future__ import annotations

import json
from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from wire.message import Message

SCHEMA = "veille.status/1"


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class OutboxHeartbeat(_Part):
    """Readings waiting for the collector's ack, and how many of them are stuck."""

    depth: int
    unpublished: int
    refused: int
    set_aside: int
    bound: int
    full: bool
    #: age of the oldest reading still waiting for the collector's ack, in seconds
    oldest_s: float | None = None


class Latency(_Part):
    """Outbox-to-PUBACK publish latency over the last 1,000 readings, in milliseconds."""

    n: int
    p50: float | None = None
    p99: float | None = None


class DeviceHeartbeat(_Part):
    """One paired device's activity (by address: no patient on the status topic)."""

    last_seen: AwareDatetime | None = None
    last_session: AwareDatetime | None = None
    battery_pct: int | None = None
    sessions_ok: int | None = None
    sessions_failed: int | None = None
    last_error: str | None = None
    records_rejected: int | None = None
    last_rejection: str | None = None
    clock_drift_s: float | None = None
    #: the driver the device is paired with, and the kinds it measures
    driver: str | None = None
    kinds: list[str] | None = None
    #: when the device's last reading was taken into the outbox
    last_reading: AwareDatetime | None = None
    #: received signal strength of its last advertisement, in dBm
    rssi_dbm: int | None = None


class Status(Message):
    """``online`` with the heartbeat, or ``offline`` (the last will) alone."""

    SCHEMA: ClassVar[str] = SCHEMA

    schema_: Literal["veille.status/1"] = Field(default="veille.status/1", alias="schema")
    state: Literal["online", "offline"]
    gateway: str | None = None
    uptime_s: float | None = None
    outbox: OutboxHeartbeat | None = None
    published: int | None = None
    acked: int | None = None
    refused: int | None = None
    last_refusal: str | None = None
    rejected: int | None = None
    quarantined: int | None = None
    publish_latency_ms: Latency | None = None
    scans_restarted: int | None = None
    devices: dict[str, DeviceHeartbeat] | None = None
    #: the gateway's own clock when it wrote this heartbeat (the server derives the drift)
    sent_at: AwareDatetime | None = None
    #: the gateway's software version, and free space on its data disk
    version: str | None = None
    free_disk_mb: float | None = None

    def encode(self) -> bytes:
        """Only the fields the writer set: the last will is ``{schema, state}`` alone."""
        body = self.model_dump(mode="json", by_alias=True, exclude_unset=True)
        return json.dumps({"schema": SCHEMA, **body}).encode()


#: The gateway's last will and its goodbye, retained.
OFFLINE = Status(state="offline")
