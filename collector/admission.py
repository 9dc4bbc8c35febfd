"""Admitting one MQTT message: a reading the store and the rules may see, or why not.

In order: size, the envelope and its topic (`collector.validate`), values
(`collector.plausibility.check_values`), the gateway's authority over the
patient and device (`collector.authority`), then times (pairing minus
storage horizon, now plus skew). Each refusal is a `Refused` naming its
category, counted per gateway for the technical contact.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from collector.authority import DbAuthority, PairingTable, refusal_reason
from collector.plausibility import PlausibilitySettings, check_values, check_window
from collector.poison import POISON_REASON
from collector.validate import check
from wire import topics
from wire.errors import PayloadError
from wire.reading import WireReading

#: A reading is under 2 KB; a body past this is refused unread (no parser sees 256 KB).
MAX_PAYLOAD = 16_384

INVALID, UNAUTHORISED, IMPLAUSIBLE = "invalid", "unauthorised", "implausible"


@dataclass(frozen=True, slots=True)
class _Bounds:
    now: datetime
    latest: datetime
    table: PairingTable
    earliest: dict[int, datetime]


class Refused(PayloadError):
    """A message that is not admitted; ``category`` is what the refusal counts are keyed on."""

    def __init__(self, message: str, category: str) -> None:
        super().__init__(message)
        self.category = category


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Admission:
    """What the collector (and the rules worker) apply to every message."""

    def __init__(
        self,
        authority: DbAuthority,
        settings: PlausibilitySettings | None = None,
        now: Callable[[], datetime] = _utc_now,
        *,
        count_refusals: bool = True,
    ) -> None:
        self.authority = authority
        self.settings = settings or PlausibilitySettings()
        self.now = now
        #: the collector counts refusals for the technical contact; the rules worker,
        #: which applies the same admission to the same messages, does not count them twice
        self.count_refusals = count_refusals
        #: earliest admissible time per pairing (by id) of the table it was computed for
        self._earliest_of: tuple[PairingTable | None, dict[int, datetime]] = (None, {})

    def ready(self) -> None:
        """Raise `StoreUnavailable` while the pairings were never read (callers retry)."""
        self.authority.table()

    def admit(self, topic: str, payload: bytes) -> WireReading:
        """The reading in ``payload`` if admitted; else raises `Refused` with the reason."""
        return self._admit_at(topic, payload, self._bounds())

    def _bounds(self) -> _Bounds:
        """What every message of one batch is judged against: read once per batch."""
        now = self.now()
        table = self.authority.table()
        if table is not self._earliest_of[0]:
            self._earliest_of = (table, {})
        latest = now + timedelta(seconds=self.settings.clock_skew_s)
        return _Bounds(now, latest, table, self._earliest_of[1])

    def _admit_at(self, topic: str, payload: bytes, bounds: _Bounds) -> WireReading:
        now = bounds.now
        try:
            return self._admit(topic, payload, bounds)
        except Refused as err:
            if self.count_refusals:
                gateway = topics.gateway_of(topic) or "?"
                self.authority.refusals.add(gateway, err.category, str(err), now)
            raise

    def _admit(self, topic: str, payload: bytes, bounds: _Bounds) -> WireReading:
        if len(payload) > MAX_PAYLOAD:
            raise Refused(
                f"payload of {len(payload)} bytes; a reading is under {MAX_PAYLOAD}", INVALID
            )
        try:
            reading = check(topic, payload)
            check_values(reading)
        except Refused:
            raise
        except PayloadError as err:
            category = IMPLAUSIBLE if str(err).startswith("implausible") else INVALID
            raise Refused(str(err), category) from err
        # an ended pairing still covers what was measured before its end (the outbox drains)
        measured, table = reading.time, bounds.table
        address = reading.device.address
        pairing = table.find(reading.gateway, reading.patient, address, measured)
        if pairing is None:
            table = self.authority.table(miss=True)
            pairing = table.find(reading.gateway, reading.patient, address, measured)
        if pairing is None:
            raise Refused(
                refusal_reason(table, reading.gateway, reading.patient, address), UNAUTHORISED
            )
        earliest = bounds.earliest.get(id(pairing))
        if earliest is None:
            horizon = timedelta(days=self.settings.storage_horizon_days)
            earliest = bounds.earliest[id(pairing)] = pairing.paired_at - horizon
        try:
            check_window(reading, latest=bounds.latest, earliest=earliest, settings=self.settings)
        except PayloadError as err:
            raise Refused(str(err), IMPLAUSIBLE) from err
        return reading

    def admit_many(
        self, messages: Sequence[tuple[str, bytes]], poison: Collection[int] = ()
    ) -> tuple[dict[int, WireReading], dict[int, str]]:
        """Readings and refusal reasons by position; ``poison`` positions are not read.

        Whatever a payload makes the parsers raise is a refusal, never an
        exception out of here: one hostile message must not stop the stream."""
        valid: dict[int, WireReading] = {}
        reasons: dict[int, str] = {}
        bounds = self._bounds()
        admit = self._admit_at
        for index, (topic, payload) in enumerate(messages):
            if index in poison:
                reasons[index] = POISON_REASON
                continue
            try:
                valid[index] = admit(topic, payload, bounds)
            except PayloadError as err:
                reasons[index] = str(err)
            except Exception as err:  # noqa: BLE001 - a hostile payload never stops the stream
                reasons[index] = f"unreadable payload ({type(err).__name__})"
        return valid, reasons
