"""The schema upgrades, downgrades and re-upgrades on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from storage.database import create_engine, sqlite_url
from storage.migrate import downgrade_to, get_revision, head_revision, upgrade_to_head
from storage.models import Base
from tests.conftest import asyncpg_sqlalchemy_url

EXPECTED_TABLES = set(Base.metadata.tables)


async def _tables(engine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def _round_trip(url: str) -> None:
    engine = create_engine(url)
    try:
        assert await get_revision(engine) is None
        await upgrade_to_head(engine)
        assert await get_revision(engine) == head_revision()
        assert await _tables(engine) >= EXPECTED_TABLES

        await downgrade_to(engine, "base")
        assert await get_revision(engine) is None
        assert not (EXPECTED_TABLES & await _tables(engine))

        await upgrade_to_head(engine)
        assert await get_revision(engine) == head_revision()
        assert await _tables(engine) >= EXPECTED_TABLES
    finally:
        await engine.dispose()


async def test_sqlite_upgrade_downgrade_reupgrade(tmp_path: Path) -> None:
    await _round_trip(sqlite_url(tmp_path / "replica.db"))


@pytest.mark.postgres
async def test_postgres_upgrade_downgrade_reupgrade(pg_database: str) -> None:
    await _round_trip(asyncpg_sqlalchemy_url(pg_database))


async def test_migrations_match_the_models(tmp_path: Path) -> None:
    """Alembic finds nothing to add: the migrations create exactly what the models describe."""
    engine = create_engine(sqlite_url(tmp_path / "replica.db"))
    try:
        await upgrade_to_head(engine)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
    finally:
        await engine.dispose()
    assert diff == []
