"""Health thermometer driver (Health Thermometer Service 0x1809).

The thermometer indicates Temperature Measurement (2A1C), the settled
result (stored ones first, as a scale does), and may notify Intermediate
Temperature (2A1E) while it settles, then disconnects. The codec converts
Fahrenheit. Intermediate values are decoded (a malformed one is reported)
but not emitted while a result follows: they are the probe warming up.
When a session ends with intermediate values and no result after them (the
patient took the thermometer off early), the last one is emitted as kind
``intermediate_temperature``, which no rule reads: a trace that a
measurement was attempted, never an alert.
"""

from __future__ import annotations

from devices import uuids
from devices.codecs import intermediate_temperature, temperature
from devices.driver import DeviceState, Matcher, Note, NoteKind
from devices.drivers.gatt import Context, GattDriver
from devices.reading import Reading

SETTLING_UUID = intermediate_temperature.UUID


class ThermometerDriver(GattDriver):
    name = "thermometer"
    description = "Bluetooth SIG Health Thermometer Service (0x1809), °C or °F"
    matchers = (Matcher(service_uuid=uuids.HEALTH_THERMOMETER_SERVICE),)
    characteristics = (temperature.UUID, intermediate_temperature.UUID)
    subscribe = (intermediate_temperature.UUID, temperature.UUID)

    async def collect(self, session: Context, state: DeviceState) -> None:
        settling: Reading | None = None
        while (item := await session.inbox.next(self.idle)) is not None:
            char, payload = item
            reading = session.decode(char, payload)
            if reading is None:
                continue
            if char == intermediate_temperature.UUID:
                settling = reading
                continue
            settling = None
            await session.deliver(reading)
        if settling is not None:
            session.result.notes.append(
                Note(NoteKind.SUMMARY, "no result followed; last intermediate kept", SETTLING_UUID)
            )
            await session.deliver(settling)
