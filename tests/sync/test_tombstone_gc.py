"""``gc`` removes old tombstones safely with a server (issue 17, retention): only once the
server confirmed the delete, and a later pull never brings the row back live on the replica
that removed it (at most as the tombstone it was, which a later gc removes again), while a
replica that still had it, and edited it meanwhile, converges on the delete."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from solo_unicorn_tui.config import Settings
from solo_unicorn_tui.home import Home
from solo_unicorn_tui.runtime.retention import collect_garbage
from storage import missions as ops
from storage.database import Database
from storage.models import Mission, MissionEvent
from storage.types import utcnow
from sync import replica
from tests.support.sync_env import (
    drop_test_roles,  # noqa: F401  (autouse)
    open_replica,
    sync,
    upgrade_server,
)

LATER = timedelta(days=91)  # past the default 90 days of tombstones_days


async def _rows(db: Database, mission_id: str) -> tuple[list[bool], int]:
    """The mission's row (its ``deleted`` flag, when held) and how many events it has."""
    missions, events = Mission.__table__, MissionEvent.__table__
    async with db.read() as conn:
        held = (
            await conn.execute(select(missions.c.deleted).where(missions.c.id == mission_id))
        ).scalars()
        flags = list(held)
        count = len(
            (await conn.execute(select(events.c.id).where(events.c.mission_id == mission_id))).all()
        )
    return flags, count


@pytest.mark.postgres
async def test_gc_removes_confirmed_tombstones_and_pulls_never_resurrect_them(
    pg_database: str, tmp_path: Path
) -> None:
    await upgrade_server(pg_database)
    a, ident = await open_replica(tmp_path / "a.db", "alice")
    b, _ = await open_replica(tmp_path / "b.db", "bob")
    settings = Settings(server_url=pg_database)
    home = Home(tmp_path / "home-a")
    try:
        gone = await ops.create_mission(a, ident.project_id, ops.MissionDraft(title="Gone"))
        kept = await ops.create_mission(a, ident.project_id, ops.MissionDraft(title="Kept"))
        await sync(a, pg_database, allow_new_organization=True)
        await sync(b, pg_database, join=ident.organization_id)
        assert (await _rows(b, gone.id))[0] == [False]

        await ops.delete_mission(a, gone.id)
        # Not pushed yet: however old, the tombstone stays until the server has it.
        early = await collect_garbage(a, home, settings, "ws", now=utcnow() + LATER)
        assert early.tombstones == 0 and (await _rows(a, gone.id))[0] == [True]

        await sync(a, pg_database)
        assert await replica.pending_count(a) == 0
        young = await collect_garbage(a, home, settings, "ws", now=utcnow())
        assert young.tombstones == 0  # confirmed, but not old yet
        purged = await collect_garbage(a, home, settings, "ws", now=utcnow() + LATER)
        assert purged.tombstones == 3  # the mission, its created and deleted events
        assert await _rows(a, gone.id) == ([], 0)

        # B never pulled the delete and edits the mission meanwhile: its edit reaches the server.
        await ops.update_mission(b, gone.id, title="Gone, edited on B")
        await sync(b, pg_database)
        await sync(a, pg_database)
        await sync(b, pg_database)
        # The server's row changed (B's title), so A pulls it again: deleted, never live.
        assert (await _rows(a, gone.id))[0] == [True]
        assert (await _rows(b, gone.id))[0] == [True]  # B converged on the delete
        for db in (a, b):
            live = [m.title for m in await ops.list_missions(db, ident.project_id)]
            assert live == [kept.title]
        again = await collect_garbage(a, home, settings, "ws", now=utcnow() + LATER)
        assert again.tombstones == 2  # the mission and the event of B's edit
        assert await _rows(a, gone.id) == ([], 0)
        await sync(a, pg_database)  # nothing new on the server: it stays gone
        assert await _rows(a, gone.id) == ([], 0)
        assert [m.title for m in await ops.list_missions(a, ident.project_id)] == ["Kept"]
    finally:
        await a.close()
        await b.close()
