"""Glucose record numbers are 16 bits: a meter that numbers on from 0 after 65535."""

from __future__ import annotations

import asyncio

import pytest

from devices.codecs import racp
from devices.conformance import session
from devices.driver import DeviceState, Note
from devices.drivers.glucose import unwrap
from devices.reading import Reading
from devices.sim import GlucoseMeter, VirtualRadio
from devices.sim.peripheral import Link
from tests.devices.test_driver_glucose import ADDRESS, INFO, driver, rid, sample


class LoggingMeter(GlucoseMeter):
    """Remembers every RACP request (op code, operator, operand) and can refuse LAST_RECORD."""

    knows_last = True

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.requests: list[tuple[int, int, int | None]] = []

    def _selected(self, request: racp.Request) -> list[tuple[Reading, Reading | None]] | None:
        if request.operator == racp.Operator.LAST_RECORD and not self.knows_last:
            return None
        return super()._selected(request)

    async def _respond(self, link: Link, request: racp.Request) -> None:
        self.requests.append((request.op_code, request.operator, request.sequence))
        await super()._respond(link, request)

    def downloads(self) -> list[tuple[int, int | None]]:
        """The record transfers asked for: (operator, from), last record excluded."""
        report = racp.OpCode.REPORT_STORED_RECORDS
        return [
            (operator, sequence)
            for op, operator, sequence in self.requests
            if op == report and operator != racp.Operator.LAST_RECORD
        ]


def make(radio: VirtualRadio, **options: object) -> LoggingMeter:
    device = LoggingMeter(ADDRESS, name="Meter", info=INFO, **options)
    radio.add(device)
    return device


def sync(radio: VirtualRadio, state: DeviceState) -> tuple[DeviceState, list[Reading], list[Note]]:
    result, got = asyncio.run(session(radio, driver(), ADDRESS, state))
    return result.state, got, list(result.notes)


ALL = (racp.Operator.ALL_RECORDS, None)
GTE = racp.Operator.GREATER_THAN_OR_EQUAL_TO
WITHIN = racp.Operator.WITHIN_RANGE_OF


@pytest.mark.parametrize(
    ("number", "reference", "counted"),
    [
        (5, None, 5),
        (3, 65535, 65539),
        (65000, 65530, 65000),
        (5, 2 * 65536 - 1, 2 * 65536 + 5),
        (65535, 65536 + 3, 65535),
        (65530, 3, 65530),  # behind a first-lap reference: never negative
    ],
)
def test_unwrap_takes_the_count_nearest_the_numbers_seen(
    number: int, reference: int | None, counted: int
) -> None:
    assert unwrap(number, reference) == counted


def test_wrap_between_sessions_fetches_the_new_records_once_then_filters_again() -> None:
    radio = VirtualRadio()
    device = make(radio, first_sequence=65533, capacity=50)
    for i in range(3):
        device.store(sample(i))
    state, got, _ = sync(radio, DeviceState())
    assert [r.sequence for r in got] == [65533, 65534, 65535]
    assert state.last_sequence == 65535

    device.store(sample(3))  # numbered 0
    device.store(sample(4))  # numbered 1
    device.requests.clear()
    state, got, notes = sync(radio, state)
    assert [(r.sequence, r.time) for r in got] == [
        (65536, sample(3).time),
        (65537, sample(4).time),
    ]
    assert state.last_sequence == 65537
    assert device.downloads() == [(WITHIN, 0)]  # ">= 0" would have sent every record
    assert not any("already has" in n.text for n in notes)

    device.requests.clear()
    state, got, _ = sync(radio, state)
    assert got == []
    assert device.downloads() == []  # nothing new: no second download of everything
    assert state.last_sequence == 65537

    device.store(sample(5))
    state, got, _ = sync(radio, state)
    assert [r.sequence for r in got] == [65538]
    assert device.downloads() == [(WITHIN, 2)]  # not ">= 2": 65533..65535 are still kept


def test_a_wrap_inside_one_download_brings_every_new_record_in_the_same_session() -> None:
    radio = VirtualRadio()
    device = make(radio, first_sequence=65531, capacity=50)
    device.store(sample(0))
    state, _, _ = sync(radio, DeviceState())
    assert state.last_sequence == 65531
    for i in range(1, 8):  # 65532..65535, then 0, 1, 2
        device.store(sample(i))
    device.requests.clear()
    state, got, _ = sync(radio, state)
    assert [r.sequence for r in got] == list(range(65532, 65536 + 3))
    assert [(r.sequence or 0) % 65536 for r in got] == [65532, 65533, 65534, 65535, 0, 1, 2]
    assert [r.time for r in got] == [sample(i).time for i in range(1, 8)]
    assert device.downloads() == [(GTE, 65532), (WITHIN, 0)]
    assert state.last_sequence == 65536 + 2


def test_numbers_used_again_after_a_wrap_are_new_reading_ids() -> None:
    radio = VirtualRadio()
    device = make(radio, capacity=4)
    device.store(sample(0))
    device.store(sample(1))
    _, first_lap, _ = sync(radio, DeviceState())
    assert [r.sequence for r in first_lap] == [1, 2]
    device.next_sequence = 65535  # thousands of records later (the capacity forgot them)
    for i in range(2, 6):  # 65535, then 0, 1, 2
        device.store(sample(i))
    _, got, _ = sync(radio, DeviceState(last_sequence=65534))
    assert [r.sequence for r in got] == [65535, 65536, 65537, 65538]
    assert not {rid(r) for r in got} & {rid(r) for r in first_lap}


def test_first_session_with_a_meter_that_already_wrapped() -> None:
    radio = VirtualRadio()
    device = make(radio, first_sequence=65534)
    for i in range(4):  # 65534, 65535, 0, 1
        device.store(sample(i))
    state, got, _ = sync(radio, DeviceState())
    assert [r.sequence for r in got] == [65534, 65535, 65536, 65537]
    assert state.last_sequence == 65537
    device.requests.clear()
    state, got, _ = sync(radio, state)
    assert got == []
    assert device.downloads() == []


def test_a_meter_that_cannot_name_its_last_record_is_read_whole_once_after_65535() -> None:
    radio = VirtualRadio()
    device = make(radio, first_sequence=65535)
    device.knows_last = False
    device.store(sample(0))
    state, _, _ = sync(radio, DeviceState())
    assert state.last_sequence == 65535
    device.store(sample(1))  # numbered 0
    state, got, _ = sync(radio, state)
    assert [r.sequence for r in got] == [65536]
    assert state.last_sequence == 65536
    device.store(sample(2))
    device.requests.clear()
    state, got, _ = sync(radio, state)
    assert [r.sequence for r in got] == [65537]
    assert device.downloads() == [(GTE, 1)]


def test_a_meter_without_ranges_falls_back_to_greater_or_equal_and_skips_what_it_had() -> None:
    radio = VirtualRadio()
    device = make(radio, first_sequence=65534)
    device.ranges = False
    for i in range(3):  # 65534, 65535, 0
        device.store(sample(i))
    state, got, _ = sync(radio, DeviceState())
    assert state.last_sequence == 65536
    device.store(sample(3))  # numbered 1
    device.requests.clear()
    state, got, notes = sync(radio, state)
    assert [r.sequence for r in got] == [65537]
    assert device.downloads() == [(GTE, 1)]
    assert sum("already has" in n.text for n in notes) == 2  # 65534 and 65535 came again


def test_numbers_that_passed_65535_since_the_last_lap_session_are_all_fetched_once() -> None:
    radio = VirtualRadio()
    device = make(radio, first_sequence=65530)
    for i in range(8):  # 65530..65535, 0, 1
        device.store(sample(i))
    lap = 65536  # the gateway already counted one wrap of this meter, up to 65530
    state, got, notes = sync(radio, DeviceState(last_sequence=lap + 65530))
    assert [r.sequence for r in got] == list(range(lap + 65531, 2 * lap + 2))
    assert [r.time for r in got] == [sample(i).time for i in range(1, 8)]
    assert device.downloads() == [ALL]
    assert any("went past 65535" in n.text for n in notes)
    assert state.last_sequence == 2 * lap + 1
    device.requests.clear()
    state, got, _ = sync(radio, state)
    assert (got, device.downloads()) == ([], [])
