"""Where a driver's readings land: the outbox under the paired patient, or the quarantine.

This is the ``emit`` a driver session calls. It returns once the reading is
durable (outbox or quarantine written with fsync), so a session that the
link or a `kill -9` interrupts loses nothing it already handed over.
`OutboxFull` propagates out of the session on purpose: the session then
fails, the glucose high-water mark is not committed, and the records stay
on the device for a later session.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from devices.envelope import envelope, reading_id
from devices.reading import Reading
from gateway.outbox import Outbox
from gateway.pairing import GatewayStore, Remembered
from gateway.timing import wire_time
from veille import logs
from wire import topics
from wire.reading import DeviceRef

log = logs.get("gateway.intake")


@dataclass(slots=True)
class IntakeCounters:
    taken: int = 0
    repeated: int = 0
    quarantined: int = 0


class Intake:
    """Turns device readings into outbox rows for one gateway."""

    def __init__(
        self,
        gateway_id: str,
        zone: ZoneInfo,
        store: GatewayStore,
        outbox: Outbox,
        offer: Callable[[str, float], None],
        now: Callable[[], datetime],
        forget: Callable[[str], None] = lambda _id: None,
    ) -> None:
        self.gateway_id = gateway_id
        self.zone = zone
        self.store = store
        self.outbox = outbox
        self.offer = offer
        self.forget = forget
        self.now = now
        self.counters = IntakeCounters()

    async def take(self, reading: Reading, address: str, driver: str, memory: Remembered) -> None:
        """Keep one reading durably; returns when it is on disk."""
        started = time.monotonic()
        received = self.now()
        patient, why = self.store.patient_for(address, reading.user_index)
        if patient is None:
            ident = reading_id(
                address,
                reading.kind,
                sequence=reading.sequence,
                device_time=reading.time,
                user_index=reading.user_index,
                fallback=received,
            )
            kept = await asyncio.to_thread(
                self.store.quarantine,
                ident,
                address,
                driver,
                reading.user_index,
                why,
                reading.as_decoded(),
            )
            if kept:
                self.counters.quarantined += 1
                log.warning("reading_quarantined", reading=ident, device=address, reason=why)
            return
        measured, flags = wire_time(reading, received, self.zone)
        if flags != reading.flags:
            reading = replace(reading, flags=flags)
        wire = envelope(
            reading,
            patient=patient,
            gateway=self.gateway_id,
            device=DeviceRef(
                address=address, driver=driver, model=memory.model, serial=memory.serial
            ),
            time=measured,
            received=received,
        )
        topic = topics.reading(self.gateway_id, wire.kind.value)
        # announced first, so a publish that beats this coroutine back is still timed
        self.offer(wire.id, started)
        added = await asyncio.to_thread(self.outbox.add, wire.id, topic, wire.encode())
        if added:
            self.counters.taken += 1
            self.offer(wire.id, started)  # it is on disk now: publish it
        else:
            self.forget(wire.id)
            self.counters.repeated += 1
            log.info("reading_already_known", reading=wire.id, device=address)
