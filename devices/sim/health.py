"""Virtual pulse oximeter and health thermometer, byte-exact through the codecs' ``encode``.

`PulseOximeter` keeps spot-check records (taken while the gateway was away)
and answers the Record Access Control Point with "all records" only, as the
Pulse Oximeter profile says; it reads out PLX Features; and it can play a
continuous session (`PulseOximeter.stream`): one PLX Continuous sample per
simulated second once the collector has subscribed, after which it hangs up
as an oximeter does when the finger comes out. It is the one simulated
device that lets world time pass (a sample per ``sample_interval``), so a
ten-minute session takes milliseconds.

`Thermometer` indicates its stored results on subscription, each preceded
by a few Intermediate Temperature notifications, in °C or (``fahrenheit``)
in °F at 0.1 °F resolution, then hangs up.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bleak.exc import BleakError

from devices import uuids
from devices.codecs import (
    intermediate_temperature,
    plx_continuous,
    plx_features,
    plx_spot_check,
    racp,
    temperature,
)
from devices.codecs.plx_status import DEVICE_FLAGS, MEASUREMENT_FLAGS
from devices.reading import Kind, Reading
from devices.sim.devices import MeasurementDevice
from devices.sim.peripheral import CharSpec, Link
from devices.sim.racp_peer import RacpPeripheral

STORED = "data_from_measurement_storage"
#: What a well-equipped oximeter says it supports: every status bit, storage, timestamps.
FULL_FEATURES = plx_features.Features(
    plx_features.SupportedFeatures(0xFF) & ~plx_features.SupportedFeatures.MULTIPLE_BONDS,
    frozenset(MEASUREMENT_FLAGS.values()) | frozenset(DEVICE_FLAGS.values()),
)


class PulseOximeter(RacpPeripheral):
    """Pulse Oximeter Service (0x1822): stored spot-checks over RACP, a continuous stream."""

    services = (uuids.PULSE_OXIMETER_SERVICE,)
    record_char = plx_spot_check.UUID

    def __init__(
        self,
        address: str,
        *,
        features: plx_features.Features = FULL_FEATURES,
        sample_interval: timedelta = timedelta(seconds=1),
        linger: float = 0.05,
        **kwargs: Any,
    ) -> None:
        super().__init__(address, **kwargs)
        self.features = features
        self.sample_interval = sample_interval
        self.linger = linger
        self.records: list[Reading] = []
        self.samples: list[Reading] = []
        self.streamed: list[Reading] = []

    def store(self, reading: Reading) -> Reading:
        """A spot-check taken away from the gateway: kept in memory, advertised."""
        if reading.kind is not Kind.SPO2:
            raise ValueError(f"an oximeter stores spo2 spot-checks, not {reading.kind}")
        stored = self.stamped(reading)
        self.records.append(stored)
        self.wake()
        return stored

    def stream(self, samples: list[Reading]) -> None:
        """The next connection plays these ``spo2_continuous`` samples, then hangs up."""
        if any(s.kind is not Kind.SPO2_CONTINUOUS for s in samples):
            raise ValueError("a continuous session is made of spo2_continuous samples")
        self.samples = list(samples)
        self.wake()

    def measurement_gatt(self) -> list[CharSpec]:
        return [
            CharSpec(uuids.PULSE_OXIMETER_SERVICE, plx_spot_check.UUID, ("indicate",)),
            CharSpec(uuids.PULSE_OXIMETER_SERVICE, plx_continuous.UUID, ("notify",)),
            CharSpec(uuids.PULSE_OXIMETER_SERVICE, plx_features.UUID, ("read",)),
            CharSpec(uuids.PULSE_OXIMETER_SERVICE, racp.UUID, ("write", "indicate")),
        ]

    async def read(self, link: Link, char: str) -> bytes:
        if char == plx_features.UUID:
            link.require()
            return plx_features.encode(self.features)
        return await super().read(link, char)

    async def subscribed(self, link: Link, char: str) -> None:
        if char == plx_continuous.UUID and self.samples:
            self._background.spawn(self._play(link))

    async def _play(self, link: Link) -> None:
        """Stream the session; if the link drops, the rest plays at the next connection
        (the patient still wears the probe and the oximeter reconnects)."""
        with contextlib.suppress(BleakError):
            await asyncio.sleep(0.01)
            while self.samples:
                link.require()
                if self.radio is not None:
                    self.radio.advance(self.sample_interval)
                await link.notify(plx_continuous.UUID, plx_continuous.encode(self.samples[0]))
                self.streamed.append(self.samples.pop(0))
            await self.transfer_done()  # a download still going: let it finish first
            await asyncio.sleep(self.linger)
            link.drop()

    def _selected(self, request: racp.Request) -> list[Reading] | None:
        if request.operator != racp.Operator.ALL_RECORDS:
            return None  # PLX records have no numbers: "all records" is the only operator
        return list(self.records)

    async def send(self, link: Link, record: Reading) -> None:
        flagged = replace(record, flags=(*record.flags, STORED))
        await link.send_record(plx_spot_check.UUID, plx_spot_check.encode(flagged))


class Thermometer(MeasurementDevice):
    """Health Thermometer Service (0x1809): results indicated, intermediate values notified."""

    service = uuids.HEALTH_THERMOMETER_SERVICE
    char = temperature.UUID
    kind = Kind.TEMPERATURE

    def __init__(
        self, address: str, *, fahrenheit: bool = False, settling_steps: int = 3, **kwargs: Any
    ) -> None:
        super().__init__(address, **kwargs)
        self.fahrenheit = fahrenheit
        self.settling_steps = settling_steps
        self.abandoned: Reading | None = None

    def measurement_gatt(self) -> list[CharSpec]:
        return [
            *super().measurement_gatt(),
            CharSpec(self.service, intermediate_temperature.UUID, ("notify",)),
        ]

    def packets(self, reading: Reading) -> list[bytes]:
        return [temperature.encode(reading, in_fahrenheit=self.fahrenheit)]

    def take_off_early(self, reading: Reading) -> None:
        """The next connection plays a measurement abandoned while settling: intermediate
        values after the stored results, and no result of its own."""
        self.abandoned = self.stamped(reading)
        self.wake()

    async def _settle(self, link: Link, reading: Reading) -> None:
        final = reading.metrics.get("temperature_c") or 36.0
        for step in range(self.settling_steps, 0, -1):
            settling = Reading(
                Kind.INTERMEDIATE_TEMPERATURE,
                {"temperature_c": round(final - 0.4 * step, 2)},
                attributes=dict(reading.attributes),
            )
            payload = intermediate_temperature.encode(settling, in_fahrenheit=self.fahrenheit)
            await link.notify(intermediate_temperature.UUID, payload)

    async def _dump(self, link: Link) -> None:
        await asyncio.sleep(0.01)
        abandoned, self.abandoned = self.abandoned, None
        with contextlib.suppress(BleakError):
            if abandoned is not None:
                for reading in list(self.pending):
                    for char, payload in self.records(reading):
                        await link.send_record(char, payload)
                    self.pending.remove(reading)
                    self.delivered.append(reading)
                await self._settle(link, abandoned)
                await asyncio.sleep(self.linger)
                link.drop()
                return
            for reading in self.pending[-1:]:  # the one just taken settles while connected
                await self._settle(link, reading)
        await super()._dump(link)
