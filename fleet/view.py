"""What the API and the fleet page show of a gateway, and who may see which.

A coordinator sees every gateway; a nurse sees the gateways that serve a
patient her team follows (a live `collector.models.GatewayPairing` of a
patient with a live `sharing.models.Enrolment` in her team), none other.
Health only: no patient id leaves here, so a gateway shared by two teams
tells neither about the other's patient.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.models import GatewayPairing
from fleet.models import DeviceHealth, GatewayHealth
from sharing.models import Enrolment


class OutboxView(BaseModel):
    pending: int | None
    oldest_s: float | None


class DeviceView(BaseModel):
    address: str
    driver: str | None
    kinds: list[str]
    last_contact: datetime | None
    last_reading: datetime | None
    battery_pct: int | None
    rssi_dbm: int | None


class GatewayView(BaseModel):
    id: str
    state: Literal["online", "offline"]
    state_since: datetime
    last_seen: datetime | None
    outbox: OutboxView
    clock_drift_s: float | None
    version: str | None
    free_disk_mb: float | None
    devices: list[DeviceView]


def team_gateways(session: Session, team_id: int, now: datetime) -> set[str]:
    """Gateways serving, right now, a patient enrolled in ``team_id``."""
    query = (
        select(GatewayPairing.gateway_id)
        .join(Enrolment, Enrolment.patient_id == GatewayPairing.patient_id)
        .where(Enrolment.team_id == team_id, GatewayPairing.paired_at <= now)
        .where((Enrolment.ended_at.is_(None)) | (Enrolment.ended_at > now))
        .where((GatewayPairing.ended_at.is_(None)) | (GatewayPairing.ended_at > now))
    )
    return set(session.scalars(query))


def gateways(session: Session, only: set[str] | None = None) -> list[GatewayView]:
    """Every gateway the server heard from (``only``: those ids), by id."""
    query = select(GatewayHealth).order_by(GatewayHealth.gateway_id)
    if only is not None:
        query = query.where(GatewayHealth.gateway_id.in_(sorted(only)))
    rows: Sequence[GatewayHealth] = session.scalars(query).all()
    devices: dict[str, list[DeviceView]] = {}
    if rows:
        found = select(DeviceHealth).where(
            DeviceHealth.gateway_id.in_([r.gateway_id for r in rows])
        )
        for d in session.scalars(found.order_by(DeviceHealth.address)):
            devices.setdefault(d.gateway_id, []).append(
                DeviceView(
                    address=d.address,
                    driver=d.driver,
                    kinds=list(d.kinds),
                    last_contact=d.last_contact,
                    last_reading=d.last_reading,
                    battery_pct=d.battery_pct,
                    rssi_dbm=d.rssi_dbm,
                )
            )
    return [
        GatewayView(
            id=r.gateway_id,
            state="online" if r.state == "online" else "offline",
            state_since=r.state_since,
            last_seen=r.last_seen,
            outbox=OutboxView(pending=r.outbox_pending, oldest_s=r.outbox_oldest_s),
            clock_drift_s=r.clock_drift_s,
            version=r.version,
            free_disk_mb=r.free_disk_mb,
            devices=devices.get(r.gateway_id, []),
        )
        for r in rows
    ]
