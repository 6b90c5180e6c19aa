"""Fetching one replicated row by id (or a unique id suffix), with the same not-found message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, Table, func, literal_column, select

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


#: Tables with an index on ``lower(substr(id, -4))`` (migration 0011, on the replica).
ID_TAIL_INDEXED = frozenset({"missions"})


def _tail_matches(table: Table, tail: str) -> list[ColumnElement[bool]]:
    # autoescape: '_' and '%' in what was typed match only themselves
    matches = [func.lower(table.c.id).endswith(tail, autoescape=True)]
    if table.name in ID_TAIL_INDEXED:
        # the index's own expression (a literal -4): a lookup, not a scan of every id
        last4 = func.lower(func.substr(table.c.id, literal_column("-4")))
        matches.insert(0, last4 == tail[-4:])
    return matches


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
            .where(*_tail_matches(table, ident.lower()), table.c.deleted.is_(False))
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
