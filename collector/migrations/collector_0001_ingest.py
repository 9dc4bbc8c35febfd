"""collector: which gateway serves which patient, and what each gateway had refused

Revision ID: collector_0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import veille.db

revision = "collector_0001"
down_revision = None
branch_labels = ("collector",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gateway_pairings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("gateway_id", sa.String(length=64), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("device_address", sa.String(length=64), nullable=True),
        sa.Column("paired_at", veille.db.UTCDateTime(), nullable=False),
        sa.Column("ended_at", veille.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_gateway_pairings_gateway", "gateway_pairings", ["gateway_id"])
    op.create_index(op.f("ix_gateway_pairings_patient_id"), "gateway_pairings", ["patient_id"])
    op.create_table(
        "gateway_refusals",
        sa.Column("gateway_id", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("reported", sa.Integer(), nullable=False),
        sa.Column("first_at", veille.db.UTCDateTime(), nullable=False),
        sa.Column("last_at", veille.db.UTCDateTime(), nullable=False),
        sa.Column("last_reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("gateway_id", "category"),
    )


def downgrade() -> None:
    op.drop_table("gateway_refusals")
    op.drop_index(op.f("ix_gateway_pairings_patient_id"), table_name="gateway_pairings")
    op.drop_index("ix_gateway_pairings_gateway", table_name="gateway_pairings")
    op.drop_table("gateway_pairings")
