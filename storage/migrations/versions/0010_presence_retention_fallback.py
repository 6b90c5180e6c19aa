"""presence, retention and the rest of Mission Fallback

Revision ID: 0010
Revises: 0005
Create Date: 2026-12-02 14:00:00

``workstations.last_heartbeat_at``: written every ~45 s by a running board or ``work`` process;
a workstation whose heartbeat is older than the offline setting shows offline.
``mission_fallback_configs.monthly_target_hours`` (seed 001, default 120) and ``snoozed_until``
on configs, templates and items (status ``snoozed`` with an end time). Indexes for the daily
metrics (missions by creation and completion day, sessions by creation) and for retention.
Only columns and indexes: the tables are already replicated (see 0003/0005).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SNOOZABLE = ("mission_fallback_configs", "mission_fallback_templates", "mission_fallback_items")
INDEXES = (
    ("ix_missions_project_created", "missions", ["project_id", "created_at"]),
    ("ix_missions_project_completed", "missions", ["project_id", "completed_at"]),
    ("ix_code_agent_sessions_created", "code_agent_sessions", ["created_at"]),
    ("ix_fallback_runs_project_started", "mission_fallback_runs", ["project_id", "started_at"]),
)


def _when(name: str) -> sa.Column[object]:
    return sa.Column(name, storage.types.UTCDateTime(timezone=True), nullable=True)


def upgrade() -> None:
    with op.batch_alter_table("workstations", schema=None) as batch_op:
        batch_op.add_column(_when("last_heartbeat_at"))
    with op.batch_alter_table("mission_fallback_configs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("monthly_target_hours", sa.Integer(), nullable=False, server_default="120")
        )
    for table in SNOOZABLE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(_when("snoozed_until"))
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)
    for table in SNOOZABLE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("snoozed_until")
    with op.batch_alter_table("mission_fallback_configs", schema=None) as batch_op:
        batch_op.drop_column("monthly_target_hours")
    with op.batch_alter_table("workstations", schema=None) as batch_op:
        batch_op.drop_column("last_heartbeat_at")
