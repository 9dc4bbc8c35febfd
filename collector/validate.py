"""Is this MQTT message a reading we can store? A reading, or the reason why not.

Pure: no clock, no I/O. Beyond the `veille.reading/1` schema, the topic must
agree with the payload: the broker's ACL vouches for the gateway in the topic
only, so a payload claiming another gateway or kind is refused.
"""

from __future__ import annotations

from wire import topics
from wire.errors import PayloadError
from wire.reading import WireReading


def check(topic: str, payload: bytes) -> WireReading:
    """The reading in ``payload``; raises `PayloadError` with a reason for the dead letters."""
    where = topics.parse_reading(topic)
    reading = WireReading.decode(payload)
    if reading.gateway != where.gateway:
        raise PayloadError(
            f"payload gateway {reading.gateway!r} differs from the topic's {where.gateway!r}"
        )
    if reading.kind.value != where.kind:
        raise PayloadError(
            f"payload kind {reading.kind.value!r} differs from the topic's {where.kind!r}"
        )
    return reading
