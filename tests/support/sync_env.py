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
