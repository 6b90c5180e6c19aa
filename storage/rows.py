"""Fetching one replicated row by id (or a unique id suffix), with the same not-found message."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.database import Database
from storage.errors import NotFoundError


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


async def resolve_row_id(db: Database, table: Table, ident: str, kind: str) -> str:
    """Accept a full id or a unique suffix of at least four characters (as shown in lists)."""
    ident = ident.strip()
    async with db.read() as conn:
        exact = (
            await conn.execute(
                select(table.c.id).where(table.c.id == ident, table.c.deleted.is_(False))
            )
        ).scalar_one_or_none()
        if exact:
            return exact
        if len(ident) < 4:
            raise NotFoundError(kind, ident)
        matches = (
            (
                await conn.execute(
                    select(table.c.id)
                    .where(
                        # autoescape: '_' and '%' in what was typed match only themselves
                        func.lower(table.c.id).endswith(ident.lower(), autoescape=True),
                        table.c.deleted.is_(False),
                    )
                    .limit(2)
                )
            )
            .scalars()
            .all()
        )
    if len(matches) != 1:
        raise NotFoundError(kind, ident)
    return matches[0]
