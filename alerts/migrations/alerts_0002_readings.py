"""alerts: readings the rule workers evaluated, one unresolved alert per condition

Revision ID: alerts_0002
Revises: alerts_0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import veille.db

revision = "alerts_0002"
down_revision = "alerts_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
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
