"""A new replica is made from storage/replica_schema.py, which must match the migrations."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from storage import fresh_replica
from storage.database import Database, sqlite_url
from storage.identity import Machine, ensure_identity

MACHINE = Machine("tester", "test-host", "linux", "x86_64", "6.0", "0.1.0")


def _master(path: Path) -> list[tuple[str, str, str | None]]:
    """Every schema object, automatic indexes included (they come from the table definitions)."""
    connection = sqlite3.connect(path)
    try:
        return sorted(connection.execute("SELECT type, name, sql FROM sqlite_master").fetchall())
    finally:
        connection.close()


def test_the_schema_file_is_what_the_migrations_make() -> None:
    """Fails after a new migration until ``python -m storage.fresh_replica --write`` is run."""
    expected = fresh_replica.render_schema_module(fresh_replica.migrated_schema())
    assert fresh_replica.SCHEMA_FILE.read_text(encoding="utf-8") == expected, (
        "storage/replica_schema.py is out of date: run python -m storage.fresh_replica --write"
    )


def test_a_fresh_replica_equals_a_migrated_one_and_opens(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh" / "replica.db"
    assert fresh_replica.create_fresh_replica(fresh)
    assert sorted(p.name for p in fresh.parent.iterdir()) == ["replica.db"]  # no temp files
    assert not fresh_replica.create_fresh_replica(fresh)  # an existing replica stays as it is

    migrated = tmp_path / "migrated" / "replica.db"

    async def open_both() -> None:
        await (await Database.open(sqlite_url(migrated), fresh=False)).close()
        db = await Database.open(sqlite_url(fresh))
        try:
            identity = await ensure_identity(db, MACHINE)
            assert identity.project_id.startswith("proj_")
        finally:
            await db.close()

    asyncio.run(open_both())
    assert _master(fresh) == _master(migrated)
    connection = sqlite3.connect(fresh)
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        connection.close()


def test_database_open_makes_a_new_replica_without_alembic(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import asyncio, sys\n"
        "from storage.database import Database, sqlite_url\n"
        "async def main():\n"
        f"    await (await Database.open(sqlite_url({str(tmp_path / 'r.db')!r}))).close()\n"
        "asyncio.run(main())\n"
        "sys.exit(1 if 'alembic' in sys.modules else 0)\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "r.db").exists()
