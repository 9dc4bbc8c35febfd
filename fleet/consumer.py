"""The server's reader of every gateway's retained status and heartbeat.

Subscribes to `wire.topics.ALL_STATUSES` (a clean session: on every connect
the broker hands over each gateway's retained status, so nothing is lost by
being down but intermediate heartbeats), and writes each message through
`fleet.record` in its own thread, away from paho's network loop. A payload
that is not ``veille.status/1`` is logged with the reason and skipped, never
a crash; a database that does not answer is waited for and retried, the
message kept.
"""

from __future__ import annotations

import os
import queue
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import paho.mqtt.client as paho
import structlog
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from fleet.record import record
from veille.clock import Clock
from veille.db import transaction
from veille.mqtt import BrokerSettings, connection
from wire import topics
from wire.errors import PayloadError
from wire.status import Status

log = structlog.get_logger("fleet")

#: how long to wait before retrying a database that did not answer, at most
_RETRY_MAX_S = 30.0


@dataclass(frozen=True, slots=True)
class Received:
    topic: str
    payload: bytes
    retained: bool
    at: datetime


class FleetConsumer:
    """``start()``, then ``run(stop)`` in a thread of the caller's; ``close()`` at the end."""

    def __init__(
        self, broker: BrokerSettings, sessions: sessionmaker[Session], clock: Clock
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._inbox: queue.Queue[Received] = queue.Queue()
        self.subscribed = threading.Event()
        self.stored = 0
        self.skipped = 0
        self._conn = connection(broker, f"veille-fleet-{os.getpid()}", persistent=False)
        client = self._conn.client
        client.on_connect = self._on_connect
        client.on_subscribe = lambda *_args: self.subscribed.set()
        client.on_message = self._on_message

    def _on_connect(self, client: paho.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if getattr(rc, "is_failure", False):
            log.error("fleet_broker_refused", reason=str(rc))
            return
        client.subscribe(topics.ALL_STATUSES, qos=1)

    def _on_message(self, _c: paho.Client, _u: Any, message: paho.MQTTMessage) -> None:
        self._inbox.put(
            Received(message.topic, bytes(message.payload), bool(message.retain), self._clock.now())
        )

    def start(self) -> None:
        self._conn.connect_async()

    def close(self) -> None:
        self._conn.close()

    def handle(self, item: Received) -> bool:
        """Store one message; False (logged) when it is not a gateway's status."""
        gateway = topics.gateway_of(item.topic)
        if gateway is None or not topics.is_status(item.topic):
            log.warning("fleet_status_skipped", topic=item.topic[:200], reason="not a status topic")
            return False
        if not item.payload:  # a retained status cleared by an operator
            return False
        try:
            status = Status.decode(item.payload)
        except PayloadError as err:
            log.warning("fleet_status_skipped", gateway=gateway, reason=str(err)[:300])
            return False
        with transaction(self._sessions) as session:
            record(session, gateway, status, received_at=item.at, retained=item.retained)
        return True

    def run(self, stop: threading.Event) -> None:
        """Drain the messages until ``stop``; a database error waits and retries the same one."""
        while not stop.is_set():
            try:
                item = self._inbox.get(timeout=0.2)
            except queue.Empty:
                continue
            delay = 0.5
            while not stop.is_set():
                try:
                    ok = self.handle(item)
                except OperationalError as err:
                    log.warning("fleet_db_unavailable", error=str(err)[:200], retry_s=delay)
                    stop.wait(delay)
                    delay = min(delay * 2, _RETRY_MAX_S)
                    continue
                if ok:
                    self.stored += 1
                else:
                    self.skipped += 1
                break
