"""A device's `Reading` to and from the ``veille.reading/1`` envelope: the one place.

The envelope itself (`wire.reading.WireReading`) belongs to the wire, which
knows nothing of devices; this module is where the two meet. The gateway wraps
readings here; the server unwraps them here when it needs the device view.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from devices.reading import Kind, Reading
from wire.reading import DeviceRef, WireReading


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


def to_reading(wire: WireReading) -> Reading:
    """The device-level reading inside an envelope (the inverse of `envelope`)."""
    return Reading(
        kind=wire.kind,
        metrics=dict(wire.metrics),
        time=wire.device_time,
        user_index=wire.user_index,
        sequence=wire.sequence,
        flags=tuple(wire.flags),
        attributes=dict(wire.attributes),
    )
