"""The workstation panel lists the team from a real snapshot: this workstation first."""

from __future__ import annotations

import io
from datetime import timedelta

from rich.console import Console
from textual.app import App, ComposeResult

from solo_unicorn_tui.runtime.core import Runtime
from solo_unicorn_tui.ui.widgets.workstation_panel import WorkstationPanel
from solo_unicorn_tui.workspace import Workspace
from storage.changes import ChangeWriter
from storage.models import Workstation
from storage.types import utcnow
from storage.workstations import heartbeat


class PanelHost(App[None]):
    def compose(self) -> ComposeResult:
        yield WorkstationPanel(tick_seconds=None)


async def test_panel_shows_every_workstation_online_or_not(workspace: Workspace) -> None:
    ws = workspace
    async with ws.db.write() as conn:
        other = await ChangeWriter(ws.db, conn).insert(
            Workstation.__table__,
            {
                "organization_id": ws.identity.organization_id,
                "name": "aaa-laptop",
                "status": "online",
                "available_code_agents": [{"name": "codex", "type": "codex"}],
            },
        )
    await heartbeat(ws.db, other["id"], now=utcnow() - timedelta(hours=2))  # killed long ago
    runtime = Runtime.from_workspace(ws)
    await runtime.announce()
    snapshot = await runtime.snapshot(with_git_status=False)
    await runtime.shutdown()

    app = PanelHost()
    async with app.run_test(size=(60, 40)) as pilot:
        panel = app.query_one(WorkstationPanel)
        panel.snapshot = snapshot
        await pilot.pause()
        console = Console(width=60, record=True, file=io.StringIO())
        console.print(panel.render())
        text = console.export_text()
    team = text[text.index("Team (1/2 online)") :]
    this = team.index("(this)  online")
    laptop = team.index("○ aaa-laptop  offline · seen 2h ago")
    assert this < laptop  # this workstation first, though "aaa" sorts before it
    assert "codex ready 0/1" in team
