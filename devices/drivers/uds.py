"""User Data Service (0x181C) on multi-user scales: consent per user, registration at pairing.

A standard multi-user scale (the Beurer / Sanitas / Medisana family that
openScale drives the same way) keeps a slot per person and sends a slot's
measurements only to a collector that gave that slot's consent code on
this connection. The gateway registered each patient's slot at pairing
(`register_user`, or adopted an existing slot and its code), and at every
connection `give_consent` is written for each paired slot in turn before
that slot's measurements are collected (`devices.drivers.scales`).

The answer decides what happens, never a guess: Success — the
measurements that follow are that slot's (one that names no user is given
the consented index, one that names another is left to the gateway's
pairing check); User Not Authorized — the code is not the slot's any more
(re-registered on the scale): ``Consent.REFUSED``; Invalid Parameter — no
such slot (deleted on the scale, or a reset): ``Consent.UNKNOWN_USER``.
Either is a `NoteKind.CONSENT` note and a per-slot outcome the gateway
keeps in its pairing table and shows in ``veille gateway status``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from devices.codecs import user_control_point as ucp
from devices.driver import Consent, Note, NoteKind, ScaleUser
from devices.drivers.gatt import Context, uuid128
from veille.errors import DecodeError, DeviceError

if TYPE_CHECKING:
    from bleak import BleakClient

_OUTCOME = {
    ucp.Result.SUCCESS: Consent.GIVEN,
    ucp.Result.USER_NOT_AUTHORIZED: Consent.REFUSED,
    ucp.Result.INVALID_PARAMETER: Consent.UNKNOWN_USER,
}


async def give_consent(session: Context, user: ScaleUser, wait: float) -> Consent:
    """Write Consent for ``user`` and wait for the scale's answer.

    Measurements that came before the answer are put back in the inbox's held
    queue (`Inbox.held`): they belong to whoever had consent before, not to ``user``.
    """
    await session.client.write_gatt_char(
        uuid128(ucp.UUID), ucp.consent(user.index, user.consent_code), response=True
    )
    held: list[tuple[str, bytes]] = []
    outcome = Consent.NO_ANSWER
    while (item := await session.inbox.next(wait)) is not None:
        char, payload = item
        if char != ucp.UUID:
            held.append(item)
            continue
        try:
            answer = ucp.decode_response(payload)
        except DecodeError as error:
            session.result.notes.append(Note(NoteKind.REJECTED, str(error), ucp.UUID))
            break
        if answer.request_op_code == ucp.OpCode.CONSENT:
            outcome = _OUTCOME.get(answer.result, Consent.NO_ANSWER)
            break
    session.inbox.put_back(held)
    session.result.consents.append((user.index, outcome))
    if outcome is not Consent.GIVEN:
        session.result.notes.append(
            Note(
                NoteKind.CONSENT,
                f"user {user.index}: {_WHY[outcome]}; none of that user's measurements taken",
                ucp.UUID,
            )
        )
    return outcome


_WHY = {
    Consent.REFUSED: "the scale refused the consent code (slot re-registered on the scale?)",
    Consent.UNKNOWN_USER: "the scale has no such user (deleted on the scale, or reset)",
    Consent.NO_ANSWER: "the scale did not answer the consent",
    Consent.GIVEN: "consent given",
}


async def register_user(client: BleakClient, consent_code: int, wait: float = 10.0) -> int:
    """Register a new user slot on a connected scale with ``consent_code``; its index.

    At pairing: the patient stands by the scale (some scales want a button
    pressed). Raises `DeviceError` when the scale refuses or does not answer.
    """
    answers: asyncio.Queue[bytes] = asyncio.Queue()
    await client.start_notify(uuid128(ucp.UUID), lambda _c, data: answers.put_nowait(bytes(data)))
    await client.write_gatt_char(
        uuid128(ucp.UUID), ucp.register_new_user(consent_code), response=True
    )
    try:
        while True:
            answer = ucp.decode_response(await asyncio.wait_for(answers.get(), wait))
            if answer.request_op_code == ucp.OpCode.REGISTER_NEW_USER:
                break
    except TimeoutError:
        raise DeviceError(f"the scale did not answer the registration within {wait} s") from None
    except DecodeError as error:
        raise DeviceError(f"the scale's answer to the registration: {error}") from error
    if not answer.ok or answer.user_index is None:
        raise DeviceError(
            f"the scale refused to register a user ({answer.result.label}): its slots may be "
            "full; delete one on the scale, or adopt an existing slot with its consent code"
        )
    return answer.user_index
