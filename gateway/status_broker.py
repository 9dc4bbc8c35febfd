"""The gateway's retained status on the broker, read once with a short timeout.

`veille gateway status` asks the broker (with the gateway's own account, under
another client id so the running gateway's session is left alone) for the
retained ``veille.status/1`` (`wire.status`): "online" while the gateway is connected,
"offline" once its last will fired. A broker that does not answer in time is
reported, not waited for: the local files already say most of what matters.
"""

from __future__ import annotations

import os
import ssl
import threading
import time
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import MQTTProtocolVersion

from gateway.status import BrokerStatus
from veille.errors import VeilleError
from veille.mqtt import BrokerSettings, connection
from wire import topics
from wire.errors import PayloadError
from wire.status import SCHEMA, Status

#: after the SUBACK, how long a retained message may take to follow it
_RETAINED_GRACE_S = 0.5


def _parse(payload: bytes) -> BrokerStatus:
    try:
        status = Status.decode(payload)
    except PayloadError as err:
        return BrokerStatus("no_status", f"the retained status is not {SCHEMA} ({err})"[:300])
    uptime = status.uptime_s if status.state == "online" else None
    return BrokerStatus(status.state, uptime_s=uptime)


def read_status(broker: BrokerSettings, gateway_id: str, timeout_s: float) -> BrokerStatus:
    """The retained status, or why it could not be read within ``timeout_s``."""
    try:
        conn = connection(
            broker,
            f"veille-status-{gateway_id}-{os.getpid()}",
            persistent=False,
            protocol=MQTTProtocolVersion.MQTTv311,  # a retained read needs nothing of MQTT 5
        )
    except VeilleError as err:  # a password or TLS file this user cannot read
        return BrokerStatus("not_checked", str(err))
    client = conn.client
    client.connect_timeout = timeout_s
    got: dict[str, Any] = {}
    subscribed, done = threading.Event(), threading.Event()

    def on_connect(c: paho.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if getattr(rc, "is_failure", False):
            got["refused"] = str(rc)
            done.set()
        else:
            c.subscribe(topics.status(gateway_id), qos=1)

    def on_message(_c: paho.Client, _u: Any, message: paho.MQTTMessage) -> None:
        got["payload"] = message.payload
        done.set()

    client.on_connect = on_connect
    client.on_subscribe = lambda *_args: subscribed.set()
    client.on_message = on_message
    where = f"{conn.host}:{conn.port}"
    deadline = time.monotonic() + timeout_s
    try:
        client.connect(conn.host, conn.port, keepalive=conn.keepalive_s)
    except (OSError, ssl.SSLError) as err:
        return BrokerStatus("unreachable", f"{where}: {err}")
    client.loop_start()
    try:
        answered = subscribed.wait(max(0.0, deadline - time.monotonic())) or done.is_set()
        if answered:
            done.wait(_RETAINED_GRACE_S)
    finally:
        client.disconnect()
        client.loop_stop()
    if "refused" in got:
        return BrokerStatus("refused", f"{where}: {got['refused']} (account, password file?)")
    if "payload" in got:
        return _parse(got["payload"])
    if not answered:
        return BrokerStatus("unreachable", f"{where}: no answer within {timeout_s:g} s")
    return BrokerStatus(
        "no_status", "nothing retained (never connected?) or this account may not read it"
    )
