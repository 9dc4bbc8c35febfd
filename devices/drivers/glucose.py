"""Glucose meter driver (Glucose Service 0x1808): RACP download from the high-water mark.

The conversation: notifications on Glucose Measurement (2A18) and Context
(2A34), indications on the Record Access Control Point (2A52), all before
the first request. Then "report number of stored records >= last + 1" and,
when there are some, "report stored records >= last + 1". Each measurement
is emitted once its context (same sequence number) has arrived, or when the
next measurement shows none is coming. The new high-water mark is returned
only when the meter answered Success: a link lost half-way raises
`DeviceError`, the gateway keeps the old mark, and the next session fetches
the rest again (replayed records keep their reading ids).

Record numbers are 16 bits and a meter numbers on from 0 after 65535, while
RACP filters compare the 16-bit numbers as they are. So the driver counts on
past 65535 itself: the mark and each emitted reading's ``sequence`` are the
meter's number plus 65536 per wrap (serial-number arithmetic, RFC 1982: of
the values with those 16 bits, the one nearest the numbers seen), so a
number, and so a reading id, never names two records of one meter; the
meter's own number is ``sequence % 65536``. While the meter has not wrapped,
">= last + 1" is all it takes. Once the mark reaches 65535, or has wrapped,
the meter may keep records of the previous lap numbered above the mark,
which ">=" would send again at every session; the driver asks the meter's
last record instead and fetches "within range of" mark + 1 .. last (">="
for a meter that does not answer ranges; known records are then skipped).
When the new records straddle 65535, it fetches all and skips those at or
below the mark, once. A meter whose last record is numbered *behind* the
mark was reset: its records are read again from the start and counted from
the next multiple of 65536, so they do not take the ids of the first ones.
Up to 32,767 records between two sessions are told apart; beyond that no
16-bit number can say which lap a record belongs to, nor can a gateway that
lost its mark after a wrap.

A control-solution test carries the flag ``control_solution``: it checks
the meter and strips, it is not the patient's glucose.
"""

from __future__ import annotations

from dataclasses import replace
from enum import Enum

from devices import uuids
from devices.codecs import glucose, glucose_context, racp
from devices.codecs.glucose_context import join_context
from devices.driver import DeviceState, Matcher, Note, NoteKind
from devices.drivers.gatt import Context, uuid128
from devices.drivers.racp_link import RacpDriver
from devices.reading import Reading
from veille.errors import DecodeError, DeviceError

_CONTROL = "control_solution"
#: Record numbers are 16 bits; a meter numbers on from 0 after 65535.
WRAP_MASK = 0xFFFF
#: Answers of a meter that cannot count records "within range of": use ">=" instead.
_NO_RANGE = frozenset(
    {
        racp.ResponseCode.OP_CODE_NOT_SUPPORTED,
        racp.ResponseCode.OPERATOR_NOT_SUPPORTED,
        racp.ResponseCode.INVALID_OPERATOR,
        racp.ResponseCode.OPERAND_NOT_SUPPORTED,
    }
)


class _Last(Enum):
    CANNOT_TELL = "the meter does not support asking for its last record"


def unwrap(number: int, reference: int | None) -> int:
    """The 16-bit record ``number`` counted on past 65535: of all the values with
    those 16 bits, the one nearest ``reference`` (the numbers seen so far)."""
    if reference is None:
        return number
    counted = reference + ((number - reference + 0x8000) & WRAP_MASK) - 0x8000
    return counted if counted >= 0 else number


def mark_control_solution(reading: Reading) -> Reading:
    """Flag a control-solution record so it can never pass for the patient's glucose."""
    attributes = reading.attributes
    if _CONTROL in (attributes.get("sample_type"), attributes.get("sample_location")):
        return replace(reading, flags=(*reading.flags, _CONTROL))
    return reading


class GlucoseDriver(RacpDriver):
    name = "glucose"
    description = "Bluetooth SIG Glucose Service (0x1808), RACP download from the last record"
    matchers = (Matcher(service_uuid=uuids.GLUCOSE_SERVICE),)
    characteristics = (glucose.UUID, glucose_context.UUID)
    subscribe = (glucose.UUID, glucose_context.UUID, racp.UUID)

    async def collect(self, session: Context, state: DeviceState) -> None:
        mark = state.last_sequence
        request, mark = await self._plan(session, mark)
        if request is None:
            return
        high = await self._fetch(session, request, mark)
        if high is not None and high != mark and high & WRAP_MASK == WRAP_MASK:
            # The download ended at 65535: the meter may have numbered on from 0 since.
            request, _ = await self._plan(session, high)
            if request is not None:
                high = await self._fetch(session, request, high)
        session.result.state = replace(state, last_sequence=high)

    async def _plan(self, session: Context, mark: int | None) -> tuple[bytes | None, int | None]:
        """The request that fetches the records after ``mark`` (``None``: there are none),
        and the mark to count them from (moved on after a reset)."""
        if mark is None:
            has = await self._has_records(session, None)
            return (racp.report_all_records() if has else None), None
        start = (mark + 1) & WRAP_MASK
        if start != 0 and mark <= WRAP_MASK and await self._has_records(session, start):
            # First lap: only records after the mark can be numbered above it.
            return racp.report_records_from(start), mark
        # After a wrap the meter may still keep records of the lap before numbered above
        # the mark, and ">=" would send them all again: ask for the newest one instead.
        last = await self._last_number(session)
        if last is _Last.CANNOT_TELL:
            if start == 0:
                return racp.report_all_records(), mark  # ">= 0" is every record anyway
            if mark > WRAP_MASK and await self._has_records(session, start):
                return racp.report_records_from(start), mark  # known ones are skipped
            return None, mark
        if last is None or last == mark & WRAP_MASK:
            return None, mark
        if unwrap(last, mark) < mark:
            session.result.notes.append(
                Note(
                    NoteKind.RESYNC,
                    "the meter's record numbers restarted below the high-water mark "
                    "(reset or replaced); fetching all its records",
                    racp.UUID,
                )
            )
            return racp.report_all_records(), mark | WRAP_MASK
        if last < start:
            session.result.notes.append(
                Note(
                    NoteKind.RESYNC,
                    "the meter's record numbers went past 65535 and start again from 0; "
                    "fetching all its records, those already had are skipped",
                    racp.UUID,
                )
            )
            return racp.report_all_records(), mark
        return await self._range(session, start, last), mark

    async def _range(self, session: Context, first: int, last: int) -> bytes | None:
        """The request for records ``first..last``: "within range of" where the meter
        answers it, else "greater than or equal to" (known records are then skipped)."""
        answer = await self._racp(session, racp.report_number_of_records_within(first, last))
        if isinstance(answer, racp.NumberOfRecords):
            return racp.report_records_within(first, last) if answer.count else None
        if answer.code is racp.ResponseCode.NO_RECORDS_FOUND:
            return None
        if answer.code not in _NO_RANGE:
            self._refuse(answer)
        return racp.report_records_from(first) if first else racp.report_all_records()

    async def _fetch(self, session: Context, request: bytes, mark: int | None) -> int | None:
        await session.client.write_gatt_char(uuid128(racp.UUID), request, response=True)
        return await self._download(session, mark)

    async def _last_number(self, session: Context) -> int | _Last | None:
        """The meter's number (16 bits) of its newest record; ``None`` when it keeps none,
        ``CANNOT_TELL`` when it does not support asking.

        Without this a reset or wrapped meter would answer "no records >= mark" forever.
        """
        request = bytes((racp.OpCode.REPORT_STORED_RECORDS, racp.Operator.LAST_RECORD))
        await session.client.write_gatt_char(uuid128(racp.UUID), request, response=True)
        last: int | None = None
        while (item := await session.inbox.next(self.timeout)) is not None:
            char, payload = item
            if char == racp.UUID:
                answer = racp.decode_response(payload)
                if isinstance(answer, racp.NumberOfRecords):
                    continue
                if answer.code in (racp.ResponseCode.SUCCESS, racp.ResponseCode.NO_RECORDS_FOUND):
                    return last
                if answer.code in (
                    racp.ResponseCode.OPERATOR_NOT_SUPPORTED,
                    racp.ResponseCode.OP_CODE_NOT_SUPPORTED,
                ):
                    return _Last.CANNOT_TELL
                self._refuse(answer)
            elif char == glucose.UUID:
                reading = session.decode(char, payload)
                if reading is not None:
                    last = reading.sequence
        raise self._silence(session)

    async def _download(self, session: Context, mark: int | None) -> int | None:
        """Emit the records the meter sends after ``mark``; the new mark once it says Success."""
        pending: Reading | None = None
        high = mark
        newest = mark  # the highest number seen: 16-bit numbers are counted on from it
        broken = False  # a record we could not decode: the mark stops before it

        async def release() -> None:
            nonlocal pending
            if pending is not None:
                await session.deliver(mark_control_solution(pending))
                pending = None

        while True:
            char, payload = await self._next_record(session)
            if char == racp.UUID:
                answer = racp.decode_response(payload)
                await release()
                if isinstance(answer, racp.NumberOfRecords):
                    raise DeviceError(
                        f"{self.name}: a record count came in the middle of a download"
                    )
                if answer.code in (racp.ResponseCode.SUCCESS, racp.ResponseCode.NO_RECORDS_FOUND):
                    return high
                self._refuse(answer)
            reading = session.decode(char, payload)
            if reading is None:
                broken = True
                continue
            if reading.sequence is None:
                session.result.notes.append(Note(NoteKind.SKIPPED, "record without a number", char))
                continue
            number = unwrap(reading.sequence, newest)
            if mark is not None and number <= mark:
                session.result.notes.append(
                    Note(NoteKind.SKIPPED, "record the gateway already has", char)
                )
                continue
            reading = replace(reading, sequence=number)
            newest = number if newest is None else max(newest, number)
            if char == glucose_context.UUID:
                if pending is not None and pending.sequence == reading.sequence:
                    try:
                        pending = join_context(pending, reading)
                    except DecodeError as error:
                        session.result.notes.append(Note(NoteKind.REJECTED, str(error), char))
                    await release()
                else:
                    session.result.notes.append(
                        Note(NoteKind.UNPAIRED, "context without its measurement", char)
                    )
                continue
            await release()
            pending = reading
            if not reading.attributes.get("context_follows"):
                await release()
            if not broken:
                high = number if high is None else max(high, number)
