"""Pulse oximeter driver (Pulse Oximeter Service 0x1822): spot-checks, stored records, stream.

The conversation: indications on PLX Spot-check Measurement (2A5E) and the
Record Access Control Point (2A52), notifications on PLX Continuous
Measurement (2A5F), all before anything else. Then PLX Features (2A60) is
read: it says whether the oximeter keeps spot-check records, and which
status bits it reports at all (an oximeter that reports none cannot say
its signal was poor: the session notes it).

Stored spot-checks are downloaded through RACP with the machinery the
glucose meter uses (`devices.drivers.racp_link`). The Pulse Oximeter
profile's RACP knows only "all records" (PLX records carry no sequence
number), so the cursor is the device time of the newest spot-check the
gateway took: stored records at or before it are skipped, once they were
emitted. The cursor is kept as ``DeviceState.last_sequence``, in seconds
since 2000-01-01 of the device's clock (`cursor_of`), and committed only
when the oximeter answered Success: a link lost half-way keeps the old
cursor, the next session fetches again, and what was already emitted is
skipped there (and would be recognised downstream by its time-based id).
A stored record without a timestamp cannot be placed in time, nor told
from one already taken: it is skipped with a note, never dated by guess.
The driver never deletes the oximeter's memory.

The continuous stream is summarised by `devices.drivers.oximeter_stream`
(a reading per stable minute and one per desaturation), timed by the
gateway's clock; samples that come while a download is answered are
summarised too.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from devices import uuids
from devices.codecs import plx_continuous, plx_features, plx_spot_check, racp
from devices.driver import DeviceState, Matcher, Note, NoteKind
from devices.drivers.gatt import Context, offers, uuid128
from devices.drivers.oximeter_stream import StreamSummary
from devices.drivers.racp_link import DONE, RacpDriver
from devices.reading import Reading
from veille.errors import DecodeError

EPOCH = datetime(2000, 1, 1)


def cursor_of(time: datetime) -> int:
    """A device time as the integer cursor the gateway keeps (seconds since 2000-01-01)."""
    return int((time - EPOCH).total_seconds())


def time_of(cursor: int) -> datetime:
    return EPOCH + timedelta(seconds=cursor)


@dataclass(slots=True)
class _Conversation:
    """One session's own state (the driver object serves every oximeter)."""

    session: Context
    mark: int | None
    newest: int | None = None
    stream: StreamSummary = field(default_factory=StreamSummary)

    async def payload(self, char: str, payload: bytes) -> None:
        """A live payload: a spot-check taken now, or a stream sample."""
        reading = self.session.decode(char, payload)
        if reading is None:
            return
        if char == plx_continuous.UUID:
            for summary in self.stream.add(self.session.clock(), reading):
                await self.session.deliver(summary, device_timed=False)
        elif char == plx_spot_check.UUID:
            await self.session.deliver(reading)
            self.took(reading)

    def took(self, reading: Reading) -> None:
        if reading.time is not None:
            at = cursor_of(reading.time)
            self.newest = at if self.newest is None else max(self.newest, at)

    async def finish(self) -> None:
        for summary in self.stream.close():
            await self.session.deliver(summary, device_timed=False)
        if self.stream.seen:
            self.session.result.notes.append(
                Note(
                    NoteKind.SUMMARY,
                    f"{self.stream.seen} stream sample(s) summarised",
                    plx_continuous.UUID,
                )
            )


class PulseOximeterDriver(RacpDriver):
    name = "pulse_oximeter"
    description = (
        "Bluetooth SIG Pulse Oximeter Service (0x1822): spot-checks, stored records, "
        "continuous stream summarised"
    )
    matchers = (Matcher(service_uuid=uuids.PULSE_OXIMETER_SERVICE),)
    characteristics = (plx_spot_check.UUID, plx_continuous.UUID)
    subscribe = (plx_spot_check.UUID, plx_continuous.UUID, racp.UUID)

    async def features(self, session: Context) -> plx_features.Features | None:
        if not offers(session.client, plx_features.UUID):
            return None
        raw = await session.client.read_gatt_char(uuid128(plx_features.UUID))
        try:
            features = plx_features.decode(bytes(raw))
        except DecodeError as error:
            session.result.notes.append(Note(NoteKind.REJECTED, str(error), plx_features.UUID))
            return None
        if not features.status_flags:
            session.result.notes.append(
                Note(
                    NoteKind.CAPABILITY,
                    "the oximeter reports no signal or sensor status; its readings cannot "
                    "be told qualified",
                    plx_features.UUID,
                )
            )
        return features

    async def collect(self, session: Context, state: DeviceState) -> None:
        talk = _Conversation(session, state.last_sequence)
        try:
            features = await self.features(session)
            stores = features.stores_records if features is not None else True
            if stores and offers(session.client, racp.UUID):
                await self._download(talk)
            while (item := await session.inbox.next(self.idle)) is not None:
                char, payload = item
                if char != racp.UUID:
                    await talk.payload(char, payload)
        finally:
            # A link lost mid-stream still leaves what the samples so far said.
            await talk.finish()
        if talk.newest is not None and (talk.mark is None or talk.newest > talk.mark):
            session.result.state = replace(state, last_sequence=talk.newest)

    async def _download(self, talk: _Conversation) -> None:
        """Every stored spot-check after the cursor; the cursor moves only on Success."""
        session = talk.session
        if not await self._has_records(session, None, talk.payload):
            return
        await self._request(session, racp.report_all_records())
        newest = talk.mark
        broken = False  # a record we could not decode: the cursor stops before it
        while True:
            char, payload = await self._next_record(session)
            if char == racp.UUID:
                answer = racp.decode_response(payload)
                if isinstance(answer, racp.Response) and answer.code in DONE:
                    if newest is not None:
                        talk.newest = max(newest, talk.newest or newest)
                    return
                if isinstance(answer, racp.Response):
                    self._refuse(answer)
                continue
            if char != plx_spot_check.UUID:
                await talk.payload(char, payload)
                continue
            reading = session.decode(char, payload)
            if reading is None:
                broken = True
                continue
            if reading.time is None:
                session.result.notes.append(
                    Note(NoteKind.SKIPPED, "stored record without a time", char)
                )
                continue
            at = cursor_of(reading.time)
            if talk.mark is not None and at <= talk.mark:
                continue  # taken at an earlier session
            await session.deliver(reading)
            if not broken:
                newest = at if newest is None else max(newest, at)


__all__ = ["PulseOximeterDriver", "cursor_of", "time_of"]
