"""A virtual multi-user scale with the User Data Service (0x181C), as Beurer, Sanitas and
Medisana make them: users registered with a consent code, measurements kept per user and
sent to a collector only after it gave that user's consent on the connection.

`UdsScale.weigh` keeps a weighing under the user index the scale recognised (by
weight, or the person chose on the display). A user can be deleted on the scale
(`delete_user`), or re-registered with another code, as a family member does
from the scale's own menu.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from typing import Any

from bleak.exc import BleakError

from devices import uuids
from devices.codecs import user_control_point as ucp
from devices.codecs import weight
from devices.reading import Reading
from devices.sim.devices import WeightScale
from devices.sim.peripheral import CharSpec, Link


class UdsScale(WeightScale):
    """Weight Scale (0x181D) with User Data (0x181C): consent first, then that user's data."""

    def __init__(self, address: str, *, capacity: int = 8, **kwargs: Any) -> None:
        super().__init__(address, **kwargs)
        self.services = (uuids.WEIGHT_SCALE_SERVICE, uuids.USER_DATA_SERVICE)
        self.capacity = capacity
        self.users: dict[int, int] = {}  # user index -> consent code
        self.consents: list[tuple[int, int]] = []

    def add_user(self, consent_code: int, index: int | None = None) -> int:
        """A user registered on the scale itself (or by another phone); its index."""
        free = [i for i in range(1, self.capacity + 1) if i not in self.users]
        if index is None:
            if not free:
                raise ValueError("the scale has no free user slot")
            index = free[0]
        self.users[index] = consent_code
        return index

    def delete_user(self, index: int) -> None:
        """Deleted from the scale's menu: its slot and its measurements are gone."""
        self.users.pop(index, None)
        self.pending = [r for r in self.pending if r.user_index != index]

    def weigh(self, reading: Reading, user_index: int) -> None:
        if user_index not in self.users:
            raise ValueError(f"user {user_index} is not registered on this scale")
        self.store(replace(reading, user_index=user_index))

    def measurement_gatt(self) -> list[CharSpec]:
        return [
            *super().measurement_gatt(),
            CharSpec(uuids.USER_DATA_SERVICE, ucp.UUID, ("write", "indicate")),
        ]

    async def subscribed(self, link: Link, char: str) -> None:
        """Nothing goes out on subscription: a UDS scale waits for consent."""

    async def write(self, link: Link, char: str, data: bytes) -> None:
        if char != ucp.UUID:
            await super().write(link, char, data)
            return
        link.require()
        if ucp.UUID not in link.subscriptions:
            raise BleakError("ATT error 0xFD: Client Characteristic Configuration improperly set")
        self._background.spawn(self._answer(link, ucp.decode_request(data)))

    async def _answer(self, link: Link, request: ucp.Request) -> None:
        with contextlib.suppress(BleakError):
            await self._respond(link, request)

    async def _respond(self, link: Link, request: ucp.Request) -> None:
        op = request.op_code
        if op == ucp.OpCode.REGISTER_NEW_USER:
            try:
                index = self.add_user(request.consent_code or 0)
            except ValueError:
                await link.notify(ucp.UUID, ucp.encode_response(op, ucp.Result.OPERATION_FAILED))
                return
            await link.notify(ucp.UUID, ucp.encode_response(op, ucp.Result.SUCCESS, index))
            return
        if op != ucp.OpCode.CONSENT:
            await link.notify(ucp.UUID, ucp.encode_response(op, ucp.Result.OP_CODE_NOT_SUPPORTED))
            return
        consented = request.user_index
        if consented is None or consented not in self.users:
            await link.notify(ucp.UUID, ucp.encode_response(op, ucp.Result.INVALID_PARAMETER))
            return
        if self.users[consented] != request.consent_code:
            await link.notify(ucp.UUID, ucp.encode_response(op, ucp.Result.USER_NOT_AUTHORIZED))
            return
        self.consents.append((consented, request.consent_code or 0))
        await link.notify(ucp.UUID, ucp.encode_response(op, ucp.Result.SUCCESS))
        await asyncio.sleep(0.01)
        for reading in [r for r in self.pending if r.user_index == consented]:
            await link.send_record(weight.UUID, weight.encode(reading))
            self.pending.remove(reading)
            self.delivered.append(reading)
