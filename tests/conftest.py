"""Fixtures shared by the whole suite: real servers, started per test or per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.influx import Influxd, VictoriaMetrics
from tests.support.mosquitto import Mosquitto

DATA = Path(__file__).parent / "data"


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """A fresh mosquitto on a free loopback port; a missing binary fails loudly."""
    with Mosquitto(tmp_path / "mosquitto") as broker:
        yield broker


@pytest.fixture(scope="module")
def influxd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Influxd]:
    """Debian's InfluxDB 1.6 on free loopback ports, one per test module."""
    with Influxd(tmp_path_factory.mktemp("influxd")) as server:
        yield server


@pytest.fixture(scope="module")
def victoria(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VictoriaMetrics]:
    """VictoriaMetrics (InfluxDB v2 write API) on a free loopback port, one per module."""
    with VictoriaMetrics(tmp_path_factory.mktemp("victoria")) as server:
        yield server
