"""``sync`` imports ``storage`` only: never the application package, never Textual."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import sync

ROOT = Path(__file__).resolve().parent.parent


def test_sync_modules_import_neither_the_app_nor_textual() -> None:
    modules = [f"sync.{m.name}" for m in pkgutil.iter_modules(sync.__path__)]
    assert "sync.service" in modules and "sync.claims" in modules
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "bad = [m for m in sys.modules if m.split('.')[0] in ('solo_unicorn_tui', 'textual')]\n"
        + "print(','.join(bad))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.strip() == ""


def test_server_only_revision_is_a_no_op_on_the_replica(tmp_path: Path) -> None:
    import asyncio

    from sqlalchemy import inspect

    from storage.database import Database, sqlite_url

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
