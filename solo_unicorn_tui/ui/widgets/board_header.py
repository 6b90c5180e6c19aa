"""The board's top line: app name (and DEMO on the demo's throwaway board), project,
workstation and the filter. What runs and the sync state are on the status line."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static


class BoardHeader(Horizontal):
    DEFAULT_CSS = """
    BoardHeader { height: 1; background: $panel; color: $foreground; }
    BoardHeader #header-title { width: auto; text-style: bold; color: $accent; padding: 0 1; }
    BoardHeader #header-place { width: 1fr; color: $foreground; }
    BoardHeader #header-filter { width: auto; color: $warning; padding: 0 1; }
    BoardHeader #header-demo {
        width: auto; background: $warning; color: $background; text-style: bold; padding: 0 1;
    }
    """

    def __init__(self, *, demo: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.demo = demo

    def compose(self) -> ComposeResult:
        yield Static("🦄 Solo Unicorn", id="header-title")
        if self.demo:
            yield Static("DEMO · sample data, never saved or synced", id="header-demo")
        yield Static("opening the replica…", id="header-place")
        yield Static("", id="header-filter")

    def _show(self, part: str, text: str) -> None:
        # query, not query_one: a reload that ends while the app shuts down finds no children
        for static in self.query(f"#{part}").results(Static):
            static.update(text)

    def show_place(self, project: str, workstation: str) -> None:
        self._show(
            "header-place", f"[dim]project[/] {escape(project)}  [dim]on[/] {escape(workstation)}"
        )

    def show_filter(self, description: str) -> None:
        self._show("header-filter", f"filter: {description} (esc clears)" if description else "")
