"""The dispatcher prunes by the retention settings on its first round, then every few hours."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from solo_unicorn_tui.runtime.core import Runtime
from solo_unicorn_tui.workspace import Workspace
from storage.sessions import list_sessions
from storage.types import utcnow
from tests.support.history import mission_at, session_at


async def test_the_dispatcher_prunes_old_finished_sessions(workspace: Workspace) -> None:
    ws, now = workspace, utcnow()
    done = await mission_at(ws.db, ws.project_id, "Shipped", now - timedelta(days=200), done_at=now)
    old = await session_at(ws.db, done, now - timedelta(days=95), log_dir=ws.home.sessions_dir)
    young = await session_at(ws.db, done, now - timedelta(days=5), log_dir=ws.home.sessions_dir)
    runtime = Runtime.from_workspace(ws, poll_seconds=0.05)
    runtime.start_dispatcher()
    for _ in range(100):
        if not Path(old.log_path or "").exists():
            break
        await asyncio.sleep(0.05)
    await runtime.shutdown()
    assert [s.id for s in await list_sessions(ws.db)] == [young.id]
    assert not Path(old.log_path or "").exists() and Path(young.log_path or "").exists()
    assert runtime.housekeeping.prune_if_due() is None  # not due again for hours
