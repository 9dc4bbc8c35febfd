"""The collector's MQTT session: subscribe, queue what arrives, publish, acknowledge.

paho's network thread only queues messages here; the service thread takes
them in batches (by size, or by time: the broker sends no more than its
in-flight window of unacknowledged messages, so a size-only batch could wait
forever). Acknowledgements are manual (paho manual acks) and sent only once
the batch is stored: until then the broker keeps the messages in our
persistent session and stops sending once the in-flight window is full, so
memory stays bounded. A reconnect starts a new generation: the broker resends
what we had not acknowledged, and acks of the old connection's message ids are
never sent on the new one. What is done with a batch is `collector.consumer`'s.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho

from collector.fastclient import BatchingClient
from collector.settings import CollectorSettings
from veille.errors import Inconsistent, NotReady
from veille.mqtt import BrokerSettings, Connection, connection
from wire import topics


@dataclass(slots=True)  # not frozen: a frozen one's __init__ costs ~1 us per message
class Incoming:
    mid: int
    qos: int
    topic: str
    payload: bytes
    generation: int
    arrived: float


class Session:
    """One collector's persistent MQTT session; ``stop`` is the collector's."""

    def __init__(
        self, settings: CollectorSettings, broker: BrokerSettings, stop: threading.Event, log: Any
    ) -> None:
        self.settings = settings
        self.broker = broker
        self.log = log
        self._stop = stop
        self._cond = threading.Condition()
        self._pending: deque[Incoming] = deque()
        self._generation = 0
        self._max_pending = 2 * max(settings.receive_maximum, settings.batch_size)
        #: Our QoS 1 publishes the broker has not confirmed yet (paho keeps each in memory).
        self._unconfirmed = 0
        self._max_unconfirmed = max(1000, settings.batch_size)
        self.conn: Connection | None = None
        self.subscribed = threading.Event()

    def _conn(self) -> Connection:
        if self.conn is None:
            raise NotReady("collector: start() first")
        return self.conn

    # --- paho's thread ---------------------------------------------------------

    def _on_connect(self, client: paho.Client, _u: Any, flags: Any, rc: Any, _p: Any) -> None:
        if getattr(rc, "is_failure", False):
            self.log.warning("broker_refused", reason=str(rc))
            return
        with self._cond:
            self._generation += 1
            self._pending.clear()  # unacked: the broker sends them again in this session
        topic = (
            topics.shared(self.settings.group, topics.ALL_READINGS)
            if self._conn().is_v5
            else topics.ALL_READINGS
        )
        client.subscribe(topic, qos=1)
        self.log.info("subscribing", topic=topic, session_present=bool(flags.session_present))

    def _on_subscribe(self, _c: paho.Client, _u: Any, _mid: int, codes: Any, _p: Any) -> None:
        if any(getattr(code, "is_failure", False) for code in codes):
            self.log.error("subscription_refused", reasons=[str(code) for code in codes])
            return
        self.log.info("subscribed")
        self.subscribed.set()

    def _on_disconnect(self, _c: paho.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        self.subscribed.clear()
        if not self._stop.is_set():
            self.log.warning("broker_disconnected", reason=str(rc))

    def _on_publish(self, _c: paho.Client, _u: Any, _mid: int, rc: Any, _p: Any) -> None:
        if getattr(rc, "is_failure", False):
            self.log.warning("publish_refused", reason=str(rc))
        with self._cond:
            self._unconfirmed -= 1
            self._cond.notify_all()

    def publish(self, topic: str, payload: bytes) -> None:
        client = self._conn().client
        with self._cond:
            self._unconfirmed += 1
        client.publish(topic, payload, qos=1)

    def _on_packet(self, mid: int, qos: int, topic: str, payload: bytes) -> None:
        with self._cond:
            # The broker's in-flight window should bound what we hold (mosquitto applies its
            # max_inflight_messages, not our Receive Maximum); past this, paho's thread
            # waits here and TCP pushes back on the broker.
            while len(self._pending) >= self._max_pending and not self._stop.is_set():
                self._cond.wait(1.0)
            self._pending.append(
                Incoming(mid, qos, topic, payload, self._generation, time.monotonic())
            )
            if len(self._pending) >= self.settings.batch_size:
                self._cond.notify_all()

    def _on_message(self, _c: paho.Client, _u: Any, msg: paho.MQTTMessage) -> None:
        """Stock paho's delivery (``client = "paho"``), handed on as the fast client does."""
        try:
            topic = msg.topic
        except UnicodeDecodeError:  # refused with the other invalid readings (dead letter)
            topic = "\ufffd"
        self._on_packet(msg.mid, msg.qos, topic, bytes(msg.payload))

    # --- the service thread ----------------------------------------------------

    def open(self) -> Connection:
        """The configured connection (not yet connected: see `connect`)."""
        conn = connection(
            self.broker,
            self.settings.client_id,
            persistent=True,
            session_expiry_s=self.settings.session_expiry_s,
            receive_maximum=self.settings.receive_maximum,
            client_class=BatchingClient if self.settings.client == "fast" else paho.Client,
        )
        conn.client.manual_ack_set(True)
        # paho sends 20 QoS 1 messages at a time by default: the gateway acks of one batch
        # (one per gateway) would queue up in memory behind them; and with any limit it
        # scans its whole outgoing queue on every PUBACK.
        conn.client.max_inflight_messages_set(self.settings.publish_inflight)
        conn.client.on_connect = self._on_connect
        conn.client.on_disconnect = self._on_disconnect
        if isinstance(conn.client, BatchingClient):
            conn.client.on_publish_packet = self._on_packet
        elif self.settings.client == "fast":
            raise Inconsistent(f"connection() built a {type(conn.client).__name__}")
        else:
            conn.client.on_message = self._on_message
        conn.client.on_subscribe = self._on_subscribe
        conn.client.on_publish = self._on_publish
        self.conn = conn
        return conn

    def connect(self) -> None:
        self._conn().connect_async()

    def wake(self) -> None:
        """Let a `take` waiting for messages see that ``stop`` is set."""
        with self._cond:
            self._cond.notify_all()

    def take(self) -> list[Incoming]:
        """The next batch; first let paho's thread send what we already published, so
        acks to gateways cannot pile up in memory faster than the broker takes them."""
        size = self.settings.batch_size
        with self._cond:
            patience = time.monotonic() + 10
            while (
                self._unconfirmed > self._max_unconfirmed
                and len(self._pending) < self._max_pending  # else paho's thread waits for us
                and not self._stop.is_set()
                and time.monotonic() < patience  # disconnected: paho resends them later
            ):
                self._cond.wait(0.1)
            if not self._pending:
                self._cond.wait(0.2)
                if not self._pending:
                    return []
            deadline = self._pending[0].arrived + self.settings.flush_interval_s
            while len(self._pending) < size and not self._stop.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            batch = [self._pending.popleft() for _ in range(min(size, len(self._pending)))]
            self._cond.notify_all()
        return batch

    def ack(self, batch: Sequence[Incoming]) -> None:
        """Acknowledge to the broker what this connection received of ``batch``."""
        client = self._conn().client
        with self._cond:
            generation = self._generation
        mids = [i.mid for i in batch if i.generation == generation and i.qos == 1]
        if isinstance(client, BatchingClient):
            client.ack_many(mids)
        else:
            for mid in mids:
                client.ack(mid, 1)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
