"""agent rate limits: a replicated row per (workstation, agent profile) while it is limited

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 05:30:00

On PostgreSQL the table joins the server isolation of 0003 the way 0003 set up its own
replicated tables: it is listed in ``sync_replicated_tables`` (so ``su_push``/``su_pull`` accept
it and ``su_admin_grant`` grants it to members invited from now on), row-level security shows
members only their organization's rows, and the member group, when one exists already, gets
SELECT on it (members never get INSERT, UPDATE or DELETE).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


TABLE = "code_agent_rate_limits"


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
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"INSERT INTO sync_replicated_tables (table_name) VALUES ('{TABLE}')")
    op.execute(f'ALTER TABLE "{TABLE}" ENABLE ROW LEVEL SECURITY')
    op.execute(
        f'CREATE POLICY su_organization ON "{TABLE}" FOR SELECT '
        "USING (organization_id = (SELECT su_current_org()))"
    )
    op.execute(
        "DO $$ DECLARE v_group text; BEGIN "
        "SELECT value INTO v_group FROM sync_server_info WHERE key = 'member_group'; "
        "IF v_group IS NOT NULL AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_group) "
        f"THEN EXECUTE format('GRANT SELECT ON {TABLE} TO %I', v_group); END IF; END $$"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DELETE FROM sync_replicated_tables WHERE table_name = '{TABLE}'")
    with op.batch_alter_table("code_agent_rate_limits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_code_agent_rate_limits_workstation_id"))
        batch_op.drop_index(batch_op.f("ix_code_agent_rate_limits_organization_id"))
    op.drop_table("code_agent_rate_limits")
