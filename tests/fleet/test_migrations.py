"""The fleet's Alembic branch builds exactly its models (gateways, devices, history)."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import fleet.models
from tests.collector.test_migrations import _about
from veille.db import Base, make_engine, upgrade

TABLES = {
    str(mapper.class_.__tablename__)
    for mapper in Base.registry.mappers
    if mapper.class_.__module__ == fleet.models.__name__
}


def test_the_fleet_branch_builds_exactly_the_models(tmp_path: Path) -> None:
    assert {"fleet_gateways", "fleet_devices", "fleet_history"} == TABLES
    engine = make_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(context, Base.metadata) if _about(d) in TABLES]
    engine.dispose()
    assert diffs == []
