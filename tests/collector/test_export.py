"""`veille export`: a patient's readings as JSON lines, from any store."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from collector.sqlite_store import SqliteStore
from collector.store import sqlite_path
from devices.reading import Kind
from tests.collector.factory import T0, wire
from tests.support.influx import Influxd
from veille.cli import main
from wire.reading import WireReading

READINGS = [
    wire(n, patient=f"p-{n % 2}", kind=(Kind.GLUCOSE, Kind.WEIGHT)[n % 3 == 0]) for n in range(12)
]


def _lines(capsys: pytest.CaptureFixture[str], argv: list[str]) -> list[dict[str, object]]:
    assert main(argv) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_export_from_a_data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = SqliteStore(sqlite_path(tmp_path))
    store.write_batch(READINGS)
    store.close()
    everything = _lines(capsys, ["export", "--data-dir", str(tmp_path)])
    expected = sorted(READINGS, key=lambda r: (r.patient, r.time))
    assert everything == [r.as_json() for r in expected]
    assert all(
        WireReading.decode(json.dumps(line)) for line in everything
    )  # the wire format, valid

    one = _lines(capsys, ["export", "--data-dir", str(tmp_path), "--patient", "p-1"])
    assert {line["patient"] for line in one} == {"p-1"}
    since = (T0 + timedelta(minutes=6)).isoformat()
    some = _lines(
        capsys,
        [
            "export",
            "--data-dir",
            str(tmp_path),
            "--patient",
            "p-0",
            "--since",
            since,
            "--kind",
            "weight",
        ],
    )
    assert [line["sequence"] for line in some] == [6]


def test_export_without_a_store_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--data-dir", str(tmp_path / "nowhere")]) == 2
    assert "no store" in capsys.readouterr().err


@pytest.mark.integration
def test_export_from_influxdb_through_the_config(
    influxd: Influxd,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "veille.toml"
    config.write_text(f'[store]\nbackend = "influxdb"\nurl = "{influxd.url}"\nbucket = "export"\n')
    from collector.backends import open_store
    from collector.store import StoreSettings

    store = open_store(StoreSettings(backend="influxdb", url=influxd.url, bucket="export"))
    store.write_batch(READINGS)
    store.close()
    monkeypatch.setenv("VEILLE_CONFIG", str(config))
    lines = _lines(capsys, ["export", "--patient", "p-1"])
    assert lines == [
        r.as_json() for r in sorted(READINGS, key=lambda r: r.time) if r.patient == "p-1"
    ]
