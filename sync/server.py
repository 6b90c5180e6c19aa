"""Thin callers of the server's sync functions (migration 0003): push, pull, claims, identity.

Everything that decides runs in PostgreSQL as ``SECURITY DEFINER`` functions that take the
organization from the connecting role, so a replica's code cannot reach another
organization's rows whatever it sends (see ``storage/migrations/versions/0003_…``). Push is
one transaction: a per-organization advisory lock serialises writers, so server sequence
numbers become visible in commit order; the site's last applied change_id advances in the same
transaction (a retried batch is ignored); changes refused for good are recorded in
``sync_rejections`` and acknowledged, so they never block the queue.

An *administrator* connection (the role that ran ``server upgrade``) has no organization of its
own unless mapped; it chooses one per session with :func:`use_organization`. A member role is
bound to its organization and cannot choose.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from storage.hlc import SERVER_NOW_MS_SQL
from storage.models import REPLICATED_TABLES
from sync.errors import NotAMemberError, OrganizationMismatchError, SyncError
from sync.protocol import Change, PullBatch, PushResult, Rejection

#: Errors that mean "this change can never apply" (bad data), not "try again later".
PERMANENT_ERRORS = (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError)

#: SQLSTATEs the sync functions raise (see migration 0003).
NOT_A_MEMBER = "SU001"
SITE_OF_ANOTHER_ORGANIZATION = "SU002"
NO_ORGANIZATION_CHOSEN = "SU004"


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Identity:
    """Who the server says this connection is."""

    role: str
    organization_id: str | None
    is_admin: bool
    notify_channel: str | None


def server_error(error: asyncpg.PostgresError) -> SyncError | None:
    """A sync function's own refusal as a :class:`SyncError` (None for any other error)."""
    state = getattr(error, "sqlstate", None)
    message = getattr(error, "message", None) or str(error)
    if state == NOT_A_MEMBER:
        return NotAMemberError(
            f"{message}: the administrator may have revoked it; ask for a new invite "
            "('solo-unicorn server invite') and run 'solo-unicorn server login' with it"
        )
    if state in (SITE_OF_ANOTHER_ORGANIZATION, NO_ORGANIZATION_CHOSEN):
        return OrganizationMismatchError(message)
    if isinstance(error, asyncpg.InsufficientPrivilegeError):
        return NotAMemberError(
            f"the sync server refused this role ({message}): it is not a member role of this "
            "server; ask the administrator for an invite"
        )
    return None


async def _call(conn: asyncpg.Connection, method: str, query: str, *args: Any) -> Any:
    try:
        return await getattr(conn, method)(query, *args)
    except asyncpg.PostgresError as error:
        mapped = server_error(error)
        if mapped is None:
            raise
        raise mapped from None


async def whoami(conn: asyncpg.Connection) -> Identity:
    row = await _call(conn, "fetchrow", "SELECT * FROM su_whoami()")
    return Identity(
        row["role_name"], row["organization_id"], row["is_admin"], row["notify_channel"]
    )


async def use_organization(conn: asyncpg.Connection, organization_id: str) -> str:
    """Administrator: sync ``organization_id`` on this session. Member: return its own."""
    return await _call(conn, "fetchval", "SELECT su_use_organization($1)", organization_id)


async def organizations(conn: asyncpg.Connection) -> list[str]:
    """Every organization (administrator) or the role's own (member)."""
    return [r[0] for r in await _call(conn, "fetch", "SELECT su_organizations()")]


async def first_project(conn: asyncpg.Connection) -> str | None:
    return await _call(conn, "fetchval", "SELECT su_first_project()")


async def schema_version(conn: asyncpg.Connection) -> str | None:
    return await conn.fetchval("SELECT su_schema_version()")


def _wire(change: Change) -> dict[str, Any]:
    return {
        "change_id": change.change_id,
        "table_name": change.table_name,
        "row_id": change.row_id,
        "organization_id": change.organization_id,
        "hlc": change.hlc,
        "values": change.values,
    }


def _result(data: dict[str, Any]) -> PushResult:
    return PushResult(
        acked_change_id=int(data["acked"]),
        applied=int(data.get("applied", 0)),
        duplicates=int(data.get("duplicates", 0)),
        rejections=[
            Rejection(int(r["change_id"]), r["table_name"], r["row_id"], r["reason"])
            for r in data.get("rejections", [])
        ],
    )


async def apply_push(
    conn: asyncpg.Connection,
    site_id: str,
    changes: Sequence[Change],
    *,
    before_commit: Callable[[], Awaitable[None]] | None = None,
) -> PushResult:
    """Apply one batch in one transaction; return what the replica may drop from its outbox."""
    payload = [_wire(c) for c in changes]  # the connection's jsonb codec encodes it
    async with conn.transaction():
        data = await _call(conn, "fetchval", "SELECT su_push($1, $2::jsonb)", site_id, payload)
        if before_commit is not None:
            await before_commit()
    return _result(data)


async def reject(conn: asyncpg.Connection, site_id: str, change: Change, reason: str) -> PushResult:
    """Acknowledge one change as refused for good, so it never blocks the queue."""
    data = await _call(
        conn,
        "fetchval",
        "SELECT su_reject($1, $2, $3, $4, $5)",
        site_id,
        change.change_id,
        change.table_name,
        change.row_id,
        reason,
    )
    if data.get("duplicates"):
        return PushResult(acked_change_id=int(data["acked"]), duplicates=1)
    rejection = Rejection(change.change_id, change.table_name, change.row_id, reason)
    return PushResult(acked_change_id=int(data["acked"]), rejections=[rejection])


async def fetch_changes(conn: asyncpg.Connection, cursor: int, limit: int) -> PullBatch:
    """Rows of this organization changed after ``cursor``, in server order, one snapshot."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        window = await _call(
            conn, "fetchrow", "SELECT * FROM su_pull_window($1, $2)", cursor, limit
        )
        if window["upto"] is None:
            return PullBatch({}, cursor)
        rows: dict[str, list[dict[str, Any]]] = {}
        for table_name in window["tables"]:
            if table_name not in REPLICATED_TABLES:
                continue
            records = await conn.fetch(
                f"SELECT * FROM su_pull_rows(NULL::{q(table_name)}, $1, $2)",
                cursor,
                window["upto"],
            )
            rows[table_name] = [dict(r) for r in records]
        return PullBatch(rows, int(window["upto"]))


async def rows_by_id(
    conn: asyncpg.Connection, table_name: str, row_ids: Sequence[str]
) -> list[dict[str, Any]]:
    """The server's current rows of ``table_name`` with these ids (row-level security keeps
    them to this organization); an id the server does not hold is simply absent."""
    if table_name not in REPLICATED_TABLES:
        return []
    records = await _call(
        conn, "fetch", f"SELECT * FROM {q(table_name)} WHERE id = ANY($1::text[])", list(row_ids)
    )
    return [dict(r) for r in records]


async def now_ms(conn: asyncpg.Connection) -> int:
    """The server's time in milliseconds since the epoch (what the clock-skew bound uses)."""
    return int(await _call(conn, "fetchval", f"SELECT {SERVER_NOW_MS_SQL}"))


async def remaining_changes(conn: asyncpg.Connection, cursor: int) -> int:
    return await _call(conn, "fetchval", "SELECT su_pending($1)", cursor)


async def site_last_change(conn: asyncpg.Connection, site_id: str) -> int:
    return await _call(conn, "fetchval", "SELECT su_site_last_change($1)", site_id)


async def rejections_for(
    conn: asyncpg.Connection, site_id: str, limit: int = 20
) -> list[dict[str, Any]]:
    records = await _call(conn, "fetch", "SELECT * FROM su_rejections($1, $2)", site_id, limit)
    return [dict(r) for r in records]


# --- claims -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimReply:
    """The server's answer to a claim: ``epoch`` when won, else the holder (or a refusal)."""

    claimed: bool
    epoch: int | None = None
    holder_workstation_id: str | None = None
    lease_expires_at: str | None = None
    refused: str | None = None
    #: The server's view when the claimant's was stale: list, stage, deleted, last_session_id.
    stale: dict[str, Any] | None = None


async def claim(
    conn: asyncpg.Connection,
    mission_id: str,
    workstation_id: str,
    site_id: str,
    lease_seconds: float,
    options: dict[str, Any] | None = None,
) -> ClaimReply:
    data = await _call(
        conn,
        "fetchval",
        "SELECT su_claim($1, $2, $3, $4, $5::jsonb)",
        mission_id,
        workstation_id,
        site_id,
        lease_seconds,
        options or {},
    )
    return ClaimReply(
        claimed=bool(data.get("claimed")),
        epoch=data.get("epoch"),
        holder_workstation_id=data.get("holder_workstation_id"),
        lease_expires_at=data.get("lease_expires_at"),
        refused=data.get("refused"),
        stale=data.get("stale"),
    )


async def renew(
    conn: asyncpg.Connection, mission_id: str, epoch: int, workstation_id: str, lease: float
) -> int | None:
    return await _call(
        conn,
        "fetchval",
        "SELECT su_renew($1, $2, $3, $4)",
        mission_id,
        epoch,
        workstation_id,
        lease,
    )


async def release(
    conn: asyncpg.Connection, mission_id: str, epoch: int, workstation_id: str
) -> bool:
    return await _call(
        conn, "fetchval", "SELECT su_release($1, $2, $3)", mission_id, epoch, workstation_id
    )


async def claim_holder(conn: asyncpg.Connection, mission_id: str) -> dict[str, Any] | None:
    row = await _call(conn, "fetchrow", "SELECT * FROM su_claim_holder($1)", mission_id)
    return dict(row) if row is not None else None
