"""Drivers for devices that indicate stored measurements and hang up: scales and cuffs.

The device sends what it kept once indications are on, then disconnects
(or goes quiet); the session ends then, with no error. Body composition
may split one measurement into two packets (Multiple Packet flag); they
are joined before the reading leaves.

Many scales offer both the Weight Scale (0x181D) and Body Composition
(0x181B) services, and advertise one, the other or both. So both scale
drivers hold the same conversation: they subscribe to whichever of Weight
Measurement (0x2A9D) and Body Composition Measurement (0x2A9C) the GATT
table has, whatever was advertised. They differ only in what they claim: a
scale advertising both services goes to ``body_composition``, whose matcher
naming both outranks ``weight_scale``'s naming one (no tie between our own
drivers; a vendor driver claiming such a scale with two keys still ties, as it should).

A scale without Weight Measurement still weighs: its Body Composition
Measurement carries the optional Weight field. The rules and dashboards
follow the ``weight`` kind, so that weight is also emitted as a weight
reading (same time, user and device; its own kind gives it its own stable
reading id). A scale that offers Weight Measurement sends its weight there,
and is not given a second one.

A multi-user scale with the User Data Service (0x181C) sends a user's
weighings only after consent: when the scale offers the User Control Point
(0x2A9F), the scale drivers give consent for each user slot paired with a
code (`DeviceState.users`) and take that slot's weighings after each
answer (`devices.drivers.uds`); a refusal takes nothing and is reported.

Blood-pressure Intermediate Cuff Pressure (0x2A36) is decoded, so a
malformed one is reported, but never emitted: it is the cuff's pressure
while it inflates and deflates, streamed during one measurement, not a
blood pressure; the result is the Blood Pressure Measurement (0x2A35) that
follows, and cuff pressure kept as readings would only mislead the rules.
"""

from __future__ import annotations

from dataclasses import replace

from devices import uuids
from devices.codecs import blood_pressure, body_composition, weight
from devices.codecs import intermediate_cuff_pressure as icp
from devices.codecs import user_control_point as ucp
from devices.codecs.body_composition import merge_packets
from devices.driver import Consent, DeviceState, Matcher, Note, NoteKind
from devices.drivers.gatt import Context, GattDriver, offers
from devices.drivers.uds import give_consent
from devices.reading import Kind, Reading
from veille.errors import DecodeError


def weight_of(reading: Reading) -> Reading | None:
    """The weight a body-composition reading carries, as a weight reading; ``None`` if none.

    The codec has already converted the field to kilograms (0.005 kg, or
    0.01 lb when the imperial flag is set). The body-fat status
    (``measurement_unsuccessful``) says nothing about the weight: not copied.
    """
    if reading.kind is not Kind.BODY_COMPOSITION or reading.metrics.get("weight_kg") is None:
        return None
    return Reading(
        kind=Kind.WEIGHT,
        metrics={"weight_kg": reading.metrics["weight_kg"]},
        time=reading.time,
        user_index=reading.user_index,
        flags=tuple(f for f in reading.flags if f != "measurement_unsuccessful"),
    )


class _IndicatingDriver(GattDriver):
    async def deliver(self, session: Context, reading: Reading) -> None:
        """Hand one whole measurement to the session (a family may add what it implies)."""
        await session.deliver(reading)

    async def collect(self, session: Context, state: DeviceState) -> None:
        await self.gather(session)

    async def gather(
        self, session: Context, consented: int | None = None, *, held_only: bool = False
    ) -> None:
        """Measurements until the device goes quiet (or, ``held_only``, those put back).

        ``consented``: the user slot this connection has consent for (User Data
        Service); a measurement that names no user is that user's.
        """
        held: Reading | None = None
        while (
            item := session.inbox.held() if held_only else await session.inbox.next(self.idle)
        ) is not None:
            char, payload = item
            reading = session.decode(char, payload)
            if reading is None or char == icp.UUID:
                continue  # cuff pressure while inflating: not a measurement (see above)
            if consented is not None and reading.user_index is None:
                reading = replace(reading, user_index=consented)
            multiple = reading.attributes.get("multiple_packet") is True
            if held is not None and not multiple:
                session.result.notes.append(
                    Note(NoteKind.UNPAIRED, "a multiple-packet measurement came alone", char)
                )
                await self.deliver(session, held)
                held = None
            if multiple:
                if held is None:
                    held = reading
                    continue
                try:
                    reading = merge_packets(held, reading)
                except DecodeError as error:
                    session.result.notes.append(Note(NoteKind.REJECTED, str(error), char))
                    held = reading
                    continue
                held = None
            await self.deliver(session, reading)
        if held is not None:
            session.result.notes.append(
                Note(
                    NoteKind.UNPAIRED,
                    "second packet never came; first half kept alone",
                    uuids.BODY_COMPOSITION_MEASUREMENT,
                )
            )
            await self.deliver(session, held)


class _ScaleDriver(_IndicatingDriver):
    """Weight and body composition, from whichever of the two the scale has (see above)."""

    characteristics = (weight.UUID, body_composition.UUID)
    subscribe = (weight.UUID, body_composition.UUID, ucp.UUID)

    async def collect(self, session: Context, state: DeviceState) -> None:
        """A multi-user scale (User Data Service): consent for each paired user in turn,
        that user's measurements after each (see `devices.drivers.uds`)."""
        if not offers(session.client, ucp.UUID):
            await self.gather(session)
            return
        if not state.users:
            session.result.notes.append(
                Note(
                    NoteKind.CONSENT,
                    "a multi-user scale, but no user is paired with a consent code: pair each "
                    "patient's slot (veille pair --register, or --user N --consent-code C)",
                    ucp.UUID,
                )
            )
            await self.gather(session)
            return
        previous: int | None = None
        for user in state.users:
            if not session.client.is_connected:
                break
            outcome = await give_consent(session, user, self.timeout)
            await self.gather(session, previous, held_only=True)
            if outcome is Consent.GIVEN:
                await self.gather(session, user.index)
                previous = user.index

    async def deliver(self, session: Context, reading: Reading) -> None:
        await session.deliver(reading)
        if offers(session.client, weight.UUID):
            return  # the Weight Scale Service sends the weight itself
        derived = weight_of(reading)
        if derived is not None:
            await session.deliver(derived)


class WeightScaleDriver(_ScaleDriver):
    name = "weight_scale"
    description = "Bluetooth SIG Weight Scale Service (0x181D), with body composition if offered"
    matchers = (Matcher(service_uuid=uuids.WEIGHT_SCALE_SERVICE),)


class BodyCompositionDriver(_ScaleDriver):
    name = "body_composition"
    description = "Bluetooth SIG Body Composition Service (0x181B), with its weight"
    matchers = (
        Matcher(service_uuid=uuids.BODY_COMPOSITION_SERVICE),
        Matcher(service_uuid=(uuids.WEIGHT_SCALE_SERVICE, uuids.BODY_COMPOSITION_SERVICE)),
    )


class BloodPressureDriver(_IndicatingDriver):
    name = "blood_pressure"
    description = "Bluetooth SIG Blood Pressure Service (0x1810), with cuff pressure"
    matchers = (Matcher(service_uuid=uuids.BLOOD_PRESSURE_SERVICE),)
    characteristics = (blood_pressure.UUID, icp.UUID)
    subscribe = (icp.UUID, blood_pressure.UUID)
