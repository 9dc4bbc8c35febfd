"""Assembling and running the collector from configuration (`veille collector run`)."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import Any

from collector.consumer import Collector, CollectorSettings
from collector.deadletter import DeadLetters
from collector.store import StoreSettings, dead_letter_path, open_store, sqlite_path
from veille.config import load_section
from veille.mqtt import BrokerSettings


def load_settings(
    config: Path | None, data_dir: Path | None, overrides: dict[str, Any]
) -> tuple[CollectorSettings, BrokerSettings, StoreSettings]:
    """``[collector]``, ``[broker]``, ``[store]``; ``--data-dir`` picks the SQLite layout."""
    store_defaults = {"path": str(sqlite_path(data_dir))} if data_dir else {}
    store = load_section(StoreSettings, "store", config, defaults=store_defaults)
    collector_defaults: dict[str, Any] = {}
    if data_dir is not None:
        collector_defaults["dead_letter_path"] = str(dead_letter_path(data_dir))
    elif store.backend == "sqlite":
        collector_defaults["dead_letter_path"] = str(dead_letter_path(store.path.parent))
    else:
        collector_defaults["dead_letter_path"] = "deadletter.sqlite"
    collector = load_section(CollectorSettings, "collector", config, defaults=collector_defaults)
    if overrides:
        collector = CollectorSettings.model_validate({**collector.model_dump(), **overrides})
    broker = load_section(BrokerSettings, "broker", config)
    return collector, broker, store


def run(
    collector: CollectorSettings, broker: BrokerSettings, store_settings: StoreSettings
) -> None:
    """Run until SIGTERM or SIGINT; whatever is not yet acknowledged stays with the broker."""
    store = open_store(store_settings)
    assert collector.dead_letter_path is not None
    letters = DeadLetters(collector.dead_letter_path)
    service = Collector(collector, broker, store, letters)

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        service.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        service.run()
    finally:
        store.close()
        letters.close()
