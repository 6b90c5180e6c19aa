"""agents per mission and project, and the mission thread (an agent's questions, the answers)

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-02 14:10:00

``missions.agent_name`` is the agent profile a person chose for a mission and
``projects.default_agent_name`` the project's; a flow's stage names its own in its ``stages``
JSON (no column). ``mission_messages`` is a replicated table: on PostgreSQL it joins the server
isolation of 0003 as 0005 did (listed in ``sync_replicated_tables``, row-level security by
organization, SELECT for the member group when one exists).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLE = "mission_messages"


def upgrade() -> None:
    with op.batch_alter_table("missions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agent_name", sa.String(length=255), nullable=True))
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("default_agent_name", sa.String(length=255), nullable=True))
    op.create_table(
        TABLE,
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("mission_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("author_kind", sa.String(length=16), nullable=False),
        sa.Column("author_user_id", sa.String(length=40), nullable=True),
        sa.Column("author_name", sa.String(length=255), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("parent_message_id", sa.String(length=40), nullable=True),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("hlc", sa.String(length=80), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("col_clocks", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mission_messages")),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mission_messages_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            "ix_mission_messages_thread", ["mission_id", "created_at"], unique=False
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
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index("ix_mission_messages_thread")
        batch_op.drop_index(batch_op.f("ix_mission_messages_organization_id"))
    op.drop_table(TABLE)
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("default_agent_name")
    with op.batch_alter_table("missions", schema=None) as batch_op:
        batch_op.drop_column("agent_name")
