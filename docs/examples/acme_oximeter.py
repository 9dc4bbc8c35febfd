"""A vendor driver for a non-standard pulse oximeter: the worked example of docs/drivers.md.

The (fictional) Acme OX-9 does not offer the Pulse Oximeter Service. It
streams 5-byte packets on its own characteristic, about once a second:

    byte 0  0xA5 (sync)
    byte 1  status: bit 0 finger out, bit 1 searching for the pulse, bit 2 weak signal
    byte 2  SpO2 in %, 0x7F = no value
    byte 3  pulse in /min, 0xFF = no value
    byte 4  perfusion index in tenths of %

It imports only the public driver API (`devices.driver`, `devices.reading`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from bleak.exc import BleakError

from devices.driver import (
    DecodeError,
    DeviceError,
    DeviceInfo,
    DeviceState,
    Driver,
    Emit,
    Matcher,
    Note,
    NoteKind,
    SessionResult,
    StreamSummary,
)
from devices.reading import Kind, Reading

if TYPE_CHECKING:
    from bleak import BleakClient

SERVICE = "a0e1f000-0000-4c4f-9000-0000000000a9"
STREAM = "a0e1f001-0000-4c4f-9000-0000000000a9"
SYNC, NO_SPO2, NO_PULSE = 0xA5, 0x7F, 0xFF
#: the status bits, each once, as the vendor's sheet names them -> Veille's flags
STATUS = {
    0x01: "sensor_unconnected_to_user",  # finger out
    0x02: "signal_analysis_ongoing",  # searching for the pulse
    0x04: "poor_signal_detected",  # weak signal
}


def parse(payload: bytes) -> Reading:
    """One packet as a ``spo2_continuous`` sample; anything else is a `DecodeError`."""
    if len(payload) != 5:
        raise DecodeError(f"Acme OX-9 packet is {len(payload)} bytes, expected 5", offset=0)
    if payload[0] != SYNC:
        raise DecodeError(f"Acme OX-9 packet starts with {payload[0]:#04x}, not 0xa5", offset=0)
    status, spo2, pulse, pi = payload[1], payload[2], payload[3], payload[4]
    if status & ~0x07:
        raise DecodeError(f"Acme OX-9 status {status:#04x} sets unknown bits", offset=1)
    if spo2 != NO_SPO2 and spo2 > 100:
        raise DecodeError(f"Acme OX-9 SpO2 {spo2} is above 100 %", offset=2)
    return Reading(
        Kind.SPO2_CONTINUOUS,
        {
            "spo2_pct": None if spo2 == NO_SPO2 else float(spo2),
            "pulse_bpm": None if pulse == NO_PULSE else float(pulse),
            "pulse_amplitude_index_pct": pi / 10,
        },
        flags=tuple(name for bit, name in STATUS.items() if status & bit),
    )


class AcmeOx9Driver(Driver):
    name = "acme_ox9"
    description = "Acme OX-9 finger oximeter (vendor stream, summarised like the standard one)"
    matchers: ClassVar = (Matcher(service_uuid=SERVICE, local_name=r"OX-9"),)
    characteristics: ClassVar = (STREAM,)

    def __init__(self, *, idle: float = 2.0) -> None:
        self.idle = idle

    def decode(self, characteristic: str, payload: bytes) -> Reading:
        if characteristic.lower() != STREAM:
            raise DecodeError(f"{self.name} does not decode characteristic {characteristic}")
        return parse(payload)

    async def run_session(
        self,
        client: BleakClient,
        state: DeviceState,
        emit: Emit,
        *,
        clock: Callable[[], datetime] = datetime.now,
    ) -> SessionResult:
        packets: asyncio.Queue[bytes] = asyncio.Queue()
        try:
            await client.start_notify(STREAM, lambda _c, data: packets.put_nowait(bytes(data)))
        except BleakError as error:
            raise DeviceError(f"{self.name}: {client.address}: {error}; retry later") from error
        summary, notes, emitted = StreamSummary(), [], 0
        while client.is_connected or not packets.empty():
            try:
                packet = await asyncio.wait_for(packets.get(), self.idle)
            except TimeoutError:
                break  # the finger came out: the stream is over
            try:
                sample = parse(packet)
            except DecodeError as error:
                notes.append(Note(NoteKind.REJECTED, str(error), STREAM))
                continue
            for reading in summary.add(clock(), sample):  # timed on arrival
                await emit(reading)
                emitted += 1
        for reading in summary.close():
            await emit(reading)
            emitted += 1
        return SessionResult(DeviceInfo(), state, readings=emitted, notes=tuple(notes))
