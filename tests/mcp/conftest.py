"""A home with two projects and their missions, and a real ``solo-unicorn mcp`` to talk to.

The server runs as a separate process over stdio, driven by the MCP SDK's own client, exactly
as an agent CLI would start it from its per-session config.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from solo_unicorn_tui.home import Home
from solo_unicorn_tui.workspace import Workspace
from storage import dependencies
from storage import missions as ops
from storage.identity import create_project
from storage.memory import set_memory
from storage.models import Mission

ROOT = Path(__file__).resolve().parents[2]
#: Seconds a client waits for one answer: generous for a loaded machine, never reached when
#: the server works.
ANSWER_TIMEOUT = 60


@dataclass
class Board:
    ws: Workspace
    home: Home
    mission: Mission
    """The session's mission (the server is bound to it)."""
    sibling: Mission
    """Another mission of the same project."""
    blocker: Mission
    foreign: Mission
    """A mission of another project on the same replica."""


@pytest.fixture
async def board(home: Home, workspace: Workspace) -> Board:
    db = workspace.db
    project = workspace.project_id
    await set_memory(db, project, "Use tabs, not spaces.")
    mission = await ops.create_mission(
        db,
        project,
        ops.MissionDraft(title="Add dark mode", description="Users want a dark theme."),
    )
    sibling = await ops.create_mission(db, project, ops.MissionDraft(title="Fix the footer"))
    blocker = await ops.create_mission(db, project, ops.MissionDraft(title="Pick the palette"))
    await dependencies.add_dependency(db, mission.id, blocker.id)
    other = await create_project(db, workspace.identity.organization_id, "Secret project")
    foreign = await ops.create_mission(db, other.id, ops.MissionDraft(title="Secret plan"))
    return Board(workspace, home, mission, sibling, blocker, foreign)


def server_params(home: Home, *args: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "solo_unicorn_tui.cli.main", "mcp", *args],
        env={"SOLO_UNICORN_HOME": str(home.root), "PYTHONPATH": os.environ.get("PYTHONPATH", "")},
        cwd=str(ROOT),
    )


@dataclass
class Connection:
    session: ClientSession
    stderr: io.TextIOBase

    def errors(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read()


@asynccontextmanager
async def connect(home: Home, *args: str) -> AsyncIterator[Connection]:
    """A client session with a fresh ``solo-unicorn mcp ARGS`` (its stderr kept for checks)."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as stderr:
        async with (
            stdio_client(server_params(home, *args), errlog=stderr) as (read, write),
            ClientSession(read, write, read_timeout_seconds=ANSWER_TIMEOUT) as session,
        ):
            await session.initialize()
            yield Connection(session, stderr)  # type: ignore[arg-type]
