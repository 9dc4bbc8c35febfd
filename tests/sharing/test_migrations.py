"""A server's database built by Alembic matches the models, and the service works on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

import sharing.models
from devices.reading import Kind
from sharing.access import authorize
from sharing.capability import ProfessionalUser
from sharing.grants import create_grant
from sharing.identities import add_patient, add_professional, add_team
from sharing.terms import Purpose, Role
from tests.sharing.conftest import NOW, later
from tests.support.postgres import Postgres
from veille.db import Base, _migration_config, make_engine, session_factory, upgrade

SHARING_TABLES = {
    str(mapper.class_.__tablename__)
    for mapper in Base.registry.mappers
    if mapper.class_.__module__ == sharing.models.__name__
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrated.db'}"
    else:
        server: Postgres = request.getfixturevalue("postgres")
        url = server.new_database()
    engine = make_engine(url)
    yield engine
    engine.dispose()


def _table_of(diff: Any) -> str | None:
    """The table a compare_metadata difference is about."""
    if isinstance(diff, list):
        return _table_of(diff[0])
    kind, obj = diff[0], diff[1]
    if kind in {"add_table", "remove_table"}:
        return str(obj.name)
    if kind in {"add_index", "remove_index", "add_constraint", "remove_constraint"}:
        return str(obj.table.name)
    if kind in {"add_column", "remove_column"}:
        return str(diff[2])
    if kind.startswith("modify_"):
        return str(diff[2])
    if kind in {"add_fk", "remove_fk"}:
        return str(obj.parent.name)
    return None


def test_the_sharing_branch_builds_exactly_the_models(empty_engine: Engine) -> None:
    assert {"patients", "grants", "access_codes", "audit_log", "break_glass"} <= SHARING_TABLES
    upgrade(empty_engine)
    assert set(inspect(empty_engine).get_table_names()) >= SHARING_TABLES
    with empty_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [
            d for d in compare_metadata(context, Base.metadata) if _table_of(d) in SHARING_TABLES
        ]
    assert diffs == []
    # and the service runs on it, check constraints included
    factory = session_factory(empty_engine)
    with factory() as s:
        add_patient(s, "p-1", now=NOW)
        team = add_team(s, "T")
        nurse = add_professional(s, "N", Role.NURSE, team_id=team.id)
        create_grant(
            s,
            "p-1",
            team_id=team.id,
            kinds=[Kind.WEIGHT],
            alerts=True,
            ends_at=later(days=1),
            now=NOW,
        )
        s.commit()
        cap = authorize(
            s, ProfessionalUser(nurse.id), "p-1", Kind.WEIGHT, Purpose.VIEW, later(hours=1)
        )
    assert cap.kinds == {Kind.WEIGHT}


def test_the_sharing_branch_downgrades_to_nothing(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    with empty_engine.begin() as conn:
        command.downgrade(_migration_config(conn), "sharing@base")
    assert not SHARING_TABLES & set(inspect(empty_engine).get_table_names())
