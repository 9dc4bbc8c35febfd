"""sharing: an access code's download scope; break-glass team, sequence and justification

Revision ID: sharing_0002
Revises: sharing_0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sharing_0002"
down_revision = "sharing_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("access_codes", schema=None) as batch_op:
        # codes made before: charts only, the scope a patient reading docs/web.md expected
        batch_op.add_column(
            sa.Column("downloads", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("break_glass", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("follows_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("justification", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_break_glass_team_id"), ["team_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_break_glass_team_id_care_teams", "care_teams", ["team_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("break_glass", schema=None) as batch_op:
        batch_op.drop_constraint("fk_break_glass_team_id_care_teams", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_break_glass_team_id"))
        batch_op.drop_column("justification")
        batch_op.drop_column("follows_id")
        batch_op.drop_column("team_id")
    with op.batch_alter_table("access_codes", schema=None) as batch_op:
        batch_op.drop_column("downloads")
