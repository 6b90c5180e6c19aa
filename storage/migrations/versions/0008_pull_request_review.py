"""pull request review: PR state on github_pull_requests, review comments, project PR settings

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-02 14:40:00

``github_pull_requests`` gains what a refresh learns (seed 000 columns: mergeable, mergeable
state, approval counts, merged/closed times; plus the checks status, the head commit it belongs
to and the ETag of the last answer, for conditional requests). ``github_pr_comments`` holds PR
review comments, review bodies and conversation comments, one row per GitHub comment (the id is
derived from the pull request and GitHub's id, so two replicas fetching the same comment write
the same row). ``projects`` gains the merge strategy, whether the branch is deleted after a
merge, and whether pull requests open as drafts.

On PostgreSQL the new table joins the server isolation of 0003 as 0005 did: listed in
``sync_replicated_tables``, row-level security by organization, SELECT for the member group.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLE = "github_pr_comments"
PR_COLUMNS = (
    "mergeable",
    "mergeable_state",
    "approved_reviews_count",
    "changes_requested_count",
    "checks_status",
    "head_sha",
    "etag",
    "github_merged_at",
    "github_closed_at",
)
PROJECT_COLUMNS = ("pr_merge_strategy", "pr_delete_branch_after_merge", "pr_draft")


def upgrade() -> None:
    when = storage.types.UTCDateTime(timezone=True)
    with op.batch_alter_table("github_pull_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mergeable", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("mergeable_state", sa.String(length=50), nullable=True))
        for count in ("approved_reviews_count", "changes_requested_count"):
            batch_op.add_column(sa.Column(count, sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("checks_status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("head_sha", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("etag", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("github_merged_at", when, nullable=True))
        batch_op.add_column(sa.Column("github_closed_at", when, nullable=True))
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "pr_merge_strategy", sa.String(length=16), nullable=False, server_default="squash"
            )
        )
        batch_op.add_column(
            sa.Column(
                "pr_delete_branch_after_merge",
                sa.Boolean(),
                nullable=False,
                server_default=sa.true(),
            )
        )
        batch_op.add_column(
            sa.Column("pr_draft", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        TABLE,
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("pull_request_id", sa.String(length=40), nullable=False),
        sa.Column("mission_id", sa.String(length=40), nullable=False),
        sa.Column("github_comment_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=True),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("review_state", sa.String(length=32), nullable=True),
        sa.Column("github_created_at", when, nullable=True),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("hlc", sa.String(length=80), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("col_clocks", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_github_pr_comments")),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_github_pr_comments_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_github_pr_comments_pull_request_id"), ["pull_request_id"], unique=False
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
        batch_op.drop_index(batch_op.f("ix_github_pr_comments_pull_request_id"))
        batch_op.drop_index(batch_op.f("ix_github_pr_comments_organization_id"))
    op.drop_table(TABLE)
    with op.batch_alter_table("projects", schema=None) as batch_op:
        for column in PROJECT_COLUMNS:
            batch_op.drop_column(column)
    with op.batch_alter_table("github_pull_requests", schema=None) as batch_op:
        for column in PR_COLUMNS:
            batch_op.drop_column(column)
