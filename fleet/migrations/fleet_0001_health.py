"""fleet: each gateway's latest health, its devices, and the history of its statuses

Revision ID: fleet_0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import veille.db

revision = "fleet_0001"
down_revision = None
branch_labels = ("fleet",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fleet_gateways",
        sa.Column("gateway_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_since", veille.db.UTCDateTime(), nullable=False),
        sa.Column("last_seen", veille.db.UTCDateTime(), nullable=True),
        sa.Column("updated_at", veille.db.UTCDateTime(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=True),
        sa.Column("uptime_s", sa.Float(), nullable=True),
        sa.Column("outbox_pending", sa.Integer(), nullable=True),
        sa.Column("outbox_oldest_s", sa.Float(), nullable=True),
        sa.Column("outbox_full", sa.Boolean(), nullable=True),
        sa.Column("clock_drift_s", sa.Float(), nullable=True),
        sa.Column("free_disk_mb", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("gateway_id"),
    )
    op.create_table(
        "fleet_devices",
        sa.Column("gateway_id", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("driver", sa.String(length=64), nullable=True),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("last_contact", veille.db.UTCDateTime(), nullable=True),
        sa.Column("last_reading", veille.db.UTCDateTime(), nullable=True),
        sa.Column("battery_pct", sa.Integer(), nullable=True),
        sa.Column("rssi_dbm", sa.Integer(), nullable=True),
        sa.Column("clock_drift_s", sa.Float(), nullable=True),
        sa.Column("updated_at", veille.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("gateway_id", "address"),
    )
    op.create_table(
        "fleet_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("gateway_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", veille.db.UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("retained", sa.Boolean(), nullable=False),
        sa.Column("outbox_pending", sa.Integer(), nullable=True),
        sa.Column("outbox_oldest_s", sa.Float(), nullable=True),
        sa.Column("clock_drift_s", sa.Float(), nullable=True),
        sa.Column("version", sa.String(length=64), nullable=True),
        sa.Column("free_disk_mb", sa.Float(), nullable=True),
        sa.Column("devices", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_fleet_history_gateway_at", "fleet_history", ["gateway_id", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_fleet_history_gateway_at", table_name="fleet_history")
    op.drop_table("fleet_history")
    op.drop_table("fleet_devices")
    op.drop_table("fleet_gateways")
