"""The board's top line: app name, project, workstation, filter and the sync state."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from solo_unicorn_tui.ui.widgets.sync_status_label import SyncStatusLabel


class BoardHeader(Horizontal):
    DEFAULT_CSS = """
    BoardHeader { height: 1; background: $panel; color: $foreground; }
    BoardHeader #header-title { width: auto; text-style: bold; color: $accent; padding: 0 1; }
    BoardHeader #header-place { width: 1fr; color: $foreground; }
    BoardHeader #header-filter { width: auto; color: $warning; padding: 0 1; }
    BoardHeader #header-review { width: auto; color: $warning; text-style: bold; padding: 0 1; }
    BoardHeader SyncStatusLabel { width: auto; color: $text-muted; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static("🦄 Solo Unicorn", id="header-title")
        yield Static("opening the replica…", id="header-place")
        yield Static("", id="header-filter")
        yield Static("", id="header-review")
        yield SyncStatusLabel(id="sync-status")

    def show_place(self, project: str, workstation: str) -> None:
        self.query_one("#header-place", Static).update(
            f"[dim]project[/] {escape(project)}  [dim]on[/] {escape(workstation)}"
        )

    def show_review(self, waiting: int) -> None:
        """How many missions wait for a person in Review (0 shows nothing)."""
        text = f"⚑ {waiting} to review" if waiting else ""
        self.query_one("#header-review", Static).update(text)

    def show_filter(self, description: str) -> None:
        text = f"filter: {description} (esc clears)" if description else ""
        self.query_one("#header-filter", Static).update(text)
