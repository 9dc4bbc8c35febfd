"""alerts: structured parameters, who or what closed an alert and why, and its review

Alerts resolved before this revision are marked ``resolution = 'legacy'`` and
reviewed at their resolution time (by nobody): nobody can review years of
history again, and the inbox's "to review" list starts with what comes next.
Open alerts stay to review.

Revision ID: alerts_0003
Revises: alerts_0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

import veille.db

revision = "alerts_0003"
down_revision = "alerts_0002"
branch_labels = None
depends_on = None

_Columns = tuple[tuple[str, sa.types.TypeEngine[Any]], ...]
_ALERT_COLUMNS: _Columns = (
    ("params", sa.JSON()),
    ("resolution", sa.String(length=16)),
    ("resolved_by", sa.String(length=64)),
    ("resolution_note", sa.Text()),
    ("resolved_reading_id", sa.String(length=32)),
    ("reviewed_by", sa.String(length=64)),
    ("reviewed_at", veille.db.UTCDateTime()),
    ("review_note", sa.Text()),
)
_EVENT_COLUMNS: _Columns = (
    ("note", sa.Text()),
    ("reading_id", sa.String(length=32)),
    ("params", sa.JSON()),
)


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        for name, type_ in _ALERT_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("alert_events") as batch:
        for name, type_ in _EVENT_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    alerts = sa.table(
        "alerts",
        sa.column("status", sa.String),
        sa.column("resolution", sa.String),
        sa.column("resolved_at", veille.db.UTCDateTime()),
        sa.column("reviewed_at", veille.db.UTCDateTime()),
    )
    op.get_bind().execute(
        alerts.update()
        .where(alerts.c.status == "resolved")
        .values(resolution="legacy", reviewed_at=alerts.c.resolved_at)
    )


def downgrade() -> None:
    with op.batch_alter_table("alert_events") as batch:
        for name, _type in reversed(_EVENT_COLUMNS):
            batch.drop_column(name)
    with op.batch_alter_table("alerts") as batch:
        for name, _type in reversed(_ALERT_COLUMNS):
            batch.drop_column(name)
