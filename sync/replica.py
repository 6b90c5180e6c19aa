"""The replica side of sync: read the outbox, drop confirmed entries, apply pulled rows.

Rows written here bypass :class:`storage.changes.ChangeWriter` on purpose: they are remote
changes being merged, and must not create outbox entries of their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select

from storage.changes import FENCE_KEY, UNCLOCKED
from storage.codec import encode_row
from storage.database import Database, get_meta, set_meta
from storage.hlc import MAX_CLOCK_AHEAD_MS, Timestamp
from storage.models import REPLICATED_TABLES, OutboxEntry
from sync.merge import merge_columns, row_stamp
from sync.meta_keys import CURSOR_KEY as CURSOR_KEY
from sync.meta_keys import LAST_ERROR_AT_KEY as LAST_ERROR_AT_KEY
from sync.meta_keys import LAST_ERROR_KEY as LAST_ERROR_KEY
from sync.meta_keys import LAST_REJECTION_KEY as LAST_REJECTION_KEY
from sync.meta_keys import LAST_SYNC_KEY as LAST_SYNC_KEY
from sync.meta_keys import REJECTED_KEY as REJECTED_KEY
from sync.protocol import Change, PullBatch

_CHUNK = 900

OUTBOX = OutboxEntry.__table__


async def read_outbox(db: Database, limit: int) -> list[Change]:
    query = select(OUTBOX).order_by(OUTBOX.c.change_id).limit(limit)
    async with db.read() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [
        Change(
            change_id=row["change_id"],
            table_name=row["table_name"],
            row_id=row["row_id"],
            organization_id=row["organization_id"],
            hlc=row["hlc"],
            values=row["values"],
        )
        for row in rows
    ]


async def pending_count(db: Database) -> int:
    async with db.read() as conn:
        return (await conn.execute(select(func.count()).select_from(OUTBOX))).scalar_one()


async def outbox_high_water(db: Database) -> int:
    async with db.read() as conn:
        return (await conn.execute(select(func.max(OUTBOX.c.change_id)))).scalar_one() or 0


async def drop_outbox(db: Database, up_to: int) -> None:
    """Forget entries the server has confirmed (applied, duplicate or rejected)."""
    if up_to <= 0:
        return
    async with db.write() as conn:
        await conn.execute(delete(OUTBOX).where(OUTBOX.c.change_id <= up_to))


async def get_cursor(db: Database) -> int:
    async with db.read() as conn:
        return int(await get_meta(conn, CURSOR_KEY) or 0)


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


async def apply_batch(db: Database, batch: PullBatch) -> int:
    """Merge pulled rows and advance the cursor in one SQLite transaction; return rows changed."""
    changed = 0
    newest = ""
    async with db.write() as conn:
        for table_name, rows in batch.rows.items():
            table = REPLICATED_TABLES[table_name]
            names = [c.name for c in table.columns]
            local: dict[str, dict[str, str]] = {}
            for ids in _chunks([r["id"] for r in rows]):
                query = select(table.c.id, table.c.col_clocks).where(table.c.id.in_(ids))
                for row_id, clocks in (await conn.execute(query)).all():
                    local[row_id] = clocks or {}
            inserts: list[dict[str, Any]] = []
            updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for row in rows:
                clocks = row["col_clocks"] or {}
                if row["hlc"] > newest:
                    newest = row["hlc"]
                if row["id"] not in local:
                    inserts.append({name: row.get(name) for name in names})
                    continue
                wins, merged = merge_columns(local[row["id"]], row, clocks)
                if not wins:
                    continue
                hlc, writer = row_stamp(merged)
                values = {**wins, "col_clocks": merged, "hlc": hlc, "site_id": writer}
                params = {f"v_{k}": v for k, v in values.items()}
                params["row_id"] = row["id"]
                updates.setdefault(tuple(sorted(values)), []).append(params)
            if inserts:
                await conn.execute(table.insert(), inserts)
                changed += len(inserts)
            for columns, batch_params in updates.items():
                statement = (
                    table.update()
                    .where(table.c.id == bindparam("row_id"))
                    .values({c: bindparam(f"v_{c}") for c in columns})
                )
                await conn.execute(statement, batch_params)
                changed += len(batch_params)
        if newest:
            db.hlc.observe(newest)
        await set_meta(conn, CURSOR_KEY, str(batch.cursor))
    return changed


async def take_server_rows(
    db: Database, table_name: str, row_ids: Iterable[str], server_rows: list[dict[str, Any]]
) -> int:
    """Replace this replica's rows ``row_ids`` with the server's (values and clocks alike).

    For changes the server refused for good: the local row holds values (and clocks) no other
    replica will ever see, so merging by clock would keep them here forever. A row the server
    does not hold at all is deleted (it was never anyone else's). Returns the rows replaced.
    """
    table = REPLICATED_TABLES[table_name]
    names = [c.name for c in table.columns]
    held = {row["id"]: row for row in server_rows}
    async with db.write() as conn:
        for row_id in row_ids:
            await conn.execute(delete(table).where(table.c.id == row_id))
            if row_id in held:
                await conn.execute(table.insert().values({n: held[row_id].get(n) for n in names}))
        for row in server_rows:
            if row["hlc"]:
                db.hlc.observe(row["hlc"])
    return len(held)


async def restamp_ahead(db: Database, refused: list[Change], server_now_ms: int) -> int:
    """Re-stamp the columns of ``refused`` rows whose clocks ran past the server's skew bound.

    Call after :meth:`storage.hlc.HybridLogicalClock.adopt`: each such row gets one fresh clock
    for those columns and one new outbox entry with their current values (and the refused
    change's claim fence, so re-stamping never escapes a fence). Returns the entries written.
    """
    limit = Timestamp(server_now_ms + MAX_CLOCK_AHEAD_MS, 0, "").encode()
    by_row: dict[tuple[str, str], Change] = {}
    for change in sorted(refused, key=lambda c: c.change_id):
        by_row[(change.table_name, change.row_id)] = change
    written = 0
    async with db.write() as conn:
        for (table_name, row_id), change in sorted(by_row.items()):
            table = REPLICATED_TABLES.get(table_name)
            if table is None:
                continue
            row = (await conn.execute(select(table).where(table.c.id == row_id))).mappings().first()
            if row is None:
                continue
            clocks = dict(row["col_clocks"] or {})
            ahead = sorted(k for k, v in clocks.items() if k not in UNCLOCKED and v > limit)
            if not ahead:
                continue
            stamp = db.hlc.now()
            clocks.update(dict.fromkeys(ahead, stamp))
            await conn.execute(
                table.update()
                .where(table.c.id == row_id)
                .values(col_clocks=clocks, hlc=max(clocks.values()), site_id=db.site_id)
            )
            values = encode_row({k: row[k] for k in ahead})
            if "id" in change.values:
                values["id"] = row_id
            if FENCE_KEY in change.values:
                values[FENCE_KEY] = change.values[FENCE_KEY]
            await conn.execute(
                OUTBOX.insert().values(
                    table_name=table_name,
                    row_id=row_id,
                    organization_id=row["organization_id"],
                    op="upsert",
                    hlc=stamp,
                    values=values,
                )
            )
            written += 1
    return written


async def record_sync(db: Database, error: str | None = None) -> None:
    """Record a finished round, or a failure (kept with its time after later successes, so
    ``sync status`` shows the last error and when; compare it with the last sync's time)."""
    now = datetime.now(UTC).isoformat()
    async with db.write() as conn:
        if error is None:
            await set_meta(conn, LAST_SYNC_KEY, now)
        else:
            await set_meta(conn, LAST_ERROR_KEY, error)
            await set_meta(conn, LAST_ERROR_AT_KEY, now)


async def read_meta(db: Database, key: str) -> str | None:
    async with db.read() as conn:
        return await get_meta(conn, key)
