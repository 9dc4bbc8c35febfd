"""Helpers for the alerts tests: readings built in the wire format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from devices.envelope import envelope
from devices.reading import Kind, Reading
from wire.reading import DeviceRef, WireReading

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
_SEQ = count(1)


def wire(
    kind: Kind,
    at: datetime,
    patient: str = "p-1",
    flags: tuple[str, ...] = (),
    attributes: dict[str, str | int | float | bool | None] | None = None,
    received: datetime | None = None,
    **metrics: float | None,
) -> WireReading:
    reading = Reading(
        kind=kind,
        metrics=metrics,
        time=at.replace(tzinfo=None),
        sequence=next(_SEQ),
        flags=flags,
        attributes=attributes or {},
    )
    return envelope(
        reading,
        patient=patient,
        gateway="gw-1",
        device=DeviceRef(address="AA:BB:CC:DD:EE:FF", driver=kind.value),
        time=at,
        received=received or at + timedelta(seconds=5),
    )


@pytest.fixture
def t0() -> datetime:
    return T0
