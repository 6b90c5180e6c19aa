"""Rate limits end to end with a real subprocess agent: limited, requeued, skipped, resumed.

The agent is a plain command (no parser of its own) that prints an HTTP 429 error naming a
two-second reset the first time it runs, and does its work after that.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from solo_unicorn_tui.runtime.agent_profiles import AgentProfile
from solo_unicorn_tui.runtime.agents.rate_limits import limited_profiles, plain_rate_limit
from storage import missions as ops
from storage.sessions import list_sessions
from tests.runtime.test_sessions import _mission, _setup

AGENT = """
import os, pathlib, subprocess, sys
state = pathlib.Path(sys.argv[1])
if not state.exists():
    state.write_text("limited")
    print("working...")
    print("Error: 429 Too Many Requests: rate limit reached, please try again in 2s", flush=True)
    sys.exit(1)
done = pathlib.Path(f"agent-{os.environ['SOLO_UNICORN_STAGE']}.txt")
done.write_text("done\\n")
subprocess.run(["git", "add", str(done)], check=True)
subprocess.run(["git", "commit", "-q", "-m", "agent: work"], check=True)
"""


def _profile(state: Path) -> AgentProfile:
    return AgentProfile(name="plain", argv=[sys.executable, "-c", AGENT, str(state)])


async def test_a_rate_limited_agent_is_requeued_skipped_and_resumed_after_the_reset(
    workspace, tmp_path
):
    runtime, _ = await _setup(workspace, tmp_path, _profile(tmp_path / "state"))
    mission_id = await _mission(workspace)
    before = datetime.now(UTC)

    ended = await runtime.run_once()

    assert [e.status for e in ended] == ["rate_limited"]
    mission = await ops.get_mission(workspace.db, mission_id)
    assert (mission.list, mission.ready, mission.recovery_attempts) == ("todo", True, 0)
    assert mission.agent_session_status == "rate_limited"
    (session,) = await list_sessions(workspace.db, mission_id=mission_id)
    assert session.status == "rate_limited" and "429" in (session.error_message or "")
    limits = await limited_profiles(workspace.db, workspace.identity.workstation_id)
    reset = limits["plain"].reset_at
    assert before + timedelta(seconds=2) <= reset <= datetime.now(UTC) + timedelta(seconds=2)

    assert await runtime.dispatcher.start_available() == []
    assert "'plain' is rate-limited until" in (runtime.dispatcher.idle_reason or "")
    agent = next(a for a in (await runtime.snapshot()).agents if a.name == "plain")
    assert agent.rate_limited_until == reset and "429" in (agent.rate_limit_reason or "")

    runtime.start_dispatcher()
    try:
        for _ in range(600):
            mission = await ops.get_mission(workspace.db, mission_id)
            if mission.list == "review":
                break
            await asyncio.sleep(0.05)
    finally:
        await runtime.stop_dispatcher()
        await runtime.wait_idle()
    sessions = await list_sessions(workspace.db, mission_id=mission_id)
    assert mission.list == "review", (
        runtime.dispatcher.idle_reason,
        [(s.status, s.error_message) for s in sessions],
        mission.last_error,
    )
    sessions = await list_sessions(workspace.db, mission_id=mission_id)
    assert sorted(s.status for s in sessions) == ["completed", "completed", "rate_limited"]
    assert min(s.started_at for s in sessions if s.status == "completed") >= reset
    assert await limited_profiles(workspace.db, workspace.identity.workstation_id) == {}


def test_plain_text_rate_limits_need_an_error_not_a_mention():
    assert plain_rate_limit("HTTP 429 Too Many Requests") is not None
    assert plain_rate_limit("usage limit reached, resets at 5:00 PM") is not None
    assert plain_rate_limit("I added a rate limiter to the API") is None
    assert plain_rate_limit("wrote docs about rate limits") is None
