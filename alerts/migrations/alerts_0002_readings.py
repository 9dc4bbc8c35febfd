"""alerts: readings the rule workers evaluated, one unresolved alert per condition

Before the unique index, twins left by the old race (two workers opening the
same condition) are resolved, all but the earliest, each with a timeline
entry saying why: the index would refuse the database otherwise.

Revision ID: alerts_0002
Revises: alerts_0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import veille.db

revision = "alerts_0002"
down_revision = "alerts_0001"
branch_labels = None
depends_on = None


_alerts = sa.table(
    "alerts",
    sa.column("id", sa.String),
    sa.column("patient_id", sa.String),
    sa.column("category", sa.String),
    sa.column("kind", sa.String),
    sa.column("severity", sa.String),
    sa.column("status", sa.String),
    sa.column("opened_at", veille.db.UTCDateTime()),
    sa.column("updated_at", veille.db.UTCDateTime()),
    sa.column("resolved_at", veille.db.UTCDateTime()),
)
_events = sa.table(
    "alert_events",
    sa.column("alert_id", sa.String),
    sa.column("change", sa.String),
    sa.column("at", veille.db.UTCDateTime()),
    sa.column("severity", sa.String),
    sa.column("message", sa.Text),
    sa.column("actor", sa.String),
)


def _resolve_twins() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_alerts.c.id, _alerts.c.category, _alerts.c.kind, _alerts.c.severity)
        .add_columns(_alerts.c.patient_id)
        .where(_alerts.c.status != "resolved")
        .order_by(_alerts.c.opened_at, _alerts.c.id)
    ).all()
    first: dict[tuple[str, str, str | None], str] = {}
    now = datetime.now(UTC)
    for row in rows:
        key = (row.patient_id, row.category, row.kind)
        if key not in first:
            first[key] = row.id
            continue
        bind.execute(
            _alerts.update()
            .where(_alerts.c.id == row.id)
            .values(status="resolved", resolved_at=now, updated_at=now)
        )
        bind.execute(
            _events.insert().values(
                alert_id=row.id,
                change="resolved",
                at=now,
                severity=row.severity,
                message=f"duplicate of alert {first[key]} (opened twice by two workers)",
                actor="migration alerts_0002",
            )
        )


def upgrade() -> None:
    _resolve_twins()
    op.create_index(
        "ux_alerts_open_condition",
        "alerts",
        ["patient_id", "category", "kind"],
        unique=True,
        sqlite_where=sa.text("status != 'resolved'"),
        postgresql_where=sa.text("status != 'resolved'"),
    )
    op.create_table(
        "alert_readings",
        sa.Column("reading_id", sa.String(length=32), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("measured_at", veille.db.UTCDateTime(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("recorded_at", veille.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("reading_id"),
    )
    op.create_index(
        "ix_alert_readings_patient_kind_time",
        "alert_readings",
        ["patient_id", "kind", "measured_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_alert_readings_recorded_at"), "alert_readings", ["recorded_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_readings_recorded_at"), table_name="alert_readings")
    op.drop_index("ix_alert_readings_patient_kind_time", table_name="alert_readings")
    op.drop_table("alert_readings")
    op.drop_index("ux_alerts_open_condition", table_name="alerts")
