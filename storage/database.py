"""Engines for the SQLite replica and the PostgreSQL server, and the write transaction.

The replica runs in WAL mode with ``synchronous=FULL``; write transactions start with
``BEGIN IMMEDIATE`` so two processes never deadlock upgrading a read lock to a write lock.

Two ways in: :meth:`Database.open` (async, aiosqlite; migrates to the schema head) for the board,
the runtime and sync, and :meth:`Database.open_inline` (synchronous stdlib ``sqlite3`` through
SQLAlchemy Core; no asyncio, no Alembic, no ORM) for a CLI command that makes one write and
exits. Both write through :class:`storage.change_rows.RowWriter` and poke the replica's wake FIFO
(:mod:`storage.wake`) after a commit that queued outbox entries. Importing this module costs
neither the ORM nor SQLAlchemy's asyncio extension (both are imported when an async engine is
made).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, event, select
from sqlalchemy.engine import make_url

from storage import tables
from storage.change_rows import OUTBOX_WRITTEN
from storage.change_rows import set_meta as _set_meta_sync
from storage.hlc import HybridLogicalClock
from storage.ids import new_id
from storage.wake import poke

if TYPE_CHECKING:
    import asyncio

    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

BUSY_TIMEOUT_MS = 15_000


def sqlite_url(path: Path | str) -> str:
    return f"sqlite+aiosqlite:///{Path(path)}"


def _install_sqlite_pragmas(sync_engine: Engine) -> None:
    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook below issue BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _install_sqlite_pragmas(engine.sync_engine)
    return engine


def _replica_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return Path(parsed.database)
    return None


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
        self._write_lock: asyncio.Lock | None = None
        self.user_id: str | None = None
        self.workstation_id: str | None = None
        self.path = _replica_path(str(engine.url))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @classmethod
    async def open(cls, url: str, *, upgrade: bool = True, fresh: bool = True) -> Database:
        """Open (creating if needed) a database and bring its schema to head.

        A SQLite file that does not exist yet is made at the head schema directly
        (:mod:`storage.fresh_replica`) unless ``fresh`` is False (then the migrations make it).
        """
        path = _replica_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            if fresh and upgrade and not path.exists():
                import asyncio

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

    @staticmethod
    def open_inline(path: Path) -> InlineDatabase | None:
        """The replica at ``path`` for one synchronous write, or None when it needs a full open.

        None when the file is missing, its schema is not exactly the head (by version number,
        without Alembic) or it has no site or identity yet: :meth:`open` then creates, migrates
        or completes it.
        """
        return InlineDatabase.open(path)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        if self._write_lock is None:
            import asyncio

            self._write_lock = asyncio.Lock()
        async with self._write_lock:
            conn_engine = self.engine.execution_options(sqlite_immediate=True)
            async with conn_engine.begin() as conn:
                conn.sync_connection.info.pop(OUTBOX_WRITTEN, None)  # type: ignore[union-attr]
                yield conn
                await set_meta(conn, "hlc_last", self.hlc.last)
                queued = conn.sync_connection.info.pop(OUTBOX_WRITTEN, False)  # type: ignore[union-attr]
        if queued and self.path is not None:
            poke(self.path)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    async def close(self) -> None:
        await self.engine.dispose()


#: What :class:`InlineDatabase` needs in ``replica_meta`` (written by the first full open).
_INLINE_KEYS = ("site_id", "organization_id", "user_id", "workstation_id", "project_id")


class InlineDatabase:
    """The replica opened synchronously for one short command (:meth:`Database.open_inline`).

    The same engine settings (WAL, ``synchronous=FULL``, ``BEGIN IMMEDIATE``) and the same write
    path (:class:`storage.change_rows.RowWriter`), with the standard library's ``sqlite3``.
    """

    def __init__(self, engine: Engine, path: Path, meta: dict[str, str]) -> None:
        self.engine = engine
        self.path = path
        self.meta = meta
        self.site_id = meta["site_id"]
        self.hlc = HybridLogicalClock(self.site_id, meta.get("hlc_last") or None)
        self.user_id: str | None = meta["user_id"]
        self.workstation_id: str | None = meta["workstation_id"]

    @classmethod
    def open(cls, path: Path) -> InlineDatabase | None:
        from sqlalchemy import create_engine as create_sync_engine
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError
        from sqlalchemy.pool import NullPool

        from storage.schema_head import head_revisions

        if not path.is_file():
            return None
        heads = head_revisions()
        if len(heads) != 1:
            return None
        engine = create_sync_engine(f"sqlite:///{path}", poolclass=NullPool)
        _install_sqlite_pragmas(engine)
        try:
            with engine.connect() as conn:
                revisions = list(conn.execute(text("SELECT version_num FROM alembic_version")))
                meta_table = tables.replica_meta
                meta = {
                    key: value
                    for key, value in conn.execute(select(meta_table.c.key, meta_table.c.value))
                }
                conn.rollback()
        except DBAPIError:
            engine.dispose()
            return None
        if [r[0] for r in revisions] != list(heads) or not all(meta.get(k) for k in _INLINE_KEYS):
            engine.dispose()
            return None
        return cls(engine, path, meta)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction; pokes the wake FIFO after a commit that queued outbox rows."""
        with self.engine.execution_options(sqlite_immediate=True).begin() as conn:
            conn.info.pop(OUTBOX_WRITTEN, None)
            yield conn
            _set_meta_sync(conn, "hlc_last", self.hlc.last)
            queued = conn.info.pop(OUTBOX_WRITTEN, False)
        if queued:
            poke(self.path)

    def close(self) -> None:
        self.engine.dispose()


async def get_meta(conn: AsyncConnection, key: str) -> str | None:
    meta = tables.replica_meta
    return (await conn.execute(select(meta.c.value).where(meta.c.key == key))).scalar_one_or_none()


async def set_meta(conn: AsyncConnection, key: str, value: str) -> None:
    await conn.run_sync(_set_meta_sync, key, value)


async def _load_site(engine: AsyncEngine) -> tuple[str, str | None]:
    async with engine.execution_options(sqlite_immediate=True).begin() as conn:
        site_id = await get_meta(conn, "site_id")
        if site_id is None:
            site_id = new_id("site")
            await set_meta(conn, "site_id", site_id)
        return site_id, await get_meta(conn, "hlc_last")
