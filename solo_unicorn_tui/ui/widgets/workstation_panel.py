"""Slot for the workstation side panel (agents, sessions, worktrees) the runtime fills."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

NO_SESSIONS = "No agent sessions yet — link a repo and run a mission (r)"


class WorkstationPanel(Vertical):
    DEFAULT_CSS = """
    WorkstationPanel {
        dock: right; width: 36; display: none; border-left: solid $primary 50%;
        padding: 0 1; background: $surface;
    }
    WorkstationPanel.-shown { display: block; }
    WorkstationPanel .panel-title { text-style: bold; color: $accent; }
    WorkstationPanel .panel-empty { color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        yield Static("Workstation", classes="panel-title")
        yield Static(NO_SESSIONS, classes="panel-empty", id="workstation-empty")
