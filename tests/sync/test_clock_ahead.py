"""A replica whose clock runs a day ahead: refused (and recorded), then recovers by itself.

Its edits are refused for the skew bound (``storage.hlc.MAX_CLOCK_AHEAD_MS``); in the same push it
adopts the server's time, re-stamps the refused columns and pushes them again, so the other
replica sees the edits without waiting a day, and later edits go through at once.
"""

from __future__ import annotations

from pathlib import Path

import asyncpg

from storage import missions as ops
from storage.hlc import wall_clock_ms
from storage.missions import MissionDraft
from tests.support.sync_env import (  # noqa: F401  (drop_test_roles: autouse)
    assert_converged,
    drop_test_roles,
    open_replica,
    sync,
    upgrade_server,
)

DAY_MS = 86_400_000


async def test_a_day_ahead_is_refused_then_restamped_and_seen_elsewhere(
    pg_database: str, tmp_path: Path
) -> None:
    await upgrade_server(pg_database)
    a, ida = await open_replica(tmp_path / "a.db", "a")
    b, _ = await open_replica(tmp_path / "b.db", "b")
    try:
        await sync(a, pg_database)
        await sync(b, pg_database)
        shared = await ops.create_mission(a, ida.project_id, MissionDraft(title="shared"))
        await sync(a, pg_database)
        await sync(b, pg_database)

        a.hlc._wall = lambda: wall_clock_ms() + DAY_MS  # type: ignore[method-assign]
        await ops.update_mission(a, shared.id, title="from the future")
        fresh = await ops.create_mission(a, ida.project_id, MissionDraft(title="new ahead"))
        report = await sync(a, pg_database)
        skew = [r for r in report.rejections if "ahead of the server's time" in r.reason]
        assert {r.row_id for r in skew} >= {shared.id, fresh.id}
        assert report.restamped >= 2
        assert (await sync(a, pg_database)).rejections == []

        await sync(b, pg_database)
        assert (await ops.get_mission(b, shared.id)).title == "from the future"
        assert (await ops.get_mission(b, fresh.id)).title == "new ahead"

        # Later edits go through at once; B's later edit still wins over A's earlier one.
        await ops.update_mission(a, fresh.id, title="now in time")
        assert (await sync(a, pg_database)).rejections == []
        await ops.update_mission(b, shared.id, title="b after a")
        await sync(b, pg_database)
        await sync(a, pg_database)
        assert (await ops.get_mission(a, shared.id)).title == "b after a"
        assert (await ops.get_mission(b, fresh.id)).title == "now in time"

        conn = await asyncpg.connect(pg_database)
        try:
            recorded = await conn.fetchval(
                "SELECT count(*) FROM sync_rejections WHERE row_id = $1 "
                "AND reason LIKE '%ahead of the server''s time%'",
                shared.id,
            )
        finally:
            await conn.close()
        assert recorded >= 1
        await assert_converged(pg_database, ida.organization_id, a, b)
    finally:
        await a.close()
        await b.close()
