"""Engines for the SQLite replica and the PostgreSQL server, and the write transaction.

The replica runs in WAL mode with ``synchronous=FULL``; write transactions start with
``BEGIN IMMEDIATE`` so two processes never deadlock upgrading a read lock to a write lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from storage.hlc import HybridLogicalClock
from storage.ids import new_id
from storage.models import ReplicaMeta

BUSY_TIMEOUT_MS = 15_000


def sqlite_url(path: Path | str) -> str:
    return f"sqlite+aiosqlite:///{Path(path)}"


def _install_sqlite_pragmas(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook below issue BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _install_sqlite_pragmas(engine)
    return engine


class Database:
    """An open replica: its engine, its site id and its hybrid logical clock.

    Every write goes through :meth:`write`, which serialises writers in this process and takes
    SQLite's write lock up front; domain operations (``storage.missions`` …) use it together with
    :class:`storage.changes.ChangeWriter` so a row, its event and its outbox entry commit together.
    """

    def __init__(self, engine: AsyncEngine, site_id: str, hlc: HybridLogicalClock) -> None:
        self.engine = engine
        self.site_id = site_id
        self.hlc = hlc
        self._write_lock = asyncio.Lock()
        self.user_id: str | None = None
        self.workstation_id: str | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @classmethod
    async def open(cls, url: str, *, upgrade: bool = True, fresh: bool = True) -> Database:
        """Open (creating if needed) a database and bring its schema to head.

        A SQLite file that does not exist yet is made at the head schema directly
        (:mod:`storage.fresh_replica`) unless ``fresh`` is False (then the migrations make it).
        """
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            path = Path(parsed.database)
            path.parent.mkdir(parents=True, exist_ok=True)
            if fresh and upgrade and parsed.database != ":memory:" and not path.exists():
                from storage.fresh_replica import create_fresh_replica

                await asyncio.to_thread(create_fresh_replica, path)
        engine = create_engine(url)
        try:
            if upgrade:
                from storage.schema_head import at_head

                if not await at_head(engine):
                    from storage.migrate import upgrade_to_head

                    await upgrade_to_head(engine)
            else:
                from storage.migrate import check_schema_version

                await check_schema_version(engine)
            site_id, last_hlc = await _load_site(engine)
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine, site_id, HybridLogicalClock(site_id, last_hlc))

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        async with self._write_lock:
            conn_engine = self.engine.execution_options(sqlite_immediate=True)
            async with conn_engine.begin() as conn:
                yield conn
                await set_meta(conn, "hlc_last", self.hlc.last)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    async def close(self) -> None:
        await self.engine.dispose()


async def get_meta(conn: AsyncConnection, key: str) -> str | None:
    return (
        await conn.execute(select(ReplicaMeta.value).where(ReplicaMeta.key == key))
    ).scalar_one_or_none()


async def set_meta(conn: AsyncConnection, key: str, value: str) -> None:
    table = ReplicaMeta.__table__
    updated = await conn.execute(table.update().where(table.c.key == key).values(value=value))
    if updated.rowcount == 0:
        await conn.execute(table.insert().values(key=key, value=value))


async def _load_site(engine: AsyncEngine) -> tuple[str, str | None]:
    async with engine.execution_options(sqlite_immediate=True).begin() as conn:
        site_id = await get_meta(conn, "site_id")
        if site_id is None:
            site_id = new_id("site")
            await set_meta(conn, "site_id", site_id)
        return site_id, await get_meta(conn, "hlc_last")
