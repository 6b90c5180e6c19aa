"""The server side of sync, run inside the replica's asyncpg connection.

Push applies a batch of changes in one transaction: a per-organization transaction advisory
lock serialises writers of an organization, so server sequence numbers are assigned and become
visible in commit order (a puller never moves past a sequence that commits later). The site's
last applied change_id advances in the same transaction, so a retried batch is ignored, and
changes refused for good are recorded in ``sync_rejections`` and acknowledged, so they never
block the queue. Organization boundaries are checked here, not only in the client's filter.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
from sqlalchemy import Table

from storage.codec import decode_row
from storage.models import REPLICATED_TABLES, Organization
from sync.errors import OrganizationMismatchError
from sync.merge import merge_columns, outbox_clocks, row_stamp
from sync.protocol import NOTIFY_CHANNEL, Change, PullBatch, PushResult, Rejection

ORG_TABLE = Organization.__tablename__


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def scope_of(table_name: str, row_id: str, organization_id: str) -> str:
    """The organization a row belongs to (an organization row belongs to itself)."""
    return row_id if table_name == ORG_TABLE else organization_id


def _required(table: Table) -> dict[str, Any]:
    """Columns a brand-new server row must have: name → scalar default (or ``...`` if none)."""
    out: dict[str, Any] = {}
    for column in table.columns:
        if column.nullable or column.name in ("id", "organization_id", "hlc", "site_id"):
            continue
        if column.name == "col_clocks":
            continue
        default = column.default
        out[column.name] = default.arg if default is not None and default.is_scalar else ...
    return out


async def lock_organization(conn: asyncpg.Connection, organization_id: str) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", organization_id)


async def apply_push(
    conn: asyncpg.Connection,
    site_id: str,
    organization_id: str,
    changes: Sequence[Change],
    *,
    before_commit: Callable[[], Awaitable[None]] | None = None,
) -> PushResult:
    """Apply one batch in one transaction; return what the replica may drop from its outbox."""
    async with conn.transaction():
        await lock_organization(conn, organization_id)
        site = await conn.fetchrow(
            "SELECT organization_id, last_change_id FROM sync_sites WHERE site_id = $1 FOR UPDATE",
            site_id,
        )
        if site is None:
            await conn.execute(
                "INSERT INTO sync_sites (site_id, organization_id) VALUES ($1, $2)",
                site_id,
                organization_id,
            )
            last = 0
        elif site["organization_id"] != organization_id:
            raise OrganizationMismatchError(
                f"replica {site_id} is registered on the server for organization "
                f"{site['organization_id']}, not {organization_id}: this replica cannot sync here"
            )
        else:
            last = site["last_change_id"]
        result = PushResult(acked_change_id=last)
        fresh = [c for c in changes if c.change_id > last]
        result.duplicates = len(changes) - len(fresh)
        if not fresh:
            return result
        state = await _load_rows(conn, fresh)
        epochs = await _claim_epochs(conn, fresh)
        touched: dict[tuple[str, str], int] = {}
        for change in fresh:
            reason = _check(change, organization_id, state) or _fence(change, epochs)
            if reason:
                result.rejections.append(
                    Rejection(change.change_id, change.table_name, change.row_id, reason)
                )
                continue
            key = (change.table_name, change.row_id)
            row = state.get(key)
            if row is None:
                row = state[key] = {"new": True, "clocks": {}, "values": {}}
            table = REPLICATED_TABLES[change.table_name]
            values = decode_row(table, change.values)
            wins, clocks = merge_columns(row["clocks"], values, outbox_clocks(values, change.hlc))
            if wins:
                row["values"].update(wins)
                row["clocks"] = clocks
                touched[key] = change.change_id
        written = await _write_rows(conn, organization_id, state, touched, result)
        if written:
            top = await conn.fetchval(
                "INSERT INTO sync_org_seq AS s (organization_id, last_seq) VALUES ($1, $2) "
                "ON CONFLICT (organization_id) DO UPDATE SET last_seq = s.last_seq + $2 "
                "RETURNING last_seq",
                organization_id,
                len(written),
            )
            first = top - len(written) + 1
            await conn.executemany(
                "INSERT INTO sync_rows (table_name, row_id, organization_id, server_seq) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT (table_name, row_id) "
                "DO UPDATE SET server_seq = EXCLUDED.server_seq",
                [(t, r, organization_id, first + i) for i, (t, r) in enumerate(written)],
            )
            await conn.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL, organization_id)
        if result.rejections:
            await conn.executemany(
                "INSERT INTO sync_rejections (site_id, change_id, table_name, row_id, "
                "organization_id, reason) VALUES ($1, $2, $3, $4, $5, $6)",
                [
                    (site_id, r.change_id, r.table_name, r.row_id, organization_id, r.reason)
                    for r in result.rejections
                ],
            )
        result.acked_change_id = max(c.change_id for c in fresh)
        result.applied = len(fresh) - len(result.rejections)
        await conn.execute(
            "UPDATE sync_sites SET last_change_id = $2, last_push_at = now() WHERE site_id = $1",
            site_id,
            result.acked_change_id,
        )
        if before_commit is not None:
            await before_commit()
    return result


#: Errors that mean "this change can never apply" (bad data), not "try again later".
PERMANENT_ERRORS = (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError)


async def reject(
    conn: asyncpg.Connection, site_id: str, organization_id: str, change: Change, reason: str
) -> PushResult:
    """Acknowledge one change as refused for good, so it never blocks the queue."""
    async with conn.transaction():
        await lock_organization(conn, organization_id)
        last = await conn.fetchval(
            "SELECT last_change_id FROM sync_sites WHERE site_id = $1 FOR UPDATE", site_id
        )
        if last is not None and change.change_id <= last:
            return PushResult(acked_change_id=last, duplicates=1)
        await conn.execute(
            "INSERT INTO sync_rejections (site_id, change_id, table_name, row_id, "
            "organization_id, reason) VALUES ($1, $2, $3, $4, $5, $6)",
            site_id,
            change.change_id,
            change.table_name,
            change.row_id,
            organization_id,
            reason,
        )
        await conn.execute(
            "INSERT INTO sync_sites AS s (site_id, organization_id, last_change_id, last_push_at) "
            "VALUES ($1, $2, $3, now()) ON CONFLICT (site_id) DO UPDATE "
            "SET last_change_id = EXCLUDED.last_change_id, last_push_at = now()",
            site_id,
            organization_id,
            change.change_id,
        )
    rejection = Rejection(change.change_id, change.table_name, change.row_id, reason)
    return PushResult(acked_change_id=change.change_id, rejections=[rejection])


def _check(change: Change, organization_id: str, state: dict[tuple[str, str], Any]) -> str:
    if change.table_name not in REPLICATED_TABLES:
        return f"unknown table {change.table_name!r}"
    scope = scope_of(change.table_name, change.row_id, change.organization_id)
    if scope != organization_id:
        return f"row belongs to organization {scope!r}, this replica syncs {organization_id!r}"
    row = state.get((change.table_name, change.row_id))
    if row is not None and not row["new"] and row["organization_id"] != organization_id:
        return (
            f"row {change.row_id} exists on the server in organization "
            f"{row['organization_id']!r}, not {organization_id!r}"
        )
    return ""


_FENCED = {"missions": "id", "code_agent_sessions": "mission_id"}


def _fenced_mission(change: Change) -> str | None:
    """The mission whose claim a change depends on, if it carries a claim epoch."""
    key = _FENCED.get(change.table_name)
    if key is None or not change.values.get("claim_epoch"):
        return None
    return change.row_id if key == "id" else change.values.get("mission_id")


async def _claim_epochs(conn: asyncpg.Connection, changes: Sequence[Change]) -> dict[str, int]:
    ids = {m for m in map(_fenced_mission, changes) if m}
    if not ids:
        return {}
    records = await conn.fetch(
        "SELECT mission_id, epoch FROM mission_claims WHERE mission_id = ANY($1::varchar[])",
        list(ids),
    )
    return {r["mission_id"]: r["epoch"] for r in records}


def _fence(change: Change, epochs: dict[str, int]) -> str:
    """Claim fencing: a write carrying an older claim epoch than the server's is stale."""
    mission_id = _fenced_mission(change)
    if mission_id is None or mission_id not in epochs:
        return ""
    epoch = int(change.values["claim_epoch"])
    if epoch < epochs[mission_id]:
        return (
            f"stale claim epoch {epoch} for mission {mission_id}: the server's claim is at "
            f"epoch {epochs[mission_id]}"
        )
    return ""


async def _load_rows(
    conn: asyncpg.Connection, changes: Sequence[Change]
) -> dict[tuple[str, str], dict[str, Any]]:
    ids: dict[str, set[str]] = {}
    for change in changes:
        if change.table_name in REPLICATED_TABLES:
            ids.setdefault(change.table_name, set()).add(change.row_id)
    state: dict[tuple[str, str], dict[str, Any]] = {}
    for table_name, row_ids in ids.items():
        records = await conn.fetch(
            f"SELECT id, organization_id, col_clocks FROM {q(table_name)} "
            "WHERE id = ANY($1::varchar[]) FOR UPDATE",
            list(row_ids),
        )
        for record in records:
            state[(table_name, record["id"])] = {
                "new": False,
                "organization_id": record["organization_id"],
                "clocks": dict(record["col_clocks"] or {}),
                "values": {},
            }
    return state


async def _write_rows(
    conn: asyncpg.Connection,
    organization_id: str,
    state: dict[tuple[str, str], dict[str, Any]],
    touched: dict[tuple[str, str], int],
    result: PushResult,
) -> list[tuple[str, str]]:
    """Write merged rows; return the (table, id) pairs written, in a stable order."""
    inserts: dict[tuple[str, tuple[str, ...]], list[tuple[Any, ...]]] = {}
    written: list[tuple[str, str]] = []
    for (table_name, row_id), change_id in touched.items():
        row = state[(table_name, row_id)]
        table = REPLICATED_TABLES[table_name]
        hlc, writer = row_stamp(row["clocks"])
        values = {
            **row["values"],
            "col_clocks": row["clocks"],
            "hlc": hlc,
            "site_id": writer,
        }
        if row["new"]:
            for column, default in _required(table).items():
                if column not in values and default is not ...:
                    values[column] = default
            missing = [c for c in _required(table) if c not in values]
            if missing:
                result.rejections.append(
                    Rejection(
                        change_id,
                        table_name,
                        row_id,
                        f"change to a row the server never saw (missing {', '.join(missing)})",
                    )
                )
                continue
            values["id"] = row_id
            values["organization_id"] = organization_id
            columns = tuple(sorted(values))
            inserts.setdefault((table_name, columns), []).append(tuple(values[c] for c in columns))
        else:
            columns = sorted(values)
            sets = ", ".join(f"{q(c)} = ${i + 2}" for i, c in enumerate(columns))
            await conn.execute(
                f"UPDATE {q(table_name)} SET {sets} WHERE id = $1",
                row_id,
                *(values[c] for c in columns),
            )
        written.append((table_name, row_id))
    for (table_name, columns), rows in inserts.items():
        placeholders = ", ".join(f"${i + 1}" for i in range(len(columns)))
        await conn.executemany(
            f"INSERT INTO {q(table_name)} ({', '.join(q(c) for c in columns)}) "
            f"VALUES ({placeholders})",
            rows,
        )
    return written


async def fetch_changes(
    conn: asyncpg.Connection, organization_id: str, cursor: int, limit: int
) -> PullBatch:
    """Rows of this organization changed after ``cursor``, in server order, one snapshot."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        refs = await conn.fetch(
            "SELECT table_name, row_id, server_seq FROM sync_rows "
            "WHERE organization_id = $1 AND server_seq > $2 ORDER BY server_seq LIMIT $3",
            organization_id,
            cursor,
            limit,
        )
        if not refs:
            return PullBatch({}, cursor)
        ids: dict[str, list[str]] = {}
        for ref in refs:
            ids.setdefault(ref["table_name"], []).append(ref["row_id"])
        rows: dict[str, list[dict[str, Any]]] = {}
        for table_name, row_ids in ids.items():
            if table_name not in REPLICATED_TABLES:
                continue
            records = await conn.fetch(
                f"SELECT * FROM {q(table_name)} WHERE id = ANY($1::varchar[]) "
                "AND organization_id = $2",
                row_ids,
                organization_id,
            )
            rows[table_name] = [dict(r) for r in records]
        return PullBatch(rows, refs[-1]["server_seq"])


async def remaining_changes(conn: asyncpg.Connection, organization_id: str, cursor: int) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM sync_rows WHERE organization_id = $1 AND server_seq > $2",
        organization_id,
        cursor,
    )


async def site_last_change(conn: asyncpg.Connection, site_id: str) -> int:
    return await conn.fetchval(
        "SELECT coalesce(max(last_change_id), 0) FROM sync_sites WHERE site_id = $1", site_id
    )


async def rejections_for(
    conn: asyncpg.Connection, site_id: str, limit: int = 20
) -> list[dict[str, Any]]:
    records = await conn.fetch(
        "SELECT change_id, table_name, row_id, reason, created_at FROM sync_rejections "
        "WHERE site_id = $1 ORDER BY change_id DESC LIMIT $2",
        site_id,
        limit,
    )
    return [dict(r) for r in records]


async def organizations(conn: asyncpg.Connection) -> list[str]:
    return [
        r["organization_id"] for r in await conn.fetch("SELECT organization_id FROM sync_org_seq")
    ]
