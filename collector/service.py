"""Assembling and running the collector from configuration (`veille collector run`).

``[collector] workers = N`` runs N processes in one MQTT 5 shared-subscription
group (client ids ``<client_id>``, ``<client_id>-1``, ...): one Python process
is bound to one core by its interpreter lock, and the broker spreads the
readings over the group exactly as it would over collectors on other hosts.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from collector.admission import Admission
from collector.authority import DbAuthority
from collector.backends import open_store
from collector.consumer import Collector, CollectorSettings
from collector.deadletter import DeadLetters
from collector.poison import PoisonJournal
from collector.store import StoreSettings, dead_letter_path, sqlite_path
from veille import logs
from veille.config import load_section
from veille.db import DatabaseSettings, create_schema, make_engine, session_factory
from veille.errors import ConfigError
from veille.gcpolicy import settle_after_startup
from veille.mqtt import BrokerSettings


def load_settings(
    config: Path | None, data_dir: Path | None, overrides: dict[str, Any]
) -> tuple[CollectorSettings, BrokerSettings, StoreSettings, DatabaseSettings]:
    """``[collector]``, ``[broker]``, ``[store]``, ``[database]`` (the pairings that say
    which gateway serves which patient); ``--data-dir`` picks the SQLite layout."""
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
    db_defaults = {"url": f"sqlite:///{data_dir / 'veille.db'}"} if data_dir else {}
    database = load_section(DatabaseSettings, "database", config, defaults=db_defaults)
    return collector, broker, store, database


def admission(collector: CollectorSettings, database: DatabaseSettings) -> Admission:
    """Plausibility and authority over the relational database's pairings.

    The tables are created when missing (SQLite, demo); a server runs
    ``veille sharing migrate`` first, which includes the collector's branch."""
    engine = make_engine(database.url)
    if engine.dialect.name == "sqlite":  # a server's schema comes from its migrations
        create_schema(engine)
    authority = DbAuthority(session_factory(engine), refresh_s=collector.pairings_refresh_s)
    return Admission(authority, collector.plausibility)


def poison_path(dead_letters: Path) -> Path:
    """The poison journal lives beside the dead letters (one per host, shared by workers)."""
    return dead_letters.with_name("poison.sqlite")


def _serve(
    collector: CollectorSettings,
    broker: BrokerSettings,
    store_settings: StoreSettings,
    database: DatabaseSettings,
    *,
    extra: bool,
    parent: int | None = None,
) -> None:
    store = open_store(store_settings)
    if collector.dead_letter_path is None:
        raise ConfigError("[collector] dead_letter_path is not set and no store gives a default")
    letters = DeadLetters(collector.dead_letter_path)
    journal = PoisonJournal(poison_path(collector.dead_letter_path), collector.client_id)
    service = Collector(collector, broker, store, letters, admission(collector, database), journal)
    service.requires_v5 = extra

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        service.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if parent is not None:  # an orphaned worker stops (its parent was killed)
        threading.Thread(target=_watch_parent, args=(parent, service), daemon=True).start()
    settle_after_startup()
    try:
        service.run()
    finally:
        store.close()
        letters.close()
        journal.close()


def _watch_parent(parent: int, service: Collector) -> None:
    while os.getppid() == parent:
        threading.Event().wait(1.0)
    service.stop()


def _worker(index: int, settings: str, broker: str, store: str, database: str, parent: int) -> None:
    logs.configure()
    collector = CollectorSettings.model_validate_json(settings)
    collector = collector.model_copy(update={"client_id": f"{collector.client_id}-{index}"})
    _serve(
        collector,
        BrokerSettings.model_validate_json(broker),
        StoreSettings.model_validate_json(store),
        DatabaseSettings.model_validate_json(database),
        extra=True,
        parent=parent,
    )


def run(
    collector: CollectorSettings,
    broker: BrokerSettings,
    store_settings: StoreSettings,
    database: DatabaseSettings,
) -> None:
    """Run until SIGTERM or SIGINT; whatever is not yet acknowledged stays with the broker."""
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(
            target=_worker,
            args=(
                index,
                collector.model_dump_json(),
                broker.model_dump_json(),
                store_settings.model_dump_json(),
                database.model_dump_json(),
                os.getpid(),
            ),
            daemon=False,
        )
        for index in range(1, collector.workers)
    ]
    for worker in workers:
        worker.start()
    try:
        _serve(collector, broker, store_settings, database, extra=False)
    finally:
        for worker in workers:
            worker.terminate()  # SIGTERM: each finishes its batch or leaves it unacked
        for worker in workers:
            worker.join(30)
