"""Is this MQTT message a reading we can store? A reading, or the reason why not.

Pure: no clock, no I/O. Beyond the `veille.reading/1` schema, the topic must
agree with the payload: the broker's ACL vouches for the gateway in the topic
only, so a payload claiming another gateway or kind is refused.
"""

from __future__ import annotations

from devices.wire import WireReading, decode
from veille.errors import PayloadError
from veille.mqtt import ROOT


def check(topic: str, payload: bytes) -> WireReading:
    """The reading in ``payload``; raises `PayloadError` with a reason for the dead letters."""
    parts = topic.split("/")
    if (
        len(parts) != 6
        or f"{parts[0]}/{parts[1]}" != ROOT
        or parts[2] != "gw"
        or parts[4] != "reading"
    ):
        raise PayloadError(f"topic {topic!r} is not {ROOT}/gw/<gateway>/reading/<kind>")
    reading = decode(payload)
    if reading.gateway != parts[3]:
        raise PayloadError(
            f"payload gateway {reading.gateway!r} differs from the topic's {parts[3]!r}"
        )
    if reading.kind.value != parts[5]:
        raise PayloadError(
            f"payload kind {reading.kind.value!r} differs from the topic's {parts[5]!r}"
        )
    return reading
