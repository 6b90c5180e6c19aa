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

    def _show(self, part: str, text: str) -> None:
        # query, not query_one: a reload that ends while the app shuts down finds no children
        for static in self.query(f"#{part}").results(Static):
            static.update(text)

    def show_place(self, project: str, workstation: str) -> None:
        self._show(
            "header-place", f"[dim]project[/] {escape(project)}  [dim]on[/] {escape(workstation)}"
        )

    def show_review(self, waiting: int) -> None:
        """How many missions wait for a person in Review (0 shows nothing)."""
        self._show("header-review", f"⚑ {waiting} to review" if waiting else "")

    def show_filter(self, description: str) -> None:
        self._show("header-filter", f"filter: {description} (esc clears)" if description else "")
