"""The ``web`` Alembic branch builds exactly the web models, and signing in works on it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import web.models
from sharing.identities import add_professional, add_team
from sharing.terms import Role
from tests.web.world import NOW, SECRET
from veille.db import Base, import_models, make_engine, session_factory, upgrade
from web.accounts import create_account, current, sign_in
from web.throttle import LockoutPolicy

WEB_TABLES = {
    str(mapper.class_.__tablename__)
    for mapper in Base.registry.mappers
    if mapper.class_.__module__ == web.models.__name__
}


def _table(diff: Any) -> str:
    if isinstance(diff, list):
        diff = diff[0]
    obj = diff[1]
    if hasattr(obj, "table"):
        return str(obj.table.name)
    if hasattr(obj, "parent"):
        return str(obj.parent.name)
    return str(getattr(obj, "name", diff[2]))


def test_web_branch_builds_the_models_and_sign_in_works(tmp_path: Path) -> None:
    import_models()
    assert {"web_accounts", "web_sessions", "web_sign_in_throttle"} == WEB_TABLES
    engine = make_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= WEB_TABLES
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(context, Base.metadata) if _table(d) in WEB_TABLES]
    assert diffs == []
    with session_factory(engine)() as s:
        team = add_team(s, "T")
        nurse = add_professional(s, "N", Role.NURSE, team_id=team.id)
        create_account(s, "n", "a long password", now=NOW, professional_id=nurse.id)
        s.commit()
        cookie, who = sign_in(
            s,
            "n",
            "a long password",
            source="127.0.0.1",
            now=NOW,
            key=SECRET.encode(),
            lifetime=timedelta(hours=1),
            policy=LockoutPolicy(5, 50, timedelta(minutes=5), timedelta(minutes=5)),
        )
        assert current(s, cookie, now=NOW, key=SECRET.encode()) == who
    engine.dispose()
