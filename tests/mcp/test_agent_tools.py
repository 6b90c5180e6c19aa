"""The storage operations behind the MCP tools, in process: proposals and paging."""

from __future__ import annotations

import pytest

from solo_unicorn_tui.workspace import Workspace
from storage import agent_tools
from storage import missions as ops
from storage.errors import ConflictError


async def test_a_mission_cannot_flood_the_board_with_proposals(workspace: Workspace) -> None:
    db = workspace.db
    source = await ops.create_mission(db, workspace.project_id, ops.MissionDraft(title="Source"))
    for number in range(agent_tools.MAX_PROPOSALS_PER_MISSION):
        await agent_tools.propose_mission(db, source.id, title=f"Idea {number}")
    with pytest.raises(ConflictError, match="already proposed 20 missions"):
        await agent_tools.propose_mission(db, source.id, title="One more")
    todo = await ops.list_missions(db, workspace.project_id, "todo")
    assert len(todo) == agent_tools.MAX_PROPOSALS_PER_MISSION + 1
    assert all(not m.ready for m in todo)


async def test_pages_follow_board_order_across_lists(workspace: Workspace) -> None:
    db, project = workspace.db, workspace.project_id
    made = {}
    for title, list_name in (("d1", "done"), ("t1", "todo"), ("r1", "review"), ("g1", "doing")):
        made[title] = await ops.create_mission(
            db, project, ops.MissionDraft(title=title, list=list_name)
        )
    made["t2"] = await ops.create_mission(db, project, ops.MissionDraft(title="t2"))
    seen, after = [], None
    while True:
        page, after = await agent_tools.missions_page(db, project, limit=2, after=after)
        seen += [m.title for m in page]
        if after is None:
            break
    assert seen == ["t1", "t2", "g1", "r1", "d1"]
    page, after = await agent_tools.missions_page(db, project, list_name="todo", limit=1)
    assert ([m.title for m in page], after) == (["t1"], made["t1"].id)
