"""The relational side: patients, care teams, consents, alerts, audit, accounts.

One SQLAlchemy declarative base for every package that keeps relational
state, so one database (SQLite by default, PostgreSQL on a server) holds it
all and one migration history covers it. Each package declares its own
tables in its own `models.py` on `Base`.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import Connection, DateTime, Dialect, Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:  # Alembic only where migrations run: the collector's start stays light
    from alembic.config import Config


class Base(DeclarativeBase):
    """Declarative base shared by `sharing`, `alerts` and `web` models."""


class DatabaseSettings(BaseModel):
    """``[database]``: one URL for every relational table (``VEILLE_DATABASE__URL``)."""

    url: str = "sqlite:///veille.db"


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend.

    SQLite keeps no time zone and hands back naive values; comparing those
    with aware ones raises. This column stores naive UTC and returns aware
    UTC, and refuses a naive value on the way in (an ambiguous local time).
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime, got a naive one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine; SQLite gets WAL and foreign keys, as a server database would enforce."""
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

    return engine


def create_schema(engine: Engine) -> None:
    """Create every table of every imported model (demo and tests; servers use Alembic)."""
    Base.metadata.create_all(engine)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with factory() as session, session.begin():
        yield session


#: Packages whose ``models`` module declares tables and whose ``migrations`` folder holds
#: their Alembic branch.
MODEL_PACKAGES = ("sharing", "alerts", "web", "collector", "fleet")


def import_models() -> None:
    """Import every package's ``models`` so `Base.metadata` knows all tables."""
    for package in MODEL_PACKAGES:
        if importlib.util.find_spec(f"{package}.models") is not None:
            importlib.import_module(f"{package}.models")


def _migration_config(connection: Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    locations = []
    for package in MODEL_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.submodule_search_locations:
            folder = Path(next(iter(spec.submodule_search_locations))) / "migrations"
            if folder.is_dir():
                locations.append(str(folder))
    config.set_main_option("version_locations", " ".join(locations))
    config.set_main_option("path_separator", "space")
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, target: str = "heads") -> None:
    """Bring a server database to every package's latest revision (Alembic)."""
    with engine.begin() as connection:
        from alembic import command

        command.upgrade(_migration_config(connection), target)
