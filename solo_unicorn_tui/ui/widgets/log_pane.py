"""Slot for the log pane that follows the selected mission's live session (runtime fills it)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from solo_unicorn_tui.ui.widgets.workstation_panel import NO_SESSIONS


class LogPane(Vertical):
    DEFAULT_CSS = """
    LogPane { dock: bottom; height: 4; border-top: solid $primary 50%; padding: 0 1; }
    LogPane .log-empty { color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        yield Static(NO_SESSIONS, classes="log-empty", id="log-empty")

    def on_mount(self) -> None:
        self.border_title = "Session log"
