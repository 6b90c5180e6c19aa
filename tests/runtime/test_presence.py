"""A running runtime heartbeats on its workstation row and says goodbye when it shuts down."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from solo_unicorn_tui.runtime.core import Runtime
from solo_unicorn_tui.workspace import Workspace
from storage.models import OutboxEntry, Workstation
from storage.rows import fetch_row
from storage.workstations import team_workstations


async def _row(ws: Workspace) -> dict[str, object]:
    async with ws.db.read() as conn:
        return await fetch_row(
            conn, Workstation.__table__, ws.identity.workstation_id, "workstation"
        )


async def test_heartbeats_while_running_and_offline_after_shutdown(workspace: Workspace) -> None:
    ws = workspace
    ws.settings.heartbeat_seconds = 0.05
    runtime = Runtime.from_workspace(ws)
    await runtime.announce()
    first = (await _row(ws))["last_heartbeat_at"]
    await asyncio.sleep(0.3)
    beat = await _row(ws)
    assert beat["status"] == "online"
    assert beat["last_heartbeat_at"] > first  # type: ignore[operator]
    async with ws.db.read() as conn:
        outbox = (await conn.execute(OutboxEntry.__table__.select())).mappings().all()
    beat_values = [set(o["values"]) for o in outbox if o["table_name"] == "workstations"]
    assert beat_values[-1] == {"last_heartbeat_at", "last_seen_at", "updated_at"}  # small

    await runtime.shutdown()
    gone = await _row(ws)
    assert gone["status"] == "offline"
    team = await team_workstations(
        ws.db, ws.identity.workstation_id, offline_after=timedelta(hours=1)
    )
    assert not team[0].online  # at once, however long the timeout
