"""Every MQTT topic of Veille, built here and nowhere else.

::

    veille/v1/gw/<gateway>/reading/<kind>   gateway -> collector, rules   veille.reading/1
    veille/v1/gw/<gateway>/ack              collector -> gateway          veille.ack/1
    veille/v1/gw/<gateway>/status           gateway (retained, last will) veille.status/1
    veille/v1/deadletter                    collector -> operators        veille.deadletter/1
    veille/v1/alerts/<severity>             rules -> integrations         veille.alert/1

The broker's ACL (``deploy/mosquitto/acl``) confines a gateway to
``veille/v1/gw/<its id>/``; that file is configuration, and
``tests/deploy/test_mosquitto_acl.py`` checks it against these functions.
"""

from __future__ import annotations

from typing import NamedTuple

from wire.errors import PayloadError

ROOT = "veille/v1"


def reading(gateway: str, kind: str) -> str:
    """Where a gateway publishes one reading of ``kind``."""
    return f"{ROOT}/gw/{gateway}/reading/{kind}"


def ack(gateway: str) -> str:
    """Where the collector tells ``gateway`` what it stored."""
    return f"{ROOT}/gw/{gateway}/ack"


def status(gateway: str) -> str:
    """The gateway's retained status (online with its heartbeat, or its last will)."""
    return f"{ROOT}/gw/{gateway}/status"


def gateway_tree(gateway: str) -> str:
    """Every topic under one gateway's prefix (the ACL's unit)."""
    return f"{ROOT}/gw/{gateway}/#"


def alert(severity: str) -> str:
    """Where the rules publish an alert for integrations, by its severity."""
    return f"{ROOT}/alerts/{severity}"


#: Where the collector publishes what it could not accept.
DEAD_LETTER = f"{ROOT}/deadletter"

#: Filters: every gateway's readings, acks, statuses; every alert.
ALL_READINGS = reading("+", "#")
ALL_ACKS = ack("+")
ALL_STATUSES = status("+")
ALL_ALERTS = alert("#")


def shared(group: str, topic_filter: str) -> str:
    """An MQTT 5 shared subscription: each message goes to one member of ``group``."""
    return f"$share/{group}/{topic_filter}"


class ReadingTopic(NamedTuple):
    gateway: str
    kind: str


def _gateway_parts(topic: str) -> list[str] | None:
    parts = topic.split("/")
    if len(parts) >= 4 and f"{parts[0]}/{parts[1]}" == ROOT and parts[2] == "gw":
        return parts
    return None


def gateway_of(topic: str) -> str | None:
    """The gateway id in a ``veille/v1/gw/<id>/...`` topic, or None."""
    parts = _gateway_parts(topic)
    return parts[3] if parts is not None else None


def parse_reading(topic: str) -> ReadingTopic:
    """The gateway and kind a reading topic names; `PayloadError` for any other topic."""
    parts = _gateway_parts(topic)
    if parts is None or len(parts) != 6 or parts[4] != "reading":
        raise PayloadError(f"topic {topic!r} is not {reading('<gateway>', '<kind>')}")
    return ReadingTopic(parts[3], parts[5])


def is_ack(topic: str) -> bool:
    parts = _gateway_parts(topic)
    return parts is not None and len(parts) == 5 and parts[4] == "ack"


def is_status(topic: str) -> bool:
    parts = _gateway_parts(topic)
    return parts is not None and len(parts) == 5 and parts[4] == "status"


def is_alert(topic: str) -> bool:
    return topic.startswith(alert(""))
