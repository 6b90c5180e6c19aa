"""Helpers for sync tests: replicas as separate SQLite files against one real Postgres."""

from __future__ import annotations

from pathlib import Path

from storage.database import Database, create_engine, sqlite_url
from storage.identity import Identity, Machine, ensure_identity
from storage.migrate import upgrade_to_head
from sync.connection import connect
from sync.engine import SyncReport, sync_round


def machine(name: str) -> Machine:
    return Machine(name, f"host-{name}", "linux", "x86_64", "6.0", "0.1.0")


async def open_replica(path: Path, name: str) -> tuple[Database, Identity]:
    db = await Database.open(sqlite_url(path))
    return db, await ensure_identity(db, machine(name))


async def upgrade_server(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1))
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()


async def sync(db: Database, url: str, **kwargs) -> SyncReport:  # type: ignore[no-untyped-def]
    conn = await connect(url, None)
    try:
        return await sync_round(db, conn, **kwargs)
    finally:
        await conn.close()


async def mission_row(db: Database, mission_id: str) -> dict:  # type: ignore[type-arg]
    from sqlalchemy import select

    from storage.models import Mission

    table = Mission.__table__
    async with db.read() as conn:
        return dict(
            (await conn.execute(select(table).where(table.c.id == mission_id))).mappings().one()
        )


async def server_dump(url: str, org: str) -> dict:  # type: ignore[type-arg]
    from sync.dump import dump_server

    conn = await connect(url, None)
    try:
        return await dump_server(conn, org)
    finally:
        await conn.close()


async def assert_converged(url: str, org: str, *dbs: Database) -> None:
    from sync.dump import dump_replica

    expected = await server_dump(url, org)
    assert sum(len(rows) for rows in expected.values()) > 0
    for db in dbs:
        got = await dump_replica(db, org)
        assert got == expected, f"replica {db.site_id} differs from the server"
