"""The ``[collector]`` section: batching, the MQTT session, acks, retries, workers."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from collector.plausibility import PlausibilitySettings


class CollectorSettings(BaseModel):
    """The ``[collector]`` section."""

    model_config = ConfigDict(extra="forbid")

    #: Fixed per instance: the broker keeps this client's session while it is away.
    client_id: str = Field(default="veille-collector-1", min_length=1, max_length=64)
    #: MQTT 5 shared-subscription group: instances of one group share the load.
    group: str = Field(default="collectors", pattern=r"^[A-Za-z0-9_-]+$")
    #: Each batch dirties about as many SQLite index pages as it has readings (while the
    #: store is small): 2,000 rather than 1,000 measured 7 % more readings/s.
    batch_size: int = Field(default=2000, ge=1, le=20_000)
    flush_interval_s: float = Field(default=0.05, gt=0, le=10)
    #: MQTT 5 Receive Maximum: unacknowledged messages the broker may send at once.
    #: Two batches: one is written while the next arrives and is validated.
    receive_maximum: int = Field(default=4000, ge=1, le=65_535)
    session_expiry_s: int = Field(default=7 * 24 * 3600, ge=1)
    #: Our own QoS 1 publishes (gateway acks, dead letters) in flight at once; 0 = no limit.
    #: paho ignores the broker's Receive Maximum: set it for brokers that enforce one.
    publish_inflight: int = Field(default=0, ge=0, le=65_535)
    #: Acks to gateways are gathered this long (then one message per gateway): a gateway
    #: that sends a burst gets a few acks, not one per batch. 0 = after every batch.
    #: Gateways republish after 120 s: a second here costs them nothing, and halves the
    #: acks of a burst (each a QoS 1 publish, for us and for the broker).
    ack_interval_s: float = Field(default=1.0, ge=0, le=60)
    retry_min_s: float = Field(default=0.5, gt=0)
    retry_max_s: float = Field(default=30.0, gt=0)
    #: Default: deadletter.sqlite beside the SQLite store, or in the working directory.
    dead_letter_path: Path | None = None
    #: Processes sharing the subscription (MQTT 5 only: a 3.1.1 broker has no shared
    #: subscriptions, so extra workers there stop at once and one consumes).
    workers: int = Field(default=1, ge=1, le=64)
    #: The MQTT client: ``fast`` (`collector.fastclient`: buffered reads, one write for a
    #: batch's PUBACKs) or ``paho``, stock paho-mqtt: the same delivery, more CPU per reading;
    #: the fallback should a paho release break the fast one, and bench/ingest.py's baseline.
    client: Literal["fast", "paho"] = "fast"
    #: Physically possible values and times (`collector.plausibility`).
    plausibility: PlausibilitySettings = Field(default_factory=PlausibilitySettings)
    #: How often the gateway -> patient pairings are read again from the database.
    pairings_refresh_s: float = Field(default=10.0, gt=0, le=3600)
