"""Closing the loop on a mission: merge into its target, push, open the PR, clean up."""

from __future__ import annotations

from typing import Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

FinishStep = Literal["merge", "push", "pull_request", "clean_up"]
STEPS: tuple[tuple[FinishStep, str, str], ...] = (
    ("merge", "m", "Merge into {target}"),
    ("push", "p", "Push {target}"),
    ("pull_request", "o", "Open the PR"),
    ("clean_up", "c", "Clean up the worktree"),
)


class FinishScreen(ModalScreen[FinishStep | None]):
    """Dismisses with the step chosen, or None."""

    BINDINGS = [
        *(
            Binding(key, f"choose('{step}')", show=False, id=f"finish_{step}")
            for step, key, _ in STEPS
        ),
        Binding("escape", "choose(None)", "Close", id="finish_close"),
    ]

    def __init__(self, title: str, branch: str, target: str, state: str) -> None:
        super().__init__()
        self.mission_title, self.branch, self.target, self.state = title, branch, target, state

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Finish “{self.mission_title}”", classes="dialog-title")
            yield Static(
                f"{self.branch} → {self.target}: {self.state}\n"
                "Merging refuses conflicts and a dirty target; nothing is half-merged. The PR "
                "needs PR mode (a GitHub token); clean-up keeps the branch.",
                classes="dialog-detail",
            )
            with Horizontal(classes="dialog-buttons"):
                for step, key, label in STEPS:
                    yield Button(f"{label.format(target=self.target)} ({key})", id=step)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)  # type: ignore[arg-type]

    def action_choose(self, step: FinishStep | None) -> None:
        self.dismiss(step)
