"""The fleet's tables: each gateway's latest health, its devices, and the history.

One row per gateway (`GatewayHealth`, what the fleet page and the API read),
one per device it reports (`DeviceHealth`), and one `HealthSample` per status
message received, so "offline since", a growing outbox or a drifting clock can
be seen after the fact. Pseudonymous like the status topic: gateway ids and
device addresses, never a patient.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from veille.db import Base, UTCDateTime


class GatewayHealth(Base):
    """A gateway's latest state; ``state_since`` is when it last changed."""

    __tablename__ = "fleet_gateways"

    gateway_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    state_since: Mapped[datetime] = mapped_column(UTCDateTime())
    #: when the server last heard the gateway online (None: never, only its last will)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[str | None] = mapped_column(String(64))
    uptime_s: Mapped[float | None] = mapped_column(Float)
    outbox_pending: Mapped[int | None] = mapped_column(Integer)
    outbox_oldest_s: Mapped[float | None] = mapped_column(Float)
    outbox_full: Mapped[bool | None] = mapped_column()
    clock_drift_s: Mapped[float | None] = mapped_column(Float)
    free_disk_mb: Mapped[float | None] = mapped_column(Float)


class DeviceHealth(Base):
    """One device as its gateway last reported it."""

    __tablename__ = "fleet_devices"

    gateway_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    driver: Mapped[str | None] = mapped_column(String(64))
    kinds: Mapped[list[str]] = mapped_column(JSON)
    last_contact: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_reading: Mapped[datetime | None] = mapped_column(UTCDateTime())
    battery_pct: Mapped[int | None] = mapped_column(Integer)
    rssi_dbm: Mapped[int | None] = mapped_column(Integer)
    clock_drift_s: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HealthSample(Base):
    """One status message as received: the history behind `GatewayHealth`."""

    __tablename__ = "fleet_history"
    __table_args__ = (Index("ix_fleet_history_gateway_at", "gateway_id", "received_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    gateway_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16))
    retained: Mapped[bool] = mapped_column()
    outbox_pending: Mapped[int | None] = mapped_column(Integer)
    outbox_oldest_s: Mapped[float | None] = mapped_column(Float)
    clock_drift_s: Mapped[float | None] = mapped_column(Float)
    version: Mapped[str | None] = mapped_column(String(64))
    free_disk_mb: Mapped[float | None] = mapped_column(Float)
    #: per device: battery, last contact, last reading (as the heartbeat said them)
    devices: Mapped[dict[str, dict[str, object]]] = mapped_column(JSON)
