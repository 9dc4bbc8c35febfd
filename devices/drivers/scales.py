"""Drivers for devices that indicate stored measurements and hang up: scales and cuffs.

The device sends what it kept once indications are on, then disconnects
(or goes quiet); the session ends then, with no error. Body composition
may split one measurement into two packets (Multiple Packet flag); they
are joined before the reading leaves. Blood-pressure intermediate cuff
pressure is decoded (so a malformed one is reported) but not emitted: it
is the inflation curve, not a measurement.
"""

from __future__ import annotations

from devices.codecs import blood_pressure, body_composition, weight
from devices.codecs import intermediate_cuff_pressure as icp
from devices.codecs.body_composition import merge_packets
from devices.driver import DeviceState, Matcher
from devices.drivers.gatt import Context, GattDriver
from devices.reading import Reading
from veille.errors import DecodeError


class _IndicatingDriver(GattDriver):
    async def collect(self, session: Context, state: DeviceState) -> None:
        held: Reading | None = None
        while (item := await session.inbox.next(self.idle)) is not None:
            char, payload = item
            reading = session.decode(char, payload)
            if reading is None or char == icp.UUID:
                continue
            multiple = reading.attributes.get("multiple_packet") is True
            if held is not None and not multiple:
                session.result.notes.append(f"{char}: a multiple-packet measurement came alone")
                await session.deliver(held)
                held = None
            if multiple:
                if held is None:
                    held = reading
                    continue
                try:
                    reading = merge_packets(held, reading)
                except DecodeError as error:
                    session.result.notes.append(f"{char}: rejected: {error}")
                    held = reading
                    continue
                held = None
            await session.deliver(reading)
        if held is not None:
            session.result.notes.append("2A9C: second packet never came; first half kept alone")
            await session.deliver(held)


class WeightScaleDriver(_IndicatingDriver):
    name = "weight_scale"
    description = "Bluetooth SIG Weight Scale Service (0x181D)"
    matchers = (Matcher(service_uuid="181D"),)
    characteristics = (weight.UUID,)
    subscribe = (weight.UUID,)


class BodyCompositionDriver(_IndicatingDriver):
    name = "body_composition"
    description = "Bluetooth SIG Body Composition Service (0x181B), with its weight"
    matchers = (Matcher(service_uuid="181B"),)
    characteristics = (body_composition.UUID, weight.UUID)
    subscribe = (body_composition.UUID, weight.UUID)


class BloodPressureDriver(_IndicatingDriver):
    name = "blood_pressure"
    description = "Bluetooth SIG Blood Pressure Service (0x1810), with cuff pressure"
    matchers = (Matcher(service_uuid="1810"),)
    characteristics = (blood_pressure.UUID, icp.UUID)
    subscribe = (icp.UUID, blood_pressure.UUID)
