"""Fetching one replicated row by id (or a unique id suffix), with the same not-found message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, func, select

from storage.errors import NotFoundError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from storage.database import Database


async def fetch_row(conn: AsyncConnection, table: Table, row_id: str, kind: str) -> dict[str, Any]:
    """The live (not tombstoned) row ``row_id`` of ``table``, or :class:`NotFoundError`."""
    row = (
        (await conn.execute(select(table).where(table.c.id == row_id, table.c.deleted.is_(False))))
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise NotFoundError(kind, row_id)
    return dict(row)


def resolve_row_id_sync(conn: Connection, table: Table, ident: str, kind: str) -> str:
    """Accept a full id or a unique suffix of at least four characters (as shown in lists)."""
    ident = ident.strip()
    exact = conn.execute(
        select(table.c.id).where(table.c.id == ident, table.c.deleted.is_(False))
    ).scalar_one_or_none()
    if exact:
        return str(exact)
    if len(ident) < 4:
        raise NotFoundError(kind, ident)
    matches = (
        conn.execute(
            select(table.c.id)
            .where(
                # autoescape: '_' and '%' in what was typed match only themselves
                func.lower(table.c.id).endswith(ident.lower(), autoescape=True),
                table.c.deleted.is_(False),
            )
            .limit(2)
        )
        .scalars()
        .all()
    )
    if len(matches) != 1:
        raise NotFoundError(kind, ident)
    return str(matches[0])


async def resolve_row_id(db: Database, table: Table, ident: str, kind: str) -> str:
    """:func:`resolve_row_id_sync` on a read connection of ``db``."""
    async with db.read() as conn:
        return await conn.run_sync(resolve_row_id_sync, table, ident, kind)
