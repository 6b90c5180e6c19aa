"""agent sessions: the agent CLI's own session id and cached input tokens

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-02 05:10:00

``code_agent_sessions.agent_session_id``: the conversation id the agent CLI reported (claude and
gemini ``session_id``), so a rejected or failed stage can resume that conversation.
``code_agent_sessions.cached_input_tokens``: how many of ``input_tokens`` came from the
provider's cache.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("code_agent_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cached_input_tokens", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("agent_session_id", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("code_agent_sessions", schema=None) as batch_op:
        batch_op.drop_column("agent_session_id")
        batch_op.drop_column("cached_input_tokens")
