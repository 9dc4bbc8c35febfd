"""Alembic's entry point: migrate the connection `veille.db.upgrade` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from veille.db import Base, import_models

import_models()
connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through veille.db.upgrade(engine)")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copy
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
