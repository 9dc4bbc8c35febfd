"""The InfluxDB backend against real servers: Debian's influxd 1.6 (v1 writes)
and VictoriaMetrics (InfluxDB v2 write API)."""

from __future__ import annotations

from typing import Literal

import pytest

from collector.influx import InfluxStore, write_api_for
from collector.lineproto import timestamp_ns
from collector.store import StoreSettings
from devices.reading import Kind
from tests.collector.factory import wire
from tests.support.influx import Influxd, VictoriaMetrics
from veille.errors import StoreError, StoreUnavailable
from veille.mqtt import free_port

pytestmark = pytest.mark.integration


def test_debian_16_is_detected_and_written_with_v1(influxd: Influxd) -> None:
    store = InfluxStore(StoreSettings(backend="influxdb", url=influxd.url, bucket="detect"))
    assert store.detect_api() == "v1"
    assert store.version is not None
    assert store.version.startswith("1.6")
    store.write_batch([wire(1), wire(1)])
    series = influxd.query('SELECT "systolic_mmhg", "id" FROM "blood_pressure"', db="detect")
    assert series[0]["values"] == [[timestamp_ns(wire(1)), 128.0, wire(1).id]]
    # the schema of docs/stores.md: tags are patient, driver, gateway and nothing per reading
    tags = influxd.query('SHOW TAG KEYS FROM "blood_pressure"', db="detect")
    assert sorted(v[0] for v in tags[0]["values"]) == ["driver", "gateway", "patient"]
    store.close()


def test_v2_write_path_on_a_real_server(victoria: VictoriaMetrics) -> None:
    store = InfluxStore(StoreSettings(backend="influxdb", url=victoria.url, bucket="veille"))
    assert store.detect_api() == "v2"  # no 1.x version header: the v2 write API
    readings = [wire(n, patient=f"p-v2-{n}") for n in range(3)]
    store.write_batch(readings)
    store.write_batch(readings)  # the same points again
    victoria.flush()
    samples = victoria.export('{__name__="blood_pressure_systolic_mmhg",patient=~"p-v2-.*"}')
    assert len(samples) == 3
    for sample in samples:
        labels = sample["metric"]
        assert labels["driver"] == "omron_bp"
        assert labels["gateway"] == "gw-01"
        n = int(labels["patient"].rsplit("-", 1)[1])
        assert sample["values"] == [128.0]  # one point, not two
        assert sample["timestamps"] == [timestamp_ns(readings[n]) // 1_000_000]
    store.close()


@pytest.mark.parametrize("api", ["v1", "v2"])
def test_an_unreachable_server_is_unavailable_not_an_error_in_the_data(
    api: Literal["v1", "v2"],
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    store = InfluxStore(StoreSettings(backend="influxdb", url=url, api=api, timeout_s=2))
    with pytest.raises(StoreUnavailable, match="unreachable"):
        store.write_batch([wire(1)])
    with pytest.raises(StoreUnavailable):
        store.count()
    store.close()


def test_refused_data_is_a_store_error_with_the_servers_reason(influxd: Influxd) -> None:
    store = InfluxStore(StoreSettings(backend="influxdb", url=influxd.url, bucket="conflict"))
    assert store.count() == 0  # creates the database
    line = f'glucose,patient=p-x,driver=d,gateway=g glucose_mmol_l="high" {timestamp_ns(wire(1))}'
    influxd.write(line, db="conflict")  # someone else typed the field as text
    with pytest.raises(StoreError, match="field type conflict") as caught:
        store.write_batch([wire(2, kind=Kind.GLUCOSE), wire(3)])
    assert not isinstance(caught.value, StoreUnavailable)
    assert store.count() == 1  # 1.x keeps the good point of a partial write
    store.close()


@pytest.mark.parametrize(
    ("version", "api"),
    [
        ("1.6.7~rc0", "v1"),  # Debian 12, Raspberry Pi OS
        ("1.7.11", "v1"),
        ("1.8.10", "v2"),
        ("v2.7.11", "v2"),
        ("3.0.1", "v2"),
        ("", "v2"),
    ],
)
def test_write_api_by_server_version(version: str, api: str) -> None:
    assert write_api_for(version) == api
