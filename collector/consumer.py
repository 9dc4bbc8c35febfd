"""The collector service: MQTT readings in, batched idempotent writes, acks out.

paho's network thread only queues messages; the service thread takes them in
batches (by size, or by time: the broker sends no more than its in-flight
window of unacknowledged messages, so a size-only batch could wait forever),
validates them, writes the batch to the store and dead-letters the invalid
ones. Only then does it publish the `veille.ack/1` to each gateway and
acknowledge the MQTT messages (paho manual acks).

When the store is down nothing is acknowledged: the broker keeps the messages
in our persistent session and stops sending once the in-flight window is
full, so memory stays bounded; the batch is retried with backoff and the
stream resumes where it stopped. A reconnect starts a new generation: the
broker resends what we had not acknowledged, and acks of the old connection's
message ids are never sent on the new one.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import paho.mqtt.client as paho
from pydantic import BaseModel, ConfigDict, Field

from collector.deadletter import DeadLetter, DeadLetters, message, readable_id
from collector.fastclient import BatchingClient
from collector.store import ReadingStore
from collector.validate import check
from veille import logs
from veille.errors import StoreError, StoreUnavailable
from veille.mqtt import BrokerSettings, Connection, connection
from wire import topics
from wire.ack import Ack, Rejected
from wire.errors import PayloadError
from wire.reading import WireReading

T = TypeVar("T")

_IDS_PER_ACK = 1000
STORE_REFUSED = "store refused it"


class CollectorSettings(BaseModel):
    """The ``[collector]`` section."""

    model_config = ConfigDict(extra="forbid")

    #: Fixed per instance: the broker keeps this client's session while it is away.
    client_id: str = Field(default="veille-collector-1", min_length=1, max_length=64)
    #: MQTT 5 shared-subscription group: instances of one group share the load.
    group: str = Field(default="collectors", pattern=r"^[A-Za-z0-9_-]+$")
    #: Each batch dirties about as many SQLite index pages as it has readings (while the
    #: store is small): 2,000 rather than 1,000 measured 7 % more readings/s.
    batch_size: int = Field(default=2000, ge=1, le=20_000)
    flush_interval_s: float = Field(default=0.05, gt=0, le=10)
    #: MQTT 5 Receive Maximum: unacknowledged messages the broker may send at once.
    #: Two batches: one is written while the next arrives and is validated.
    receive_maximum: int = Field(default=4000, ge=1, le=65_535)
    session_expiry_s: int = Field(default=7 * 24 * 3600, ge=1)
    #: Our own QoS 1 publishes (gateway acks, dead letters) in flight at once; 0 = no limit.
    #: paho ignores the broker's Receive Maximum: set it for brokers that enforce one.
    publish_inflight: int = Field(default=0, ge=0, le=65_535)
    #: Acks to gateways are gathered this long (then one message per gateway): a gateway
    #: that sends a burst gets a few acks, not one per batch. 0 = after every batch.
    #: Gateways republish after 120 s: a second here costs them nothing, and halves the
    #: acks of a burst (each a QoS 1 publish, for us and for the broker).
    ack_interval_s: float = Field(default=1.0, ge=0, le=60)
    retry_min_s: float = Field(default=0.5, gt=0)
    retry_max_s: float = Field(default=30.0, gt=0)
    #: Default: deadletter.sqlite beside the SQLite store, or in the working directory.
    dead_letter_path: Path | None = None
    #: Processes sharing the subscription (MQTT 5 only: a 3.1.1 broker has no shared
    #: subscriptions, so extra workers there stop at once and one consumes).
    workers: int = Field(default=1, ge=1, le=64)


@dataclass(slots=True)  # not frozen: a frozen one's __init__ costs ~1 us per message
class Incoming:
    mid: int
    qos: int
    topic: str
    payload: bytes
    generation: int
    arrived: float


@dataclass(slots=True)
class Stats:
    stored: int = 0
    dead: int = 0
    batches: int = 0
    retries: int = 0


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A validated batch: readings by position in the batch, and why the others are not."""

    batch: Sequence[Incoming]
    valid: dict[int, WireReading]
    reasons: dict[int, str]


class _Stopping(Exception):
    """The service was asked to stop while a batch waited for the store."""


@dataclass(slots=True)
class _Outcome:
    stored: dict[str, list[str]] = field(default_factory=dict)
    rejected: dict[str, list[Rejected]] = field(default_factory=dict)


class Collector:
    """One collector instance; `run` blocks until ``stop`` is set."""

    def __init__(
        self,
        settings: CollectorSettings,
        broker: BrokerSettings,
        store: ReadingStore,
        dead_letters: DeadLetters,
    ) -> None:
        self.settings = settings
        self.broker = broker
        self.store = store
        self.dead_letters = dead_letters
        self.stats = Stats()
        self.log = logs.get("collector")
        self._cond = threading.Condition()
        self._pending: deque[Incoming] = deque()
        self._generation = 0
        self._max_pending = 2 * max(settings.receive_maximum, settings.batch_size)
        #: Our QoS 1 publishes the broker has not confirmed yet (paho keeps each in memory).
        self._unconfirmed = 0
        self._max_unconfirmed = max(1000, settings.batch_size)
        self._stop = threading.Event()
        self.conn: Connection | None = None
        self.subscribed = threading.Event()
        self._outcome = _Outcome()
        self._outcome_since = 0.0
        #: Set for an extra worker process: it leaves when the broker speaks only 3.1.1.
        self.requires_v5 = False

    # --- paho's thread ---------------------------------------------------------

    def _on_connect(self, client: paho.Client, _u: Any, flags: Any, rc: Any, _p: Any) -> None:
        if getattr(rc, "is_failure", False):
            self.log.warning("broker_refused", reason=str(rc))
            return
        with self._cond:
            self._generation += 1
            self._pending.clear()  # unacked: the broker sends them again in this session
        assert self.conn is not None
        topic = (
            topics.shared(self.settings.group, topics.ALL_READINGS)
            if self.conn.is_v5
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

    def _publish(self, topic: str, payload: bytes) -> None:
        assert self.conn is not None
        with self._cond:
            self._unconfirmed += 1
        self.conn.client.publish(topic, payload, qos=1)

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

    # --- the service thread ----------------------------------------------------

    def start(self) -> None:
        conn = connection(
            self.broker,
            self.settings.client_id,
            persistent=True,
            session_expiry_s=self.settings.session_expiry_s,
            receive_maximum=self.settings.receive_maximum,
            client_class=BatchingClient,
        )
        conn.client.manual_ack_set(True)
        # paho sends 20 QoS 1 messages at a time by default: the gateway acks of one batch
        # (one per gateway) would queue up in memory behind them; and with any limit it
        # scans its whole outgoing queue on every PUBACK.
        conn.client.max_inflight_messages_set(self.settings.publish_inflight)
        conn.client.on_connect = self._on_connect
        conn.client.on_disconnect = self._on_disconnect
        assert isinstance(conn.client, BatchingClient)
        conn.client.on_publish_packet = self._on_packet
        conn.client.on_subscribe = self._on_subscribe
        conn.client.on_publish = self._on_publish
        self.conn = conn
        if self.requires_v5 and not conn.is_v5:
            self.log.warning(
                "extra_worker_idle", reason="MQTT 3.1.1 broker: no shared subscription"
            )
            self._stop.set()
            return
        conn.connect_async()
        self.log.info("collector_started", client_id=self.settings.client_id, v5=conn.is_v5)

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()

    def run(self) -> None:
        """Consume until `stop`; the session keeps whatever is not acknowledged.

        Pipelined: while one thread writes batch N (and then acks it), this one
        validates batch N+1, which is written only once N is done, so writes
        and acks keep the order of the batches and a store that is down stops
        everything behind it. A write mostly waits (fsync, the store server):
        validation fills that time."""
        self.start()
        inflight: Future[None] | None = None
        try:
            with ThreadPoolExecutor(1, thread_name_prefix="collector-store") as writer:
                try:
                    while not self._stop.is_set():
                        batch = self._take()
                        prepared = self._prepare(batch) if batch else None
                        if inflight is not None:
                            inflight.result()
                            inflight = None
                        if prepared is not None:
                            inflight = writer.submit(self._commit, prepared)
                        else:
                            self._flush_acks()  # nothing in flight: acks are ours
                    if inflight is not None:
                        inflight.result()
                except _Stopping:
                    pass
        finally:
            self._flush_acks(force=True)
            if self.conn is not None:
                self.conn.close()
            self.log.info("collector_stopped", stored=self.stats.stored, dead=self.stats.dead)

    def _take(self) -> list[Incoming]:
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

    def _retry(self, action: Callable[[], T]) -> T:
        """``action()``, again and again with backoff while the store is unavailable."""
        delay = self.settings.retry_min_s
        while True:
            try:
                return action()
            except StoreUnavailable as err:
                self.stats.retries += 1
                self.log.warning("store_unavailable", error=str(err), retry_in_s=round(delay, 2))
                if self._stop.wait(delay):
                    raise _Stopping from err
                delay = min(delay * 2, self.settings.retry_max_s)

    def _write(self, readings: Sequence[WireReading], payloads: Sequence[bytes]) -> dict[str, str]:
        """Write, bisecting a refused batch down to the readings the store refuses."""
        try:
            self._retry(lambda: self.store.write_batch(readings, payloads))
        except StoreError as err:
            if len(readings) == 1:
                return {readings[0].id: f"{STORE_REFUSED}: {err}"}
            half = len(readings) // 2
            return {
                **self._write(readings[:half], payloads[:half]),
                **self._write(readings[half:], payloads[half:]),
            }
        return {}

    def process(self, batch: Sequence[Incoming]) -> None:
        """Validate, store, dead-letter, then ack to gateways and to the broker."""
        self._commit(self._prepare(batch))

    def _prepare(self, batch: Sequence[Incoming]) -> _Prepared:
        """Validate every payload of ``batch`` (pure: nothing stored or acked)."""
        valid: dict[int, WireReading] = {}
        reasons: dict[int, str] = {}
        for index, item in enumerate(batch):
            try:
                valid[index] = check(item.topic, item.payload)
            except PayloadError as err:
                reasons[index] = str(err)
        return _Prepared(batch, valid, reasons)

    def _commit(self, prepared: _Prepared) -> None:
        """Store, dead-letter, then ack: the second half of `process`."""
        batch, valid, reasons = prepared.batch, prepared.valid, prepared.reasons
        unique = list({reading.id: index for index, reading in valid.items()}.values())
        readings = [valid[i] for i in unique]
        refused = self._write(readings, [batch[i].payload for i in unique]) if unique else {}
        for index, reading in list(valid.items()):
            if reading.id in refused:
                reasons[index] = refused[reading.id]
                del valid[index]
        if reasons:
            now = datetime.now(UTC)
            letters = [
                DeadLetter(
                    topic=batch[i].topic,
                    gateway=topics.gateway_of(batch[i].topic),
                    reading_id=readable_id(batch[i].payload),
                    reason=reason,
                    payload=batch[i].payload,
                    received=now,
                )
                for i, reason in reasons.items()
            ]
            self._retry(lambda: self.dead_letters.record(letters))
            self._publish_dead_letters(letters)
        self._acknowledge(batch, valid, reasons)
        self._flush_acks(force=self.settings.ack_interval_s == 0)
        self.stats.batches += 1
        self.stats.stored += len(valid)
        self.stats.dead += len(reasons)
        self.log.debug("batch", messages=len(batch), stored=len(valid), dead=len(reasons))

    def _publish_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        for letter in letters:
            self._publish(topics.DEAD_LETTER, message(letter))
            self.log.info(
                "dead_letter",
                topic=letter.topic,
                reading_id=letter.reading_id,
                # a store's own message may quote the point, values included: not in logs
                reason=STORE_REFUSED if letter.reason.startswith(STORE_REFUSED) else letter.reason,
            )

    def _flush_acks(self, *, force: bool = False) -> None:
        """Publish the gathered acks (stored already: a lost ack only costs a resend)."""
        outcome = self._outcome
        if not (outcome.stored or outcome.rejected):
            return
        if not force and time.monotonic() - self._outcome_since < self.settings.ack_interval_s:
            return
        self._outcome = _Outcome()
        for gateway in sorted(outcome.stored.keys() | outcome.rejected.keys()):
            ids = list(dict.fromkeys(outcome.stored.get(gateway, [])))
            rejected = list({r.id: r for r in outcome.rejected.get(gateway, [])}.values())
            for start in range(0, max(len(ids), 1), _IDS_PER_ACK):
                ack = Ack.model_construct(  # from validated readings: no second validation
                    ids=ids[start : start + _IDS_PER_ACK], rejected=rejected if start == 0 else []
                )
                self._publish(topics.ack(gateway), ack.encode())

    def _acknowledge(
        self, batch: Sequence[Incoming], valid: dict[int, WireReading], reasons: dict[int, str]
    ) -> None:
        outcome = self._outcome
        if not (outcome.stored or outcome.rejected):
            self._outcome_since = time.monotonic()
        stored = outcome.stored
        for index, item in enumerate(batch):
            reading = valid.get(index)
            if reading is not None:  # `check` made sure the topic names this gateway
                if (ids := stored.get(reading.gateway)) is None:
                    ids = stored[reading.gateway] = []
                ids.append(reading.id)
                continue
            gateway = topics.gateway_of(item.topic)
            if gateway is None:
                continue
            if (reading_id := readable_id(item.payload)) is not None:
                outcome.rejected.setdefault(gateway, []).append(
                    Rejected(id=reading_id, reason=reasons[index][:500])
                )
        assert self.conn is not None
        client = self.conn.client
        assert isinstance(client, BatchingClient)
        with self._cond:
            generation = self._generation
        client.ack_many([i.mid for i in batch if i.generation == generation and i.qos == 1])
