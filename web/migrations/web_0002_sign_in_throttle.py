"""web: sign-in throttle per account and source; the per-account lockout columns go

Revision ID: web_0002
Revises: web_0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import veille.db

revision = "web_0002"
down_revision = "web_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sign_in_throttle",
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", veille.db.UTCDateTime(), nullable=False),
        sa.Column("locked_until", veille.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("subject", "source"),
    )
    with op.batch_alter_table("web_accounts", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")


def downgrade() -> None:
    with op.batch_alter_table("web_accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("locked_until", veille.db.UTCDateTime(), nullable=True))
    op.drop_table("web_sign_in_throttle")
