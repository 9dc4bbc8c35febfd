"""The Record Access Control Point conversation every record-keeping device shares.

Glucose meters and pulse oximeters both keep records and hand them over
through RACP (0x2A52): write a request, wait for the indicated answer,
treat silence or a lost link as a failed session (the gateway then keeps
its download cursor where it was), ask a device that goes quiet mid-transfer
to abort. `RacpDriver` holds that once; each family says what a record is
and where its cursor stands (`devices.drivers.glucose`, `devices.drivers.oximeter`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bleak.exc import BleakError

from devices.codecs import racp
from devices.driver import Note, NoteKind
from devices.drivers.gatt import Context, GattDriver, uuid128
from veille.errors import DeviceError

#: Where a payload that is not the RACP answer goes while the driver waits for one.
Meanwhile = Callable[[str, bytes], Awaitable[None]]
#: Answers that end a transfer normally.
DONE = frozenset({racp.ResponseCode.SUCCESS, racp.ResponseCode.NO_RECORDS_FOUND})


class RacpDriver(GattDriver):
    """A `GattDriver` that downloads records through RACP."""

    async def _racp(
        self, session: Context, request: bytes, meanwhile: Meanwhile | None = None
    ) -> racp.NumberOfRecords | racp.Response:
        """Write ``request`` and return the device's RACP answer; other payloads that come
        meanwhile go to ``meanwhile`` (an oximeter streams while it answers), or are dropped."""
        await self._request(session, request)
        while (item := await session.inbox.next(self.timeout)) is not None:
            char, payload = item
            if char == racp.UUID:
                return racp.decode_response(payload)
            if meanwhile is not None:
                await meanwhile(char, payload)
        raise self._silence(session)

    async def _request(self, session: Context, request: bytes) -> None:
        await session.client.write_gatt_char(uuid128(racp.UUID), request, response=True)

    def _silence(self, session: Context) -> DeviceError:
        if not session.client.is_connected:
            return DeviceError(
                f"{self.name}: link lost during the download after {session.result.readings} "
                "record(s); the high-water mark stays where it was"
            )
        return DeviceError(f"{self.name}: the device stopped answering for {self.timeout} s")

    async def _next_record(self, session: Context) -> tuple[str, bytes]:
        """The next payload of a download; silence aborts the transfer and fails the session."""
        item = await session.inbox.next(self.timeout)
        if item is None:
            await self._abort(session)
            raise self._silence(session)
        return item

    async def _has_records(
        self, session: Context, start: int | None, meanwhile: Meanwhile | None = None
    ) -> bool:
        answer = await self._racp(session, racp.report_number_of_records(start), meanwhile)
        if isinstance(answer, racp.NumberOfRecords):
            return answer.count > 0
        if answer.code is racp.ResponseCode.NO_RECORDS_FOUND:
            return False
        if answer.code is not racp.ResponseCode.OP_CODE_NOT_SUPPORTED:
            self._refuse(answer)
        return True  # a device that cannot count may still report: ask

    def _refuse(self, answer: racp.Response) -> None:
        raise DeviceError(
            f"{self.name}: the device answered {answer.code.label} to RACP op code "
            f"{answer.request_op_code}"
        )

    async def _abort(self, session: Context) -> None:
        """Ask the device to stop a transfer that went silent (it may be gone already)."""
        if session.client.is_connected:
            try:
                await self._request(session, racp.abort_operation())
            except BleakError as error:
                session.result.notes.append(
                    Note(NoteKind.PROTOCOL, f"abort failed: {error}", racp.UUID)
                )
