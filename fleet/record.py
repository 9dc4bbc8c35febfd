"""One status message into the fleet tables: the latest state, the devices, the history.

The clock drift is the gateway's ``sent_at`` minus the server's receipt time,
taken only from live messages: a retained one may have waited on the broker
for hours, so its age is not drift. ``last_seen`` is the receipt of the last
live ``online`` message (or, for a retained one, its ``sent_at``); the last
will changes the state and keeps ``last_seen``, which is then "offline since".
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from fleet.models import DeviceHealth, GatewayHealth, HealthSample
from wire.status import DeviceHeartbeat, Status


def _drift(status: Status, received_at: datetime, retained: bool) -> float | None:
    if retained or status.sent_at is None:
        return None
    return round((status.sent_at - received_at).total_seconds(), 1)


def _device(row: DeviceHealth, beat: DeviceHeartbeat, now: datetime) -> None:
    row.driver = beat.driver or row.driver
    if beat.kinds is not None:
        row.kinds = sorted(beat.kinds)
    row.last_contact = beat.last_seen or row.last_contact
    row.last_reading = beat.last_reading or row.last_reading
    if beat.battery_pct is not None:
        row.battery_pct = beat.battery_pct
    if beat.rssi_dbm is not None:
        row.rssi_dbm = beat.rssi_dbm
    row.clock_drift_s = beat.clock_drift_s
    row.updated_at = now


def record(
    session: Session, gateway: str, status: Status, *, received_at: datetime, retained: bool
) -> GatewayHealth:
    """Apply ``status`` (from ``gateway``'s topic, never its body) and add a history sample."""
    row = session.get(GatewayHealth, gateway)
    if row is None:
        row = GatewayHealth(gateway_id=gateway, state=status.state, state_since=received_at)
        session.add(row)
    elif row.state != status.state:
        row.state, row.state_since = status.state, received_at
    row.updated_at = received_at
    drift = _drift(status, received_at, retained)
    if status.state == "online":
        row.last_seen = status.sent_at if retained and status.sent_at else received_at
        row.version = status.version or row.version
        row.uptime_s = status.uptime_s
        if status.outbox is not None:
            row.outbox_pending = status.outbox.depth
            row.outbox_oldest_s = status.outbox.oldest_s
            row.outbox_full = status.outbox.full
        if drift is not None:
            row.clock_drift_s = drift
        if status.free_disk_mb is not None:
            row.free_disk_mb = status.free_disk_mb
        for address, beat in (status.devices or {}).items():
            device = session.get(DeviceHealth, (gateway, address))
            if device is None:
                device = DeviceHealth(gateway_id=gateway, address=address, kinds=[])
                session.add(device)
            _device(device, beat, received_at)
    session.add(
        HealthSample(
            gateway_id=gateway,
            received_at=received_at,
            state=status.state,
            retained=retained,
            outbox_pending=status.outbox.depth if status.outbox else None,
            outbox_oldest_s=status.outbox.oldest_s if status.outbox else None,
            clock_drift_s=drift,
            version=status.version,
            free_disk_mb=status.free_disk_mb,
            devices={
                a: b.model_dump(mode="json", include={"battery_pct", "last_seen", "last_reading"})
                for a, b in (status.devices or {}).items()
            },
        )
    )
    session.flush()
    return row
