"""Virtual health devices: scales (weight, body composition, both), cuff, glucose meter.

Each stores measurements, advertises its service for a few seconds after
one, and serves it the way the Bluetooth SIG profiles say, with the
byte-exact payloads of the codecs' ``encode``: a scale or cuff indicates
its stored measurements when the collector enables indications, then
disconnects; a glucose meter keeps numbered records and answers the
Record Access Control Point.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from typing import Any

from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakError

from devices import uuids
from devices.codecs import blood_pressure, body_composition, glucose, glucose_context, racp, weight
from devices.codecs import intermediate_cuff_pressure as icp
from devices.driver import normalize_uuid
from devices.reading import Kind, Reading
from devices.sim.peripheral import Background, CharSpec, Link, VirtualPeripheral
from devices.sim.racp_peer import RacpPeripheral


class MeasurementDevice(VirtualPeripheral):
    """A device that indicates its stored measurements on subscription, then hangs up.

    ``linger`` is how long (real seconds) it stays connected after the last
    indication, as real scales do before they switch off.
    """

    service: str = ""
    char: str = ""
    kind: Kind = Kind.WEIGHT

    def __init__(self, address: str, *, linger: float = 0.3, **kwargs: Any) -> None:
        super().__init__(address, **kwargs)
        self.services = (self.service,)
        self.linger = linger
        self.pending: list[Reading] = []
        self.delivered: list[Reading] = []
        self._background = Background()

    def store(self, reading: Reading) -> None:
        """A measurement was taken: keep it and advertise."""
        if reading.kind is not self.kind:
            raise ValueError(f"a {type(self).__name__} measures {self.kind}, not {reading.kind}")
        self.pending.append(self.stamped(reading))
        self.wake()

    def measurement_gatt(self) -> list[CharSpec]:
        return [CharSpec(self.service, self.char, ("indicate",))]

    def packets(self, reading: Reading) -> list[bytes]:
        raise NotImplementedError

    def records(self, reading: Reading) -> list[tuple[str, bytes]]:
        """What the device indicates for one measurement: (characteristic, payload) pairs."""
        return [(self.char, payload) for payload in self.packets(reading)]

    def sends_on(self) -> tuple[str, ...]:
        """The characteristics the memory goes out on; it goes once all are subscribed."""
        return (self.char,)

    async def subscribed(self, link: Link, char: str) -> None:
        chars = self.sends_on()
        if char in chars and all(c in link.subscriptions for c in chars):
            self._background.spawn(self._dump(link))

    async def _dump(self, link: Link) -> None:
        await asyncio.sleep(0.01)
        records = ([*self.delivered] if self.faults.resend_known else []) + [*self.pending]
        with contextlib.suppress(BleakError):
            for reading in records:
                for char, payload in self.records(reading):
                    await link.send_record(char, payload)
                if reading in self.pending:
                    self.pending.remove(reading)
                    self.delivered.append(reading)
            for extra in self.faults.extra_records:
                await link.notify(self.char, extra)
            await asyncio.sleep(self.linger)
            link.drop()


class WeightScale(MeasurementDevice):
    """Weight Scale Service (0x181D); multi-user through ``user_index``."""

    service = uuids.WEIGHT_SCALE_SERVICE
    char = weight.UUID
    kind = Kind.WEIGHT

    def packets(self, reading: Reading) -> list[bytes]:
        return [weight.encode(reading)]


class BodyCompositionScale(MeasurementDevice):
    """Body Composition Service (0x181B) alone; ``split_packets`` sends each measurement
    in two, ``imperial`` in pounds and inches."""

    service = uuids.BODY_COMPOSITION_SERVICE
    char = body_composition.UUID
    kind = Kind.BODY_COMPOSITION

    def __init__(
        self, address: str, *, split_packets: bool = True, imperial: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(address, **kwargs)
        self.split_packets = split_packets
        self.imperial = imperial

    def packets(self, reading: Reading) -> list[bytes]:
        if not self.split_packets:
            return [body_composition.encode(reading, imperial=self.imperial)]
        names = [n for n in reading.metrics if n != "body_fat_pct"]
        half = len(names) // 2
        fat = {"body_fat_pct": reading.metrics.get("body_fat_pct")}
        first = replace(
            reading,
            metrics=fat | {n: reading.metrics[n] for n in names[:half]},
            attributes={"multiple_packet": True},
        )
        second = replace(
            reading,
            metrics=fat | {n: reading.metrics[n] for n in names[half:]},
            time=None,
            attributes={"multiple_packet": True},
        )
        return [
            body_composition.encode(first, imperial=self.imperial),
            body_composition.encode(second, imperial=self.imperial),
        ]


class WeightAndBodyCompositionScale(BodyCompositionScale):
    """Weight Scale Service (0x181D) with Body Composition (0x181B): each weighing is
    indicated as Weight Measurement, then as Body Composition Measurement.

    ``advertised`` is what it lists in its advertisement: many such scales list
    only one of the two services their GATT table has.
    """

    def __init__(
        self,
        address: str,
        *,
        advertised: tuple[str, ...] = (uuids.WEIGHT_SCALE_SERVICE, uuids.BODY_COMPOSITION_SERVICE),
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("split_packets", False)
        super().__init__(address, **kwargs)
        self.services = advertised

    def measurement_gatt(self) -> list[CharSpec]:
        return [
            CharSpec(uuids.WEIGHT_SCALE_SERVICE, weight.UUID, ("indicate",)),
            *super().measurement_gatt(),
        ]

    def sends_on(self) -> tuple[str, ...]:
        return (weight.UUID, self.char)

    def records(self, reading: Reading) -> list[tuple[str, bytes]]:
        weighed = Reading(
            Kind.WEIGHT,
            {"weight_kg": reading.metrics.get("weight_kg")},
            time=reading.time,
            user_index=reading.user_index,
        )
        return [(weight.UUID, weight.encode(weighed)), *super().records(reading)]


class BloodPressureCuff(MeasurementDevice):
    """Blood Pressure Service (0x1810): 2A35 indications, 2A36 cuff pressure notifications."""

    service = uuids.BLOOD_PRESSURE_SERVICE
    char = blood_pressure.UUID
    kind = Kind.BLOOD_PRESSURE

    def __init__(self, address: str, *, inflation_steps: int = 3, **kwargs: Any) -> None:
        super().__init__(address, **kwargs)
        self.inflation_steps = inflation_steps

    def measurement_gatt(self) -> list[CharSpec]:
        return [*super().measurement_gatt(), CharSpec(self.service, icp.UUID, ("notify",))]

    def packets(self, reading: Reading) -> list[bytes]:
        return [blood_pressure.encode(reading)]

    async def _dump(self, link: Link) -> None:
        await asyncio.sleep(0.01)
        with contextlib.suppress(BleakError):
            for step in range(self.inflation_steps):
                pressure = Reading(
                    Kind.INTERMEDIATE_CUFF_PRESSURE, {"cuff_pressure_mmhg": 40.0 * step}
                )
                await link.notify(icp.UUID, icp.encode(pressure))
        await super()._dump(link)


class GlucoseMeter(RacpPeripheral):
    """Glucose Service (0x1808): numbered records, context, and RACP over indications.

    Record numbers are 16 bits: after 65535 the meter numbers on from 0
    (``first_sequence`` starts a meter near the end). A meter with a
    ``capacity`` forgets its oldest record to keep a new one, as real ones do.
    ``ranges``: whether it answers the "within range of" operator.
    """

    ranges = True

    services = (uuids.GLUCOSE_SERVICE,)
    record_char = glucose.UUID

    def __init__(
        self,
        address: str,
        *,
        first_sequence: int = 1,
        capacity: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(address, **kwargs)
        self.records: list[tuple[Reading, Reading | None]] = []
        self.next_sequence = first_sequence
        self.capacity = capacity

    def store(self, reading: Reading, context: Reading | None = None) -> Reading:
        """Keep a measurement (and its context) under the next sequence number."""
        sequence = self.next_sequence
        self.next_sequence = (self.next_sequence + 1) & 0xFFFF
        if self.capacity is not None and len(self.records) >= self.capacity:
            del self.records[: len(self.records) - self.capacity + 1]
        attributes = dict(reading.attributes)
        if context is not None:
            attributes["context_follows"] = True
            context = replace(context, sequence=sequence)
        stored = replace(self.stamped(reading), sequence=sequence, attributes=attributes)
        self.records.append((stored, context))
        self.wake()
        return stored

    def measurement_gatt(self) -> list[CharSpec]:
        return [
            CharSpec(uuids.GLUCOSE_SERVICE, glucose.UUID, ("notify",)),
            CharSpec(uuids.GLUCOSE_SERVICE, glucose_context.UUID, ("notify",)),
            CharSpec(uuids.GLUCOSE_SERVICE, racp.UUID, ("write", "indicate")),
        ]

    def _selected(self, request: racp.Request) -> list[tuple[Reading, Reading | None]] | None:
        """Records a request selects; ``None`` for an operator this meter does not support."""
        if request.operator == racp.Operator.ALL_RECORDS or self.faults.resend_known:
            return list(self.records)
        if request.operator == racp.Operator.GREATER_THAN_OR_EQUAL_TO:
            start = request.sequence or 0
            return [r for r in self.records if (r[0].sequence or 0) >= start]
        if request.operator == racp.Operator.WITHIN_RANGE_OF and self.ranges:
            first, last = request.sequence or 0, request.sequence_to or 0
            return [r for r in self.records if first <= (r[0].sequence or 0) <= last]
        if request.operator == racp.Operator.FIRST_RECORD:
            return self.records[:1]
        if request.operator == racp.Operator.LAST_RECORD:
            return self.records[-1:]
        return None

    def reset_memory(self) -> None:
        """Forget every record and number from 1 again, as after a reset or a new battery."""
        self.records.clear()
        self.next_sequence = 1

    async def send(self, link: Link, record: tuple[Reading, Reading | None]) -> None:
        measurement, context = record
        await link.send_record(glucose.UUID, glucose.encode(measurement))
        if context is not None:
            await link.notify(glucose_context.UUID, glucose_context.encode(context))


class Broadcaster(VirtualPeripheral):
    """A device that only advertises: its measurement is in its service or manufacturer data.

    ``broadcast`` replaces what it advertises and wakes it, as a scale does
    when a weight settles; the same advertisement repeats until it sleeps.
    """

    def __init__(self, address: str, *, services: tuple[str, ...] = (), **kwargs: Any) -> None:
        kwargs.setdefault("current_time", False)
        super().__init__(address, **kwargs)
        self.services = services
        self._service_data: dict[str, bytes] = {}
        self._manufacturer_data: dict[int, bytes] = {}

    def broadcast(
        self,
        service_data: dict[str, bytes] | None = None,
        manufacturer_data: dict[int, bytes] | None = None,
    ) -> None:
        self._service_data = {normalize_uuid(k): v for k, v in (service_data or {}).items()}
        self._manufacturer_data = dict(manufacturer_data or {})
        self.wake()

    def service_data(self) -> dict[str, bytes]:
        return dict(self._service_data)

    def advertisement(self) -> AdvertisementData:
        return super().advertisement()._replace(manufacturer_data=dict(self._manufacturer_data))
