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

A control-solution test carries the flag ``control_solution``: it checks
the meter and strips, it is not the patient's glucose.
"""

from __future__ import annotations

from dataclasses import replace

from bleak.exc import BleakError

from devices.codecs import glucose, glucose_context, racp
from devices.codecs.glucose_context import join_context
from devices.driver import DeviceState, Matcher
from devices.drivers.gatt import Context, GattDriver, uuid128
from devices.reading import Reading
from veille.errors import DecodeError, DeviceError

_CONTROL = "control_solution"


def mark_control_solution(reading: Reading) -> Reading:
    """Flag a control-solution record so it can never pass for the patient's glucose."""
    attributes = reading.attributes
    if _CONTROL in (attributes.get("sample_type"), attributes.get("sample_location")):
        return replace(reading, flags=(*reading.flags, _CONTROL))
    return reading


class GlucoseDriver(GattDriver):
    name = "glucose"
    description = "Bluetooth SIG Glucose Service (0x1808), RACP download from the last record"
    matchers = (Matcher(service_uuid="1808"),)
    characteristics = (glucose.UUID, glucose_context.UUID)
    subscribe = (glucose.UUID, glucose_context.UUID, racp.UUID)

    async def _racp(self, session: Context, request: bytes) -> racp.NumberOfRecords | racp.Response:
        await session.client.write_gatt_char(uuid128(racp.UUID), request, response=True)
        while (item := await session.inbox.next(self.timeout)) is not None:
            char, payload = item
            if char == racp.UUID:
                return racp.decode_response(payload)
        raise self._silence(session)

    def _silence(self, session: Context) -> DeviceError:
        if not session.client.is_connected:
            return DeviceError(
                f"{self.name}: link lost during the download after {session.result.readings} "
                "record(s); the high-water mark stays where it was"
            )
        return DeviceError(f"{self.name}: the meter stopped answering for {self.timeout} s")

    async def collect(self, session: Context, state: DeviceState) -> None:
        start = None if state.last_sequence is None else (state.last_sequence + 1) & 0xFFFF
        if not await self._has_records(session, start):
            if start is None or not await self._restarted(session, state):
                return
            session.result.notes.append(
                "2A52: the meter's record numbers restarted below the high-water mark "
                "(reset or replaced); fetching all its records"
            )
            start, state = None, replace(state, last_sequence=None)
        request = racp.report_all_records() if start is None else racp.report_records_from(start)
        await session.client.write_gatt_char(uuid128(racp.UUID), request, response=True)
        high = await self._download(session, state, start)
        session.result.state = replace(state, last_sequence=high)

    async def _has_records(self, session: Context, start: int | None) -> bool:
        answer = await self._racp(session, racp.report_number_of_records(start))
        if isinstance(answer, racp.NumberOfRecords):
            return answer.count > 0
        if answer.code is racp.ResponseCode.NO_RECORDS_FOUND:
            return False
        if answer.code is not racp.ResponseCode.OP_CODE_NOT_SUPPORTED:
            self._refuse(answer)
        return True  # a meter that cannot count may still report: ask

    async def _restarted(self, session: Context, state: DeviceState) -> bool:
        """Whether the meter's last record is numbered below our mark (memory reset, new meter).

        Without this check a reset meter would answer "no records >= mark" forever.
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
                    break
                if answer.code in (
                    racp.ResponseCode.OPERATOR_NOT_SUPPORTED,
                    racp.ResponseCode.OP_CODE_NOT_SUPPORTED,
                ):
                    return False  # this meter cannot tell; keep the mark
                self._refuse(answer)
            elif char == glucose.UUID:
                reading = session.decode(char, payload)
                if reading is not None:
                    last = reading.sequence
        else:
            raise self._silence(session)
        mark = state.last_sequence
        return last is not None and mark is not None and last < mark

    def _refuse(self, answer: racp.Response) -> None:
        raise DeviceError(
            f"{self.name}: the meter answered {answer.code.label} to RACP op code "
            f"{answer.request_op_code}"
        )

    async def _download(
        self, session: Context, state: DeviceState, start: int | None
    ) -> int | None:
        pending: Reading | None = None
        high = state.last_sequence
        broken = False  # a record we could not decode: the mark stops before it

        async def release() -> None:
            nonlocal pending
            if pending is not None:
                await session.deliver(mark_control_solution(pending))
                pending = None

        while True:
            item = await session.inbox.next(self.timeout)
            if item is None:
                await self._abort(session)
                raise self._silence(session)
            char, payload = item
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
            if reading.sequence is None or (start is not None and reading.sequence < start):
                session.result.notes.append(f"{char}: record the gateway already has, skipped")
                continue
            if char == glucose_context.UUID:
                if pending is not None and pending.sequence == reading.sequence:
                    try:
                        pending = join_context(pending, reading)
                    except DecodeError as error:
                        session.result.notes.append(f"{char}: rejected: {error}")
                    await release()
                else:
                    session.result.notes.append(f"{char}: context without its measurement")
                continue
            await release()
            pending = reading
            if not reading.attributes.get("context_follows"):
                await release()
            if not broken:
                high = reading.sequence

    async def _abort(self, session: Context) -> None:
        """Ask the meter to stop a transfer that went silent (it may be gone already)."""
        if session.client.is_connected:
            try:
                await session.client.write_gatt_char(
                    uuid128(racp.UUID), racp.abort_operation(), response=True
                )
            except BleakError as error:
                session.result.notes.append(f"2A52: abort failed: {error}")
