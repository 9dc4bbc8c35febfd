"""Telling the server which patients a gateway serves: pair, end, list.

The server's record of a home, written when the home is set up (``veille
collector pair``, the demo; the coordinator's enrolment pages later), read by
`collector.authority`. A gateway id and a patient id are the pseudonymous
ones the home publishes; a device address narrows the pairing to one device.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.models import GatewayPairing, GatewayRefusal
from veille.errors import ConfigError
from wire.reading import Identifier

_ID: TypeAdapter[str] = TypeAdapter(Identifier)


def _valid(what: str, value: str) -> str:
    try:
        return _ID.validate_python(value)
    except ValidationError as err:
        raise ConfigError(f"{what} {value!r}: letters, digits, _.:- only, at most 64") from err


def pair(
    session: Session,
    gateway: str,
    patient: str,
    *,
    now: datetime,
    device: str | None = None,
    paired_at: datetime | None = None,
) -> GatewayPairing:
    """``gateway`` serves ``patient`` from now (idempotent: a live pairing is kept as it is)."""
    gateway, patient = _valid("gateway id", gateway), _valid("patient id", patient)
    address = device.upper() if device else None
    for row in live_pairings(session, gateway):
        if row.patient_id == patient and row.device_address == address:
            return row
    row = GatewayPairing(
        gateway_id=gateway,
        patient_id=patient,
        device_address=address,
        paired_at=paired_at or now,
    )
    session.add(row)
    session.flush()
    return row


def unpair(session: Session, gateway: str, patient: str, *, now: datetime) -> int:
    """End every live pairing of ``gateway`` with ``patient``; how many ended."""
    ended = 0
    for row in live_pairings(session, gateway):
        if row.patient_id == patient:
            row.ended_at = now
            ended += 1
    session.flush()
    return ended


def live_pairings(session: Session, gateway: str | None = None) -> list[GatewayPairing]:
    query = select(GatewayPairing).where(GatewayPairing.ended_at.is_(None))
    if gateway is not None:
        query = query.where(GatewayPairing.gateway_id == gateway)
    return list(session.scalars(query.order_by(GatewayPairing.id)))


def refusals(session: Session) -> list[GatewayRefusal]:
    """Every gateway's refused readings, most recent first (the technical contact's record)."""
    query = select(GatewayRefusal).order_by(GatewayRefusal.last_at.desc())
    return list(session.scalars(query))
