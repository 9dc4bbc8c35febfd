"""Which `ReadingStore` back-end a ``[store] backend`` name opens: the registry.

The back-ends depend on `collector.store` (its settings, its series frame); the
store knows none of them. Each back-end registers here under its name, with a
factory that imports it only when chosen, so a collector on SQLite never loads
the InfluxDB client. A new back-end: its module, one entry in `BACKENDS`, one
name in `StoreSettings.backend` (docs/architecture.md, "Where to start").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from collector.store import ReadingStore, StoreSettings
from veille.errors import ConfigError


def _sqlite(settings: StoreSettings) -> ReadingStore:
    from collector.sqlite_store import SqliteStore

    return SqliteStore(settings.path, checkpoint_pages=settings.checkpoint_pages)


def _influxdb(settings: StoreSettings) -> ReadingStore:
    from collector.influx import InfluxStore

    return InfluxStore(settings)


#: backend name (``[store] backend``) -> how to open it
BACKENDS: Mapping[str, Callable[[StoreSettings], ReadingStore]] = {
    "sqlite": _sqlite,
    "influxdb": _influxdb,
}


def open_store(settings: StoreSettings) -> ReadingStore:
    """The backend the settings name; no connection is made until first use."""
    factory = BACKENDS.get(settings.backend)
    if factory is None:
        raise ConfigError(f"store.backend {settings.backend!r}: use one of {sorted(BACKENDS)}")
    return factory(settings)
