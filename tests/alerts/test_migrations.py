"""A server's database built by Alembic has exactly the alerts tables of the models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import alerts.models
from veille.db import Base, make_engine, upgrade

ALERT_TABLES = {
    str(mapper.class_.__tablename__)
    for mapper in Base.registry.mappers
    if mapper.class_.__module__ == alerts.models.__name__
}


def table_of(diff: Any) -> str | None:
    """The table a compare_metadata difference is about."""
    if isinstance(diff, list):
        return table_of(diff[0])
    kind, obj = diff[0], diff[1]
    if kind in {"add_table", "remove_table"}:
        return str(obj.name)
    if kind.endswith(("_index", "_constraint")):
        return str(obj.table.name)
    if kind.endswith("_fk"):
        return str(obj.parent.name)
    return str(diff[2])


def test_the_alerts_branch_builds_exactly_the_models(tmp_path: Path) -> None:
    assert {
        "alerts",
        "alert_events",
        "alert_deliveries",
        "alert_targets",
        "alert_readings",
    } == ALERT_TABLES
    engine = make_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= ALERT_TABLES
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(context, Base.metadata) if table_of(d) in ALERT_TABLES]
    assert diffs == []
    engine.dispose()
