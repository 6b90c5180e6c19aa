"""A session run by another process (``solo-unicorn work``) is cancelled by a request file its
runtime honours; the liveness check of a runner never disturbs it."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from solo_unicorn_tui.runtime.events import SessionStarted
from solo_unicorn_tui.runtime.runners import lock_path, request_path, runner_alive
from solo_unicorn_tui.workspace import Workspace
from storage.sessions import get_session
from tests.runtime.test_sessions import _mission, _setup
from tests.support.runtime_fixtures import script_profile

ASK_TO_CANCEL = (
    "import sys; from pathlib import Path; from solo_unicorn_tui.home import Home; "
    "from solo_unicorn_tui.runtime.runners import request_cancel; "
    "request_cancel(Home(Path(sys.argv[1])), sys.argv[2], 'stopped from another board')"
)


async def test_a_cancel_request_from_another_process_stops_the_session(
    workspace: Workspace, tmp_path
) -> None:
    runtime, _repo = await _setup(workspace, tmp_path, script_profile("sleep"))
    mission_id = await _mission(workspace)
    started = asyncio.Event()
    runtime.subscribe(lambda e: started.set() if isinstance(e, SessionStarted) else None)
    handle = await runtime.run_mission(mission_id)
    await asyncio.wait_for(started.wait(), 30)
    assert handle.session_id is not None
    assert runner_alive(workspace.home, handle.session_id)
    assert runner_alive(workspace.home, handle.session_id), "asking twice changes nothing"

    subprocess.run(
        [sys.executable, "-c", ASK_TO_CANCEL, str(workspace.home.root), mission_id], check=True
    )
    assert handle.task is not None
    ended = await asyncio.wait_for(handle.task, 30)
    assert (ended.status, ended.reason) == ("cancelled", "stopped from another board")
    session = await get_session(workspace.db, handle.session_id)
    assert session.status == "cancelled"
    assert not request_path(workspace.home, mission_id).exists(), "the request was taken"
    assert not runner_alive(workspace.home, handle.session_id)
    assert not lock_path(workspace.home, handle.session_id).exists()
    await runtime.shutdown()
