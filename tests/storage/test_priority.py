"""Priority changes read and write in one transaction: quick presses each count."""

from __future__ import annotations

import asyncio

from solo_unicorn_tui.workspace import Workspace
from storage.missions import MissionDraft, bump_priority, create_mission, get_mission


async def test_concurrent_bumps_each_count(workspace: Workspace) -> None:
    mission = await create_mission(
        workspace.db, workspace.project_id, MissionDraft(title="Bump me", priority=1)
    )
    await asyncio.gather(*(bump_priority(workspace.db, mission.id, 1) for _ in range(3)))
    assert (await get_mission(workspace.db, mission.id)).priority == 4


async def test_bumps_clamp_at_the_ends(workspace: Workspace) -> None:
    mission = await create_mission(
        workspace.db, workspace.project_id, MissionDraft(title="Top", priority=5)
    )
    assert (await bump_priority(workspace.db, mission.id, 1)).priority == 5
    assert (await bump_priority(workspace.db, mission.id, -9)).priority == 1
