"""One contract, every backend: SQLite and Debian's InfluxDB 1.6 behave alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from collector.backends import open_store
from collector.store import ReadingStore, StoreSettings
from devices.reading import Kind
from tests.collector.factory import T0, wire
from tests.support.influx import Influxd

pytestmark = pytest.mark.integration

_counter = iter(range(10_000))


@pytest.fixture(params=["sqlite", "influxdb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReadingStore]:
    """A fresh, empty store: a new SQLite file, or a new database on the module's influxd."""
    if request.param == "sqlite":
        settings = StoreSettings(backend="sqlite", path=tmp_path / "readings.sqlite")
    else:
        server: Influxd = request.getfixturevalue("influxd")
        settings = StoreSettings(backend="influxdb", url=server.url, bucket=f"t{next(_counter)}")
    opened = open_store(settings)
    yield opened
    opened.close()


def test_a_stored_reading_comes_back_whole(store: ReadingStore) -> None:
    sent = [
        wire(1, flags=("irregular_pulse",)),
        wire(2, kind=Kind.GLUCOSE),
        wire(3, kind=Kind.WEIGHT, patient="p-0002"),
    ]
    store.write_batch(sent)
    back = list(store.readings("p-0001"))
    assert [r.as_json() for r in back] == [r.as_json() for r in sent[:2]]
    assert store.count() == 3
    assert store.patients() == ["p-0001", "p-0002"]


def test_the_same_reading_twice_is_stored_once(store: ReadingStore) -> None:
    first = wire(1)
    store.write_batch([first, first])
    store.write_batch([first, wire(2)])
    assert store.count() == 2
    assert [r.id for r in store.readings("p-0001")] == [first.id, wire(2).id]


def test_readings_measured_in_the_same_second_stay_apart(store: ReadingStore) -> None:
    """Two records of one meter with the same timestamp are two readings."""
    twins = [wire(1, minutes=5), wire(2, minutes=5)]
    assert twins[0].id != twins[1].id
    store.write_batch(twins)
    assert store.count() == 2


def test_series_is_a_utc_frame_with_one_column_per_metric(store: ReadingStore) -> None:
    store.write_batch([wire(n) for n in range(5)] + [wire(9, kind=Kind.WEIGHT)])
    frame = store.series(
        "p-0001", Kind.BLOOD_PRESSURE, T0 + timedelta(minutes=1), T0 + timedelta(minutes=4)
    )
    assert list(frame.index) == [T0 + timedelta(minutes=m) for m in (1, 2, 3)]
    assert frame.index.name == "time"
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert str(frame.index.tz) == "UTC"
    assert frame["systolic_mmhg"].tolist() == [128.0, 128.0, 128.0]
    assert frame["mean_arterial_mmhg"].isna().all()
    assert frame["id"].tolist() == [wire(n).id for n in (1, 2, 3)]
    assert frame["flags"].tolist() == ["", "", ""]
    assert "weight_kg" not in frame.columns


def test_series_of_nothing_is_an_empty_frame(store: ReadingStore) -> None:
    frame = store.series("p-none", Kind.GLUCOSE, T0, T0 + timedelta(days=1))
    assert isinstance(frame, pd.DataFrame)
    assert len(frame) == 0
    assert isinstance(frame.index, pd.DatetimeIndex)


def test_latest_is_one_reading_per_patient_and_kind(store: ReadingStore) -> None:
    store.write_batch(
        [wire(n) for n in range(4)]
        + [wire(7, kind=Kind.WEIGHT), wire(8, kind=Kind.WEIGHT)]
        + [wire(2, patient="p-0002", address="C0:FF:EE:00:00:02")]
    )
    latest = store.latest()
    assert [(r.patient, r.kind, r.sequence) for r in latest] == [
        ("p-0001", Kind.BLOOD_PRESSURE, 3),
        ("p-0001", Kind.WEIGHT, 8),
        ("p-0002", Kind.BLOOD_PRESSURE, 2),
    ]
    assert [r.sequence for r in store.latest("p-0002")] == [2]


def test_export_filters_by_time_and_kind(store: ReadingStore) -> None:
    store.write_batch([wire(n) for n in range(6)] + [wire(n, kind=Kind.GLUCOSE) for n in range(6)])
    since = T0 + timedelta(minutes=4)
    got = [(r.kind, r.sequence) for r in store.readings("p-0001", since=since)]
    assert got == [
        (Kind.BLOOD_PRESSURE, 4),
        (Kind.GLUCOSE, 4),
        (Kind.BLOOD_PRESSURE, 5),
        (Kind.GLUCOSE, 5),
    ] or got == [
        (Kind.GLUCOSE, 4),
        (Kind.BLOOD_PRESSURE, 4),
        (Kind.GLUCOSE, 5),
        (Kind.BLOOD_PRESSURE, 5),
    ]
    assert [r.sequence for r in store.readings("p-0001", kind=Kind.GLUCOSE)] == list(range(6))
