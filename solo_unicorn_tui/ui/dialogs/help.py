"""The key bindings in force on the board (remapped keys shown as remapped)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="help_close")]

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        width = max((len(keys) for keys, _ in self.rows), default=8) + 2
        lines = [f"[b]{keys.ljust(width)}[/b]{text}" for keys, text in self.rows]
        with Vertical(classes="dialog help-dialog"):
            yield Static("Keys", classes="dialog-title")
            with VerticalScroll():
                yield Static("\n".join(lines), id="help-keys")
            yield Static(
                "ctrl+p opens the command palette with every action. Esc closes.",
                classes="dialog-detail",
            )

    def action_close(self) -> None:
        self.dismiss(None)
