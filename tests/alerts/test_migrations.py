"""A server's database built by Alembic has exactly the alerts tables of the models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

import alerts.models
from veille.db import Base, _migration_config, make_engine, upgrade

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


def test_twin_open_alerts_left_by_the_old_race_are_resolved_before_the_unique_index(
    tmp_path: Path,
) -> None:
    """A database where two workers had opened the same condition still upgrades; the
    later twin is resolved, and its timeline says why."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "heads")
    with engine.begin() as conn:  # back to before alerts_0002, as an older server had it
        command.downgrade(_migration_config(conn), "alerts_0001")
    opened = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    with engine.begin() as conn:
        for alert_id, at in (("a" * 32, opened), ("b" * 32, opened + timedelta(seconds=1))):
            conn.execute(
                text(
                    "INSERT INTO alerts (id, patient_id, category, kind, severity, status,"
                    " opened_at, updated_at, message, magnitude, rule, rules_version,"
                    " reopen_hours, worse_step, escalation_level) VALUES (:id, 'p-1',"
                    " 'hypertension', 'blood_pressure', 'warning', 'open', :at, :at, 'm', 1.0,"
                    " 'r', 'v', 24.0, 10.0, 0)"
                ),
                {"id": alert_id, "at": at.strftime("%Y-%m-%d %H:%M:%S.%f")},
            )
    upgrade(engine)
    with engine.connect() as conn:
        statuses: dict[str, str] = dict(conn.execute(text("SELECT id, status FROM alerts")).all())
        why = conn.execute(
            text("SELECT change, message FROM alert_events WHERE alert_id = :id"), {"id": "b" * 32}
        ).all()
    assert statuses == {"a" * 32: "open", "b" * 32: "resolved"}
    assert why == [("resolved", f"duplicate of alert {'a' * 32} (opened twice by two workers)")]
    engine.dispose()
