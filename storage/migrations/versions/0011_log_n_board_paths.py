"""O(log n) board paths: keyset windows, the dispatch pick, id tails, list counts

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 06:50:00

``ix_missions_board`` gains ``id`` (ties in ``list_order`` are broken by id, so a window is a
keyset range of the index with no sort). ``ix_missions_dispatch`` becomes (project, deleted,
ready, list, priority, list_order, id): the dispatcher reads one equality range per list and
priority, already in order. ``ix_github_pull_requests_mission_created``: a card's PR badge
reads its mission's newest PR without a sort. ``mission_list_counts``: the live missions per project and list, kept by triggers
on the replica (the board's unfiltered counts read one row instead of counting an index
range). On the replica (SQLite) only: the triggers, and an index on the id's last four
characters, lowercased (``lower(substr(id, -4))``), which a lookup by id tail names exactly.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COUNT_TRIGGERS = (
    """CREATE TRIGGER missions_count_insert AFTER INSERT ON missions WHEN NEW.deleted = 0
    BEGIN
        INSERT INTO mission_list_counts (project_id, list, live) VALUES (NEW.project_id, NEW.list, 1)
        ON CONFLICT (project_id, list) DO UPDATE SET live = live + 1;
    END""",
    """CREATE TRIGGER missions_count_delete AFTER DELETE ON missions WHEN OLD.deleted = 0
    BEGIN
        UPDATE mission_list_counts SET live = live - 1
        WHERE project_id = OLD.project_id AND list = OLD.list;
    END""",
    """CREATE TRIGGER missions_count_update AFTER UPDATE OF project_id, list, deleted ON missions
    WHEN OLD.project_id IS NOT NEW.project_id OR OLD.list IS NOT NEW.list
        OR OLD.deleted IS NOT NEW.deleted
    BEGIN
        UPDATE mission_list_counts SET live = live - 1
        WHERE OLD.deleted = 0 AND project_id = OLD.project_id AND list = OLD.list;
        INSERT INTO mission_list_counts (project_id, list, live)
        SELECT NEW.project_id, NEW.list, 1 WHERE NEW.deleted = 0
        ON CONFLICT (project_id, list) DO UPDATE SET live = live + 1;
    END""",
)
TRIGGER_NAMES = ("missions_count_insert", "missions_count_delete", "missions_count_update")


def upgrade() -> None:
    op.drop_index("ix_missions_board", table_name="missions")
    op.drop_index("ix_missions_dispatch", table_name="missions")
    op.create_index(
        "ix_missions_board", "missions", ["project_id", "deleted", "list", "list_order", "id"]
    )
    op.create_index(
        "ix_missions_dispatch",
        "missions",
        ["project_id", "deleted", "ready", "list", "priority", "list_order", "id"],
    )
    op.create_index(
        "ix_github_pull_requests_mission_created",
        "github_pull_requests",
        ["mission_id", "created_at"],
    )
    op.create_table(
        "mission_list_counts",
        sa.Column("project_id", sa.String(), nullable=False),
        sa.Column("list", sa.String(), nullable=False),
        sa.Column("live", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "list"),
    )
    if op.get_bind().dialect.name != "sqlite":
        return  # the server never reads the counts, and looks no id tail up
    op.execute("CREATE INDEX ix_missions_id_tail ON missions (lower(substr(id, -4)))")
    op.execute(
        "INSERT INTO mission_list_counts (project_id, list, live) SELECT project_id, list, "
        "count(*) FROM missions WHERE deleted = 0 GROUP BY project_id, list"
    )
    for trigger in COUNT_TRIGGERS:
        op.execute(trigger)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP INDEX ix_missions_id_tail")
    op.drop_table("mission_list_counts")
    op.drop_index("ix_github_pull_requests_mission_created", table_name="github_pull_requests")
    op.drop_index("ix_missions_dispatch", table_name="missions")
    op.drop_index("ix_missions_board", table_name="missions")
    op.create_index("ix_missions_dispatch", "missions", ["deleted", "ready", "list", "priority"])
    op.create_index(
        "ix_missions_board", "missions", ["project_id", "deleted", "list", "list_order"]
    )
