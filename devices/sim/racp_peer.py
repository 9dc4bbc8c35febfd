"""The device side of the Record Access Control Point, shared by the simulated meters.

A glucose meter and a pulse oximeter answer RACP the same way: abort stops a
transfer, an unknown op code or operator gets its response code, a count is
a count, and a report sends the selected records then Success. Each device
says which records a request selects (`RacpPeripheral.selected`) and how one
goes out (`RacpPeripheral.send`).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from bleak.exc import BleakError

from devices.codecs import racp
from devices.sim.peripheral import Background, Link, VirtualPeripheral

_REPORTS = (racp.OpCode.REPORT_STORED_RECORDS, racp.OpCode.REPORT_NUMBER_OF_STORED_RECORDS)


class RacpPeripheral(VirtualPeripheral):
    """A virtual device that keeps records and hands them over through RACP."""

    #: where ``Faults.extra_records`` go after the selected records
    record_char: str = ""

    def __init__(self, address: str, **kwargs: Any) -> None:
        super().__init__(address, **kwargs)
        self._background = Background()
        self._transfer: asyncio.Task[None] | None = None

    def _selected(self, request: racp.Request) -> list[Any] | None:
        """Records a request selects; ``None`` for an operator this device does not support."""
        raise NotImplementedError

    async def send(self, link: Link, record: Any) -> None:
        raise NotImplementedError

    async def write(self, link: Link, char: str, data: bytes) -> None:
        if char != racp.UUID:
            await super().write(link, char, data)
            return
        link.require()
        if racp.UUID not in link.subscriptions:
            raise BleakError("ATT error 0xFD: Client Characteristic Configuration improperly set")
        request = racp.decode_request(data)
        self._background.spawn(self._answer(link, request))

    async def transfer_done(self) -> None:
        """Wait until no transfer is running (a device hangs up only after one)."""
        if self._transfer is not None:
            await asyncio.wait({self._transfer})

    async def _answer(self, link: Link, request: racp.Request) -> None:
        with contextlib.suppress(BleakError):
            await self._respond(link, request)

    async def _respond(self, link: Link, request: racp.Request) -> None:
        op = request.op_code
        if op == racp.OpCode.ABORT_OPERATION:
            if self._transfer is not None:
                self._transfer.cancel()
            await link.notify(racp.UUID, racp.encode_response(op, racp.ResponseCode.SUCCESS))
            return
        if op not in _REPORTS:
            code = racp.ResponseCode.OP_CODE_NOT_SUPPORTED
            await link.notify(racp.UUID, racp.encode_response(op, code))
            return
        selected = self._selected(request)
        if selected is None:
            code = racp.ResponseCode.OPERATOR_NOT_SUPPORTED
            await link.notify(racp.UUID, racp.encode_response(op, code))
            return
        if op == racp.OpCode.REPORT_NUMBER_OF_STORED_RECORDS:
            await link.notify(racp.UUID, racp.encode_number_of_records(len(selected)))
            return
        if not selected:
            code = racp.ResponseCode.NO_RECORDS_FOUND
            await link.notify(racp.UUID, racp.encode_response(op, code))
            return
        self._transfer = asyncio.current_task()
        try:
            for record in selected:
                await self.send(link, record)
            for extra in self.faults.extra_records:
                await link.notify(self.record_char, extra)
        except asyncio.CancelledError:
            return
        finally:
            self._transfer = None
        await link.notify(racp.UUID, racp.encode_response(op, racp.ResponseCode.SUCCESS))
