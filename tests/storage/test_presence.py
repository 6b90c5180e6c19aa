"""Presence: heartbeats, a clean goodbye, and the team list the workstation panel shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from solo_unicorn_tui.workspace import Workspace
from storage.agent_state import mark_rate_limited
from storage.changes import ChangeWriter
from storage.models import Workstation
from storage.workstations import heartbeat, mark_offline, team_workstations
from tests.support.history import mission_at

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
TIMEOUT = timedelta(minutes=3)


async def _other_workstation(ws: Workspace, name: str, agents: list[dict[str, object]]) -> str:
    async with ws.db.write() as conn:
        row = await ChangeWriter(ws.db, conn).insert(
            Workstation.__table__,
            {
                "organization_id": ws.identity.organization_id,
                "name": name,
                "status": "offline",
                "available_code_agents": agents,
            },
        )
    return str(row["id"])


async def test_team_list_judges_heartbeats_and_shows_agents_and_sessions(
    workspace: Workspace,
) -> None:
    ws = workspace
    me = ws.identity.workstation_id
    claude = {"name": "claude", "type": "claude", "max_concurrency": 2}
    codex = {"name": "codex", "type": "codex", "max_concurrency": 1}
    alive = await _other_workstation(ws, "a-alive", [claude, codex])
    silent = await _other_workstation(ws, "b-silent", [claude])
    gone = await _other_workstation(ws, "c-gone", [])
    await heartbeat(ws.db, me, now=NOW - timedelta(seconds=10))
    await heartbeat(ws.db, alive, now=NOW - timedelta(minutes=2, seconds=59))
    await heartbeat(ws.db, silent, now=NOW - timedelta(minutes=3, seconds=1))  # killed
    await heartbeat(ws.db, gone, now=NOW - timedelta(seconds=5))
    await mark_offline(ws.db, gone, now=NOW - timedelta(seconds=1))  # a clean exit
    await mark_rate_limited(
        ws.db,
        organization_id=ws.identity.organization_id,
        workstation_id=alive,
        agent_name="codex",
        agent_type="codex",
        reset_at=NOW + timedelta(hours=1),
        reason="usage limit",
    )
    mission = await mission_at(ws.db, ws.project_id, "Running elsewhere", NOW)
    async with ws.db.write() as conn:
        await ChangeWriter(ws.db, conn).insert(
            "code_agent_sessions",
            {
                "organization_id": ws.identity.organization_id,
                "mission_id": mission.id,
                "workstation_id": alive,
                "code_agent_type": "claude",
                "code_agent_name": "claude",
                "stage": "plan",
                "status": "active",
                "started_at": NOW - timedelta(minutes=1),
            },
        )

    team = await team_workstations(ws.db, me, offline_after=TIMEOUT, now=NOW)

    assert [(w.workstation_id, w.online) for w in team] == [
        (me, True),
        (alive, True),
        (silent, False),
        (gone, False),
    ]
    assert team[0].is_this and not any(w.is_this for w in team[1:])
    by_id = {w.workstation_id: w for w in team}
    assert {a.name: a.state for a in by_id[alive].agents} == {
        "claude": "ready",
        "codex": "rate-limited",
    }
    assert [a.running for a in by_id[alive].agents] == [1, 0]
    assert [(s.mission_title, s.stage) for s in by_id[alive].sessions] == [
        ("Running elsewhere", "plan")
    ]
    assert by_id[silent].last_seen_at == NOW - timedelta(minutes=3, seconds=1)
    assert by_id[gone].last_seen_at == NOW - timedelta(seconds=1)
