"""Glucose meter sessions: RACP from the high-water mark, context, control solution, faults."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from devices.codecs import glucose, racp
from devices.conformance import session
from devices.driver import DeviceInfo, DeviceState, Note, NoteKind
from devices.drivers.glucose import GlucoseDriver
from devices.envelope import reading_id
from devices.reading import Kind, Reading
from devices.sim import Faults, GlucoseMeter, VirtualRadio
from devices.sim.peripheral import Link
from veille.errors import DeviceError

T0 = datetime(2026, 1, 10, 6, 0)
INFO = DeviceInfo("Acme", "Gluco 2", "G-77", "3.0")
ADDRESS = "DD:00:00:00:00:01"


def sample(i: int, mmol: float = 6.2, **attributes: str | bool) -> Reading:
    return Reading(
        Kind.GLUCOSE,
        {"glucose_mmol_l": mmol},
        time=T0 + timedelta(hours=6 * i),
        attributes={
            "sample_type": "capillary_whole_blood",
            "sample_location": "finger",
            **attributes,
        },
    )


def meter(
    radio: VirtualRadio, cls: type[GlucoseMeter] = GlucoseMeter, **faults: object
) -> GlucoseMeter:
    device = cls(ADDRESS, name="Meter", info=INFO, faults=Faults(**faults))  # type: ignore[arg-type]
    radio.add(device)
    return device


def driver() -> GlucoseDriver:
    return GlucoseDriver(timeout=0.5)


def test_500_records_with_a_drop_mid_download_arrive_once_and_resume() -> None:
    radio = VirtualRadio(start=T0 + timedelta(days=200))
    device = meter(radio, disconnect_after=200)
    for i in range(500):
        device.store(sample(i, 4.0 + (i % 50) / 10))
    outbox: dict[str, Reading] = {}  # the gateway's outbox: idempotent on the reading id
    state = DeviceState()

    def deliver(readings: list[Reading]) -> None:
        for r in readings:
            key = reading_id(
                ADDRESS, r.kind, sequence=r.sequence, device_time=r.time, user_index=None
            )
            assert outbox.setdefault(key, r) == r  # a replay is the same reading

    first: list[Reading] = []
    with pytest.raises(DeviceError, match="link lost during the download after 200"):
        asyncio.run(session(radio, driver(), ADDRESS, state, into=first))
    deliver(first)
    assert len(first) == 200  # emitted and durable; the high-water mark was not committed
    device.wake()
    result, second = asyncio.run(session(radio, driver(), ADDRESS, state))
    deliver(second)
    state = result.state
    assert state.last_sequence == 500
    assert sorted(r.sequence or 0 for r in outbox.values()) == list(range(1, 501))

    device.store(sample(600))
    result, third = asyncio.run(session(radio, driver(), ADDRESS, state))
    assert [r.sequence for r in third] == [501]
    assert result.state.last_sequence == 501
    result, fourth = asyncio.run(session(radio, driver(), ADDRESS, result.state))
    assert fourth == []
    assert result.state.last_sequence == 501


def test_context_is_joined_and_control_solution_is_flagged() -> None:
    radio = VirtualRadio()
    device = meter(radio)
    context = Reading(
        Kind.GLUCOSE_CONTEXT, {"carbohydrate_g": 45.0}, attributes={"meal": "postprandial"}
    )
    device.store(sample(0, 3.1), context)
    device.store(sample(1, 5.6, sample_type="control_solution", sample_location="control_solution"))
    device.store(sample(2, 7.0))
    result, got = asyncio.run(session(radio, driver(), ADDRESS))
    assert [r.sequence for r in got] == [1, 2, 3]
    assert got[0].metrics["carbohydrate_g"] == pytest.approx(45.0)
    assert got[0].attributes["meal"] == "postprandial"
    assert "context_follows" not in got[0].attributes
    assert got[1].flags == ("control_solution",)
    assert "control_solution" not in got[0].flags + got[2].flags
    assert result.state.last_sequence == 3


def test_meter_that_ignores_the_filter_does_not_duplicate_known_records() -> None:
    radio = VirtualRadio()
    device = meter(radio, resend_known=True)
    for i in range(5):
        device.store(sample(i))
    result, got = asyncio.run(session(radio, driver(), ADDRESS, DeviceState(last_sequence=3)))
    assert [r.sequence for r in got] == [4, 5]
    assert result.state.last_sequence == 5
    assert result.notes.count(Note(NoteKind.SKIPPED, "record the gateway already has", "2A18")) == 3


def test_malformed_record_holds_the_mark_before_it_and_is_fetched_again() -> None:
    radio = VirtualRadio()
    device = meter(radio, truncate_record=2)
    for i in range(5):
        device.store(sample(i))
    result, got = asyncio.run(session(radio, driver(), ADDRESS))
    assert [r.sequence for r in got] == [1, 2, 4, 5]
    assert result.state.last_sequence == 2
    assert [n.characteristic for n in result.notes if n.kind is NoteKind.REJECTED] == ["2A18"]
    device.wake()
    result, again = asyncio.run(session(radio, driver(), ADDRESS, result.state))
    assert [r.sequence for r in again] == [3, 4, 5]
    assert result.state.last_sequence == 5


class RefusingMeter(GlucoseMeter):
    """Answers every report request with a response code."""

    code = racp.ResponseCode.OPERATOR_NOT_SUPPORTED

    async def _respond(self, link: Link, request: racp.Request) -> None:
        await link.notify(racp.UUID, racp.encode_response(request.op_code, self.code))


@pytest.mark.parametrize(
    "code",
    [
        c
        for c in racp.ResponseCode
        if c
        not in (
            racp.ResponseCode.SUCCESS,
            racp.ResponseCode.NO_RECORDS_FOUND,
            racp.ResponseCode.OP_CODE_NOT_SUPPORTED,
        )
    ],
    ids=lambda c: c.label,
)
def test_every_refusal_code_is_a_device_error_that_names_it(code: racp.ResponseCode) -> None:
    radio = VirtualRadio()
    device = meter(radio, RefusingMeter)
    device.code = code  # type: ignore[attr-defined]
    device.store(sample(0))
    with pytest.raises(DeviceError, match=code.label):
        asyncio.run(session(radio, driver(), ADDRESS))


def test_no_records_found_is_an_empty_success() -> None:
    radio = VirtualRadio()
    device = meter(radio, RefusingMeter)
    device.code = racp.ResponseCode.NO_RECORDS_FOUND  # type: ignore[attr-defined]
    device.wake()
    result, got = asyncio.run(session(radio, driver(), ADDRESS, DeviceState(last_sequence=9)))
    assert got == []
    assert result.state.last_sequence == 9


class StallingMeter(GlucoseMeter):
    """Sends two records, then nothing: no Success, no more records."""

    requests: list[int]

    async def _respond(self, link: Link, request: racp.Request) -> None:
        self.requests.append(request.op_code)
        if request.op_code == racp.OpCode.REPORT_STORED_RECORDS:
            for measurement, _ in self.records[:2]:
                await link.notify(glucose.UUID, glucose.encode(measurement))
            return
        await super()._respond(link, request)


def test_a_stalled_transfer_is_aborted_and_nothing_is_committed() -> None:
    radio = VirtualRadio()
    device = meter(radio, StallingMeter)
    device.requests = []  # type: ignore[attr-defined]
    for i in range(4):
        device.store(sample(i))
    with pytest.raises(DeviceError, match="stopped answering"):
        asyncio.run(session(radio, driver(), ADDRESS))
    assert device.requests == [  # type: ignore[attr-defined]
        racp.OpCode.REPORT_NUMBER_OF_STORED_RECORDS,
        racp.OpCode.REPORT_STORED_RECORDS,
        racp.OpCode.ABORT_OPERATION,
    ]


def test_model_quirks_apply_from_the_device_information_read_in_the_session() -> None:
    """A meter counting months from 0, and one padding memory with 0xFF records."""

    def month_from_zero(payload: bytes) -> bytes:
        data = bytearray(payload)
        data[5] -= 1  # base-time month, as that firmware sends it
        return bytes(data)

    radio = VirtualRadio()
    fora = GlucoseMeter(
        ADDRESS,
        name="FORA",
        info=DeviceInfo("ForaCare", "FORA 6 Connect", "F1", "1"),
        faults=Faults(firmware=month_from_zero),
    )
    radio.add(fora)
    fora.store(sample(0))
    _, got = asyncio.run(session(radio, driver(), ADDRESS))
    assert [r.time for r in got] == [T0]  # January, not December of the year before

    padded = GlucoseMeter(
        "DD:00:00:00:00:02",
        name="AQ",
        info=DeviceInfo("Sinocare", "Safe AQ Smart", "S1", "1"),
        faults=Faults(extra_records=(b"\xff" * 10, b"\xff" * 10)),
    )
    radio.add(padded)
    padded.store(sample(1))
    result, got = asyncio.run(session(radio, driver(), padded.address))
    assert [r.sequence for r in got] == [1]
    assert result.dropped == 2
    assert result.state.last_sequence == 1


def test_a_meter_whose_numbers_restarted_is_read_from_the_start_again() -> None:
    radio = VirtualRadio()
    device = meter(radio)
    for i in range(5):
        device.store(sample(i))
    result, before = asyncio.run(session(radio, driver(), ADDRESS))
    assert result.state.last_sequence == 5
    device.reset_memory()
    device.store(sample(10, 4.4))
    device.store(sample(11, 5.5))
    result, got = asyncio.run(session(radio, driver(), ADDRESS, result.state))
    # The meter numbers them 1 and 2 again; counted on from 65536 so their ids are new ones.
    assert [(r.sequence, r.time) for r in got] == [
        (65536 + 1, sample(10).time),
        (65536 + 2, sample(11).time),
    ]
    assert not {rid(r) for r in got} & {rid(r) for r in before}
    assert result.state.last_sequence == 65536 + 2
    assert any(n.kind is NoteKind.RESYNC and "restarted" in n.text for n in result.notes)
    device.store(sample(12))
    result, got = asyncio.run(session(radio, driver(), ADDRESS, result.state))
    assert [r.sequence for r in got] == [65536 + 3]


def rid(reading: Reading) -> str:
    return reading_id(
        ADDRESS, reading.kind, sequence=reading.sequence, device_time=reading.time, user_index=None
    )
