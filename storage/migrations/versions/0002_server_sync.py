"""server-only sync tables (PostgreSQL only; a no-op on the SQLite replica)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:20:00

``sync_org_seq``: the last server sequence per organization (assigned under a per-organization
transaction advisory lock, so sequence numbers become visible in commit order).
``sync_rows``: the change log, compacted per row: the server sequence of each row's last change.
``sync_sites``: the last change_id applied per replica (exactly-once pushes).
``sync_rejections``: changes refused for good, with a reason the replica can read.
``mission_claims``: exclusive leased claims with a fencing epoch (server clock only).
``sync_server_info``: protocol facts checked at connect.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SYNC_PROTOCOL = "1"


SCHEMA = [
    """
    CREATE TABLE sync_org_seq (
        organization_id varchar(40) PRIMARY KEY,
        last_seq bigint NOT NULL
    )
    """,
    """
    CREATE TABLE sync_rows (
        table_name varchar(64) NOT NULL,
        row_id varchar(40) NOT NULL,
        organization_id varchar(40) NOT NULL,
        server_seq bigint NOT NULL,
        PRIMARY KEY (table_name, row_id)
    )
    """,
    """
    CREATE INDEX ix_sync_rows_org_seq ON sync_rows (organization_id, server_seq)
    """,
    """
    CREATE TABLE sync_sites (
        site_id varchar(40) PRIMARY KEY,
        organization_id varchar(40) NOT NULL,
        last_change_id bigint NOT NULL DEFAULT 0,
        last_push_at timestamptz
    )
    """,
    """
    CREATE TABLE sync_rejections (
        id bigserial PRIMARY KEY,
        site_id varchar(40) NOT NULL,
        change_id bigint NOT NULL,
        table_name varchar(64) NOT NULL,
        row_id varchar(40) NOT NULL,
        organization_id varchar(40) NOT NULL,
        reason text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
    )
    """,
    """
    CREATE INDEX ix_sync_rejections_site ON sync_rejections (site_id, change_id)
    """,
    """
    CREATE TABLE mission_claims (
        mission_id varchar(40) PRIMARY KEY,
        organization_id varchar(40) NOT NULL,
        workstation_id varchar(40) NOT NULL,
        site_id varchar(40) NOT NULL,
        epoch bigint NOT NULL,
        claimed_at timestamptz NOT NULL DEFAULT now(),
        lease_expires_at timestamptz NOT NULL,
        released boolean NOT NULL DEFAULT false
    )
    """,
    """
    CREATE TABLE sync_server_info (
        key varchar(64) PRIMARY KEY,
        value text NOT NULL
    )
    """,
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in SCHEMA:
        op.execute(statement)
    op.execute(f"INSERT INTO sync_server_info (key, value) VALUES ('protocol', '{SYNC_PROTOCOL}')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "DROP TABLE sync_server_info, mission_claims, sync_rejections, sync_sites, sync_rows, "
        "sync_org_seq"
    )
