"""The local replica's schema: the server-only revision leaves it without the server's tables."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import inspect

from storage.database import Database, sqlite_url


def test_server_only_revision_is_a_no_op_on_the_replica(tmp_path: Path) -> None:
    async def tables() -> list[str]:
        db = await Database.open(sqlite_url(tmp_path / "r.db"))
        try:
            async with db.read() as conn:
                return await conn.run_sync(lambda c: inspect(c).get_table_names())
        finally:
            await db.close()

    names = asyncio.run(tables())
    assert "missions" in names and "sync_outbox" in names
    assert not {"sync_rows", "sync_sites", "mission_claims"} & set(names)
