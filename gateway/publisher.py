"""From the outbox to the broker: QoS 1 publishes, PUBACK reason codes, collector acks, status.

paho calls a publish refused by an MQTT 5 broker (PUBACK reason 0x80 or
above, e.g. 0x87 not authorised) "published" like any other; here it is a
failure: the reading stays in the outbox with the reason, the heartbeat counts
it, and it is tried again after the republish timeout. A row leaves the outbox
only on the collector's ack. The session is persistent (clean start off,
session expiry a week), so acks sent while the gateway was away still arrive.

Threads: paho's network thread runs the callbacks; the asyncio thread runs
`pump`. The mid -> reading map is guarded by a small lock that is never held
while calling paho (paho holds its own mutex while calling ``on_publish``).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as paho

from gateway.outbox import Outbox
from gateway.settings import GatewaySettings
from veille import logs
from veille.errors import NotReady, VeilleError
from veille.mqtt import BrokerSettings, BrokerUnavailable, Connection, Will, connection
from wire import topics
from wire.ack import Ack
from wire.errors import PayloadError
from wire.status import OFFLINE, Status

log = logs.get("gateway.publisher")


def _failed(reason_code: Any) -> bool:
    """True for an MQTT 5 reason code >= 0x80 (paho 2 passes a ReasonCode, 3.1.1 an int 0)."""
    if hasattr(reason_code, "is_failure"):
        return bool(reason_code.is_failure)
    return bool(reason_code)


@dataclass(slots=True)
class Counters:
    """What happened since start, for the heartbeat and the logs."""

    published: int = 0
    refused: int = 0
    acked: int = 0
    rejected: int = 0
    bad_acks: int = 0
    last_refusal: str | None = None
    latencies_ms: deque[float] = field(default_factory=lambda: deque(maxlen=1000))

    def latency(self) -> dict[str, float | int | None]:
        values = sorted(self.latencies_ms)
        if not values:
            return {"n": 0, "p50": None, "p99": None}
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        return {"n": len(values), "p50": round(statistics.median(values), 2), "p99": round(p99, 2)}


def _no_delay(_client: paho.Client, _userdata: Any, sock: Any) -> None:
    """Turn Nagle off: paho does not, and a burst of small PUBLISH packets otherwise
    waits for the broker's delayed TCP ACK (40 ms on Linux) -- measured in the bench."""
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Publisher:
    """Publishes outbox rows, reads acks, keeps the retained status topic."""

    def __init__(
        self,
        settings: GatewaySettings,
        broker: BrokerSettings,
        outbox: Outbox,
        status: Callable[[], Status],
    ) -> None:
        self.settings = settings
        self.broker = broker
        self.outbox = outbox
        self.status = status
        self.counters = Counters()
        self.conn: Connection | None = None
        self._lock = threading.Lock()
        self._inflight: dict[int, str | None] = {}  # mid -> reading id (None: status)
        self._early: dict[int, tuple[Any, float]] = {}  # PUBACKs that beat publish()
        self._fresh: dict[str, float] = {}  # reading id -> monotonic time received
        self._settled: list[tuple[str, Any, float]] = []  # PUBACKs not yet written down
        self._acks: list[Ack] = []  # collector acks not yet applied
        self._connected = threading.Event()
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tokens = settings.republish_per_s
        self._refill = time.monotonic()

    # --- lifecycle ----------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def connect(self) -> None:
        """Negotiate the protocol and connect in the background, retrying while the
        broker is away (readings keep going to the outbox meanwhile)."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        delay = 1.0
        while self.conn is None:
            try:
                self.conn = await asyncio.to_thread(self._make_connection)
            except BrokerUnavailable as err:
                log.warning("broker_unreachable", error=str(err), retry_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
        self.conn.connect_async()

    def _make_connection(self) -> Connection:
        gw = self.settings.id
        conn = connection(
            self.broker,
            f"veille-gw-{gw}",
            persistent=True,
            will=Will(topics.status(gw), OFFLINE.encode(), retain=True, qos=1),
        )
        client = conn.client
        client.max_inflight_messages_set(self.settings.max_inflight)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        client.on_socket_open = _no_delay
        log.info("broker_protocol", mqtt5=conn.is_v5, host=conn.host, port=conn.port)
        return conn

    def close(self) -> None:
        """Say offline (retained) and disconnect cleanly."""
        if self.conn is None:
            return
        if self.connected:
            info = self.conn.client.publish(
                topics.status(self.settings.id), OFFLINE.encode(), 1, True
            )
            try:
                info.wait_for_publish(2.0)
            except (RuntimeError, ValueError):
                log.warning("offline_status_not_sent")
        self.conn.close()

    # --- paho callbacks (network thread) ------------------------------------

    def _on_connect(self, client: paho.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if _failed(rc):
            log.error("broker_refused_connection", reason=str(rc))
            return
        client.subscribe(topics.ack(self.settings.id), qos=1)
        self._connected.set()
        log.info("broker_connected")
        self.publish_status()
        self._poke()

    def _on_disconnect(self, _c: paho.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        self._connected.clear()
        if _failed(rc):
            log.warning("broker_disconnected", reason=str(rc))
        else:  # our own clean close (the demo's stop, a service restart)
            log.info("broker_disconnected", reason=str(rc))

    def _on_publish(self, _c: paho.Client, _u: Any, mid: int, rc: Any, _p: Any) -> None:
        at = time.monotonic()
        with self._lock:
            if mid not in self._inflight:
                self._early[mid] = (rc, at)
                return
            reading = self._inflight.pop(mid)
        self._settle(reading, rc, at)

    def _settle(self, reading: str | None, rc: Any, at: float) -> None:
        """Note a PUBACK; the outbox is written by `pump`, never in paho's thread (an
        fsync there would hold every other PUBACK back)."""
        if reading is None:
            if _failed(rc):
                log.error("status_refused", reason=str(rc))
            return
        with self._lock:
            self._settled.append((reading, rc, at))
        self._poke()

    def _on_message(self, _c: paho.Client, _u: Any, message: paho.MQTTMessage) -> None:
        try:
            ack = Ack.decode(message.payload)
        except PayloadError as err:
            self.counters.bad_acks += 1
            log.error("bad_ack", topic=message.topic, error=str(err))
            return
        with self._lock:
            self._acks.append(ack)
        self._poke()

    # --- bookkeeping (asyncio thread, outbox writes in a worker thread) ----------

    def _take_settled(self) -> tuple[list[str], list[tuple[str, str]], list[Ack]]:
        with self._lock:
            settled, self._settled = self._settled, []
            acks, self._acks = self._acks, []
            timed = [(r, self._fresh.pop(r, None)) for r, _rc, _at in settled]
        published: list[str] = []
        refused: list[tuple[str, str]] = []
        for (reading, rc, at), (_r, started) in zip(settled, timed, strict=True):
            if _failed(rc):
                reason = f"broker refused publish: {rc} (0x{int(getattr(rc, 'value', rc)):02X})"
                refused.append((reading, reason))
                self.counters.refused += 1
                self.counters.last_refusal = reason
                log.error("publish_refused", reading=reading, reason=str(rc))
                continue
            published.append(reading)
            self.counters.published += 1
            if started is not None:
                latency = (at - started) * 1000
                self.counters.latencies_ms.append(latency)
                log.info("reading_published", reading=reading, latency_ms=round(latency, 2))
        return published, refused, acks

    def _write_down(
        self, published: list[str], refused: list[tuple[str, str]], acks: list[Ack]
    ) -> None:
        """One batch of bookkeeping; every ack received meanwhile in one transaction."""
        try:
            self.outbox.mark_published(published)
            for reading, reason in refused:
                self.outbox.mark_refused(reading, reason)
            removed = self.outbox.acknowledge([i for ack in acks for i in ack.ids])
            self.counters.acked += removed
            if removed:
                log.info("readings_acked", count=removed)
            for item in (item for ack in acks for item in ack.rejected):
                if self.outbox.set_aside(item.id, item.reason):
                    self.counters.rejected += 1
                    log.error("reading_rejected_by_collector", reading=item.id, reason=item.reason)
        except VeilleError as err:
            log.error("outbox_write_failed", error=str(err))

    async def settle(self) -> None:
        """Write PUBACKs and collector acks down in the outbox."""
        while True:
            published, refused, acks = self._take_settled()
            if not (published or refused or acks):
                return
            await asyncio.to_thread(self._write_down, published, refused, acks)

    # --- publishing (asyncio thread) -----------------------------------------

    def _poke(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    def forget(self, reading_id: str) -> None:
        """A reading announced with `offer` was not new after all: do not time it."""
        with self._lock:
            self._fresh.pop(reading_id, None)

    def offer(self, reading_id: str, received_monotonic: float) -> None:
        """A new reading is in the outbox: publish it now (latency counts from receipt)."""
        with self._lock:
            self._fresh[reading_id] = received_monotonic
            if len(self._fresh) > 10_000:  # a long broker outage: stop timing the oldest
                self._fresh.pop(next(iter(self._fresh)))
        if self._wake is not None:
            self._wake.set()

    def _publish(self, topic: str, payload: bytes, retain: bool, reading: str | None) -> None:
        if self.conn is None:
            raise NotReady("publisher: connect() first")
        info = self.conn.client.publish(topic, payload, qos=1, retain=retain)
        with self._lock:
            early = self._early.pop(info.mid, None)
            if early is None:
                self._inflight[info.mid] = reading
        if early is not None:
            self._settle(reading, early[0], early[1])

    def publish_status(self) -> None:
        """The retained status with heartbeat data (online while we are connected)."""
        if self.conn is None or not self.connected:
            return
        self._publish(topics.status(self.settings.id), self.status().encode(), True, None)

    def inflight_readings(self) -> set[str]:
        with self._lock:
            return {r for r in self._inflight.values() if r is not None}

    def _take_tokens(self) -> None:
        now = time.monotonic()
        rate = self.settings.republish_per_s
        self._tokens = min(rate, self._tokens + (now - self._refill) * rate)
        self._refill = now

    def publish_due(self) -> int:
        """Publish what is due: new readings at once, republishes at the bounded rate."""
        if self.conn is None or not self.connected:
            return 0
        inflight = self.inflight_readings()
        room = self.settings.max_inflight - len(inflight)
        if room <= 0:
            return 0
        rows = self.outbox.due(
            older_than_s=self.settings.republish_after_s, limit=room, exclude=inflight
        )
        self._take_tokens()
        sent: list[str] = []
        for row in rows:
            if row.attempts > 0:
                if self._tokens < 1:
                    continue
                self._tokens -= 1
            self._publish(row.topic, row.payload, False, row.id)
            sent.append(row.id)
        if sent:
            self.outbox.mark_sent(sent)
        with self._lock:  # PUBACKs for mids we never mapped (should not happen)
            stale = [m for m, (_rc, at) in self._early.items() if time.monotonic() - at > 60]
            for mid in stale:
                del self._early[mid]
        return len(sent)

    async def pump(self) -> None:
        """Forever: publish due rows when woken or every second (republish timer)."""
        wake = self._wake
        if wake is None:
            raise NotReady("publisher: connect() first")
        settling: asyncio.Task[None] | None = None
        try:
            while True:
                wake.clear()
                self.publish_due()
                # bookkeeping runs beside publishing: its fsyncs never hold a reading back
                if settling is None or settling.done():
                    settling = asyncio.create_task(self.settle())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=1.0)
        finally:
            if settling is not None:
                await asyncio.shield(settling)
