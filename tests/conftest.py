"""Fixtures shared by the whole suite: real servers, started per test or per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.mosquitto import Mosquitto

DATA = Path(__file__).parent / "data"


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """A fresh mosquitto on a free loopback port; a missing binary fails loudly."""
    with Mosquitto(tmp_path / "mosquitto") as broker:
        yield broker
