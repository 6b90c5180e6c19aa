"""The board's side panel (``w``): the workstation panel, shown on demand."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from solo_unicorn_tui.ui.widgets.workstation_panel import WorkstationPanel

NO_RUNTIME = "Opening the replica… the agent runtime starts once it is open."


class WorkstationSidebar(VerticalScroll):
    DEFAULT_CSS = """
    WorkstationSidebar {
        dock: right; width: 48; display: none; border-left: solid $primary 50%;
        background: $surface;
    }
    WorkstationSidebar.-shown { display: block; }
    WorkstationSidebar #sidebar-empty { color: $text-muted; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(NO_RUNTIME, id="sidebar-empty")
        yield WorkstationPanel(tick_seconds=1.0)

    @property
    def shown(self) -> bool:
        return self.has_class("-shown")

    def runtime_started(self) -> None:
        self.query_one("#sidebar-empty", Static).display = False
