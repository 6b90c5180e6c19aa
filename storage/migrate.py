"""Schema migrations with Alembic, run on a live async engine (SQLite replica or Postgres)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.errors import SchemaVersionError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade_to_head(engine: AsyncEngine) -> None:
    await _run(engine, lambda conn: _upgrade(conn, "head"))


async def downgrade_to(engine: AsyncEngine, revision: str) -> None:
    await _run(engine, lambda conn: command.downgrade(alembic_config(conn), revision))


async def get_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(current_revision)


async def check_schema_version(engine: AsyncEngine) -> None:
    """Fail with a clear message unless the database is exactly at this program's head."""
    found = await get_revision(engine)
    expected = head_revision()
    if found != expected:
        raise SchemaVersionError(
            f"database schema is at {found or 'nothing'}, this program needs {expected}: "
            "run 'solo-unicorn server upgrade' (server) or update solo-unicorn"
        )


def _known(scripts: ScriptDirectory, revision: str) -> bool:
    """Whether this program has the migration ``revision`` (Alembic raises for one it lacks)."""
    try:
        return scripts.get_revision(revision) is not None
    except CommandError:
        return False


def _upgrade(connection: Connection, target: str) -> None:
    found = current_revision(connection)
    scripts = ScriptDirectory.from_config(alembic_config())
    if found is not None and not _known(scripts, found):
        raise SchemaVersionError(
            f"database schema revision {found} is newer than this program knows: "
            "update solo-unicorn before using this database"
        )
    command.upgrade(alembic_config(connection), target)


async def _run(engine: AsyncEngine, fn: Callable[[Connection], None]) -> None:
    async with engine.execution_options(sqlite_immediate=True).begin() as conn:
        await conn.run_sync(fn)
