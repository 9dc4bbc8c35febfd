"""The collector service: MQTT readings in, batched idempotent writes, acks out.

The MQTT session (`collector.session`) queues what arrives and hands out
batches; this module validates each batch, writes it to the store and
dead-letters the invalid readings. Only then does it publish the
`veille.ack/1` to each gateway and acknowledge the MQTT messages.

When the store is down nothing is acknowledged: the broker keeps the messages
in our persistent session and stops sending once the in-flight window is
full, so memory stays bounded; the batch is retried with backoff and the
stream resumes where it stopped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from collector.admission import Admission
from collector.deadletter import DeadLetter, DeadLetters, message, readable_id
from collector.poison import PoisonJournal, digest
from collector.session import Incoming, Session
from collector.settings import CollectorSettings
from collector.store import ReadingStore
from veille import logs
from veille.errors import StoreError, StoreUnavailable
from veille.mqtt import BrokerSettings, Connection
from wire import topics
from wire.ack import Ack, Rejected
from wire.reading import WireReading

__all__ = ["Collector", "CollectorSettings", "Incoming", "Stats"]

T = TypeVar("T")

_IDS_PER_ACK = 1000
STORE_REFUSED = "store refused it"


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
    #: the poison journal's entry for this batch, ended once it is acknowledged
    entry: int | None = None


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
        admission: Admission,
        journal: PoisonJournal | None = None,
    ) -> None:
        self.settings = settings
        self.broker = broker
        self.store = store
        self.dead_letters = dead_letters
        self.admission = admission
        self.journal = journal
        self.stats = Stats()
        self.log = logs.get("collector")
        self._stop = threading.Event()
        self.session = Session(settings, broker, self._stop, self.log)
        self._outcome = _Outcome()
        self._outcome_since = 0.0
        #: Set for an extra worker process: it leaves when the broker speaks only 3.1.1.
        self.requires_v5 = False

    @property
    def conn(self) -> Connection | None:
        return self.session.conn

    @property
    def subscribed(self) -> threading.Event:
        return self.session.subscribed

    # --- the service thread ----------------------------------------------------

    def start(self) -> None:
        conn = self.session.open()
        if self.requires_v5 and not conn.is_v5:
            self.log.warning(
                "extra_worker_idle", reason="MQTT 3.1.1 broker: no shared subscription"
            )
            self._stop.set()
            return
        self.session.connect()
        self.log.info("collector_started", client_id=self.settings.client_id, v5=conn.is_v5)

    def stop(self) -> None:
        self._stop.set()
        self.session.wake()

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
                        batch = self.session.take()
                        digests = self._digests(batch)
                        if digests and self.journal is not None and self.journal.has_suspects:
                            if inflight is not None:  # suspects go alone, after what is in flight
                                inflight.result()
                                inflight = None
                            batch, digests = self._suspects_alone(batch, digests)
                        prepared = self._prepare(batch, digests) if batch else None
                        if inflight is not None:
                            inflight.result()
                            inflight = None
                        if prepared is not None:
                            inflight = writer.submit(self._commit, prepared)
                        else:
                            self._flush_acks()  # nothing in flight: acks are ours
                            self._retry(self.admission.ready)  # pairings, refusal counts
                    if inflight is not None:
                        inflight.result()
                except _Stopping:
                    pass
        finally:
            self._flush_acks(force=True)
            self.session.close()
            self.log.info("collector_stopped", stored=self.stats.stored, dead=self.stats.dead)

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
        self._commit(self._prepare(batch, self._digests(batch)))

    def _digests(self, batch: Sequence[Incoming]) -> list[bytes]:
        return [] if self.journal is None else [digest(i.topic, i.payload) for i in batch]

    def _suspects_alone(
        self, batch: list[Incoming], digests: list[bytes]
    ) -> tuple[list[Incoming], list[bytes]]:
        """Handle alone each message of a batch in flight when this process died
        (`collector.poison`); the rest of ``batch`` is returned."""
        journal = self.journal
        if journal is None:
            return batch, digests
        alone = journal.judge(digests).suspect
        for i in sorted(alone):
            entry = journal.begin([digests[i]], alone=True)
            self._commit(self._prepare([batch[i]], [], entry=entry), cleared=[digests[i]])
        keep = [i for i in range(len(batch)) if i not in alone]
        return [batch[i] for i in keep], [digests[i] for i in keep]

    def _prepare(
        self, batch: Sequence[Incoming], digests: Sequence[bytes], entry: int | None = None
    ) -> _Prepared:
        """Admit or refuse every payload of ``batch`` (nothing stored or acked yet)."""
        journal, poison = self.journal, frozenset[int]()
        if journal is not None and digests:
            poison = journal.judge(digests).poison
            entry = self._retry(lambda: journal.begin(digests))
        self._retry(self.admission.ready)
        messages = [(item.topic, item.payload) for item in batch]
        valid, reasons = self.admission.admit_many(messages, poison)
        return _Prepared(batch, valid, reasons, entry)

    def _commit(self, prepared: _Prepared, cleared: Sequence[bytes] = ()) -> None:
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
        if prepared.entry is not None and self.journal is not None:
            entry, journal = prepared.entry, self.journal
            self._retry(lambda: journal.end(entry, cleared))
        self._flush_acks(force=self.settings.ack_interval_s == 0)
        self.stats.batches += 1
        self.stats.stored += len(valid)
        self.stats.dead += len(reasons)
        self.log.debug("batch", messages=len(batch), stored=len(valid), dead=len(reasons))

    def _publish_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        for letter in letters:
            self.session.publish(topics.DEAD_LETTER, message(letter))
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
                self.session.publish(topics.ack(gateway), ack.encode())

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
        self.session.ack(batch)
