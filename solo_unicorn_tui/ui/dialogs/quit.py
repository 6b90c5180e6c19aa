"""Quitting with agents at work: stop them, keep them running without the board, or stay."""

from __future__ import annotations

from typing import Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

QuitChoice = Literal["stop", "keep"]


class QuitScreen(ModalScreen[QuitChoice | None]):
    """Dismisses with "stop", "keep", or None (stay on the board)."""

    BINDINGS = [
        Binding("s", "choose('stop')", "Stop them", id="quit_stop"),
        Binding("k,enter", "choose('keep')", "Keep running", id="quit_keep"),
        Binding("escape,n", "choose(None)", "Stay", id="quit_stay"),
    ]

    def __init__(self, running: int, *, can_keep: bool = True) -> None:
        """``can_keep``: False where sessions run inside the app (the demo): stop or stay."""
        super().__init__()
        self.running = running
        self.can_keep = can_keep

    def compose(self) -> ComposeResult:
        sessions = "1 agent session is" if self.running == 1 else f"{self.running} sessions are"
        with Vertical(classes="dialog"):
            yield Static(f"{sessions} running. Quit?", classes="dialog-title")
            yield Static(
                "Kept sessions carry on in their own runner and finish without the board; the "
                "next board shows them live (and c still cancels them)."
                if self.can_keep
                else "The demo's sessions run inside it: quitting stops them.",
                classes="dialog-detail",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Stop them (s)", variant="error", id="stop")
                if self.can_keep:
                    yield Button("Keep running (k)", variant="primary", id="keep")
                yield Button("Stay (esc)", id="stay")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        choice = event.button.id
        self.dismiss(choice if choice in ("stop", "keep") else None)  # type: ignore[arg-type]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.can_keep or parameters != ("keep",)

    def action_choose(self, choice: QuitChoice | None) -> None:
        self.dismiss(choice)
