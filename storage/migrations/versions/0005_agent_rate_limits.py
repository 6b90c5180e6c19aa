"""agent rate limits: a replicated row per (workstation, agent profile) while it is limited

Revision ID: 0005
Revises: 0002
Create Date: 2026-12-02 05:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "code_agent_rate_limits",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workstation_id", sa.String(length=40), nullable=False),
        sa.Column("agent_name", sa.String(length=255), nullable=False),
        sa.Column("agent_type", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rate_limit_reset_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rate_limit_reason", sa.Text(), nullable=True),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("hlc", sa.String(length=80), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("col_clocks", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_agent_rate_limits")),
    )
    with op.batch_alter_table("code_agent_rate_limits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_code_agent_rate_limits_organization_id"),
            ["organization_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_code_agent_rate_limits_workstation_id"),
            ["workstation_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("code_agent_rate_limits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_code_agent_rate_limits_workstation_id"))
        batch_op.drop_index(batch_op.f("ix_code_agent_rate_limits_organization_id"))
    op.drop_table("code_agent_rate_limits")
