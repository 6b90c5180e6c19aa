"""Agent stats computed from real session rows, and the stats command."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from solo_unicorn_tui.home import Home
from solo_unicorn_tui.workspace import Workspace, open_workspace
from storage.agent_stats import agent_stats
from storage.changes import ChangeWriter
from storage.missions import MissionDraft, create_mission, move_mission
from storage.models import CodeAgentSession

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


async def _session(ws: Workspace, mission_id: str, name: str | None, status: str, **extra) -> None:
    async with ws.db.write() as conn:
        await ChangeWriter(ws.db, conn).insert(
            CodeAgentSession.__table__,
            {
                "organization_id": ws.identity.organization_id,
                "mission_id": mission_id,
                "workstation_id": ws.identity.workstation_id,
                "code_agent_type": "command",
                "code_agent_name": name,
                "status": status,
                **extra,
            },
        )


async def _seed(ws: Workspace) -> None:
    pid = ws.project_id
    done = await create_mission(ws.db, pid, MissionDraft("Done one"))
    open_ = await create_mission(ws.db, pid, MissionDraft("Still open"))
    for stage_start, duration in ((T0, 60.0), (T0.replace(hour=11), 120.0)):
        await _session(
            ws,
            done.id,
            "claude",
            "completed",
            started_at=stage_start,
            duration_seconds=duration,
            input_tokens=1000,
            output_tokens=500,
            cached_input_tokens=700,
            cost_usd=0.25,
        )
    await _session(
        ws, open_.id, "claude", "failed", started_at=T0.replace(hour=12), duration_seconds=30.0
    )
    await _session(ws, open_.id, "claude", "cancelled", started_at=T0.replace(hour=13))
    await _session(ws, open_.id, None, "timeout", started_at=T0.replace(day=19))
    await move_mission(ws.db, done.id, "done")


async def test_stats_from_rows(workspace: Workspace) -> None:
    await _seed(workspace)
    claude, command = await agent_stats(workspace.db, workspace.project_id)
    assert claude.agent == "claude"
    assert (claude.sessions, claude.finished_sessions, claude.failed_sessions) == (4, 3, 1)
    assert claude.missions_completed == 1
    assert claude.failure_rate == pytest.approx(1 / 3)
    assert claude.mean_duration_seconds == pytest.approx(70.0)
    assert claude.last_used_at == T0.replace(hour=13)
    assert (claude.input_tokens, claude.output_tokens, claude.cost_usd) == (2000, 1000, 0.5)
    assert (claude.cached_input_tokens, command.cached_input_tokens) == (1400, None)
    assert command.agent == "command"
    assert (command.failure_rate, command.missions_completed) == (1.0, 0)
    assert (command.mean_duration_seconds, command.input_tokens, command.cost_usd) == (
        None,
        None,
        None,
    )
    assert await agent_stats(workspace.db, "proj_other") == []


async def test_stats_command(home: Home, cli) -> None:
    empty = cli("stats")
    assert empty.returncode == 0 and "no agent sessions" in empty.stdout
    ws = await open_workspace(home)
    try:
        await _seed(ws)
    finally:
        await ws.db.close()
    result = cli("stats", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [(d["agent"], d["missions_completed"], d["sessions"]) for d in data] == [
        ("claude", 1, 4),
        ("command", 0, 1),
    ]
    assert data[1]["cost_usd"] is None
    assert (data[0]["cached_input_tokens"], data[1]["cached_input_tokens"]) == (1400, None)
    table = cli("stats")
    assert "unknown" in table.stdout and "33%" in table.stdout and "$0.50" in table.stdout
    assert "CACHED" in table.stdout and "1,400" in table.stdout
    # `agent stats` is the same table (it once crashed: its parser has no --daily).
    again = cli("agent", "stats", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == data
