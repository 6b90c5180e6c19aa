"""Forms of the Flows tab: a new flow (name and stage list) and one stage of a flow."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, Static, TextArea

from solo_unicorn_tui.ui.dialogs.saving_form import Save, SavingForm


def _buttons() -> ComposeResult:
    with Horizontal(classes="dialog-buttons"):
        yield Button("Save (ctrl+s)", variant="primary", id="save")
        yield Button("Cancel (esc)", id="cancel")


class NewFlowScreen(SavingForm):
    """Saves ``{"name", "stages"}``; ``stages`` is the short form ``clarify,plan!,code!``."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("New flow", classes="dialog-title")
            yield Label("Name")
            yield Input(placeholder="Bug fix", id="flow-name")
            yield Label("Stages in order, '!' after a name = needs review")
            yield Input("clarify,plan!,code!", id="flow-stages")
            yield Static(
                "Each stage's instructions can be written afterwards (enter on a stage).",
                classes="dialog-detail",
            )
            yield Static("", id="form-error", classes="field-error")
            yield from _buttons()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#flow-name", Input).focus()

    def values(self) -> dict[str, Any]:
        return {
            "name": self.query_one("#flow-name", Input).value,
            "stages": self.query_one("#flow-stages", Input).value,
        }

    def on_input_submitted(self) -> None:
        self.action_save()


class StageFormScreen(SavingForm):
    """Saves ``{"name", "requires_review", "instructions", "agent"}`` for one stage."""

    def __init__(self, save: Save, title: str, stage: dict[str, Any] | None = None) -> None:
        super().__init__(save)
        self.title_text = title
        self.stage = stage or {}

    def compose(self) -> ComposeResult:
        stage = self.stage
        with VerticalScroll(classes="dialog form-dialog stage-dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield Label("Name (lowercase letters, digits, '-' or '_')")
            yield Input(stage.get("name", ""), placeholder="review-docs", id="stage-name")
            yield Checkbox(
                "Requires review (waits in Review before the next stage)",
                bool(stage.get("requires_review")),
                id="stage-review",
            )
            yield Label("Instructions for the agent in this stage")
            yield TextArea(stage.get("instructions") or "", id="stage-instructions")
            yield Label("Agent profile for this stage (empty: the project's or workstation's)")
            yield Input(stage.get("agent") or "", placeholder="claude", id="stage-agent")
            yield Static("", id="form-error", classes="field-error")
            yield from _buttons()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#stage-name", Input).focus()

    def values(self) -> dict[str, Any]:
        return {
            "name": self.query_one("#stage-name", Input).value,
            "requires_review": self.query_one("#stage-review", Checkbox).value,
            "instructions": self.query_one("#stage-instructions", TextArea).text,
            "agent": self.query_one("#stage-agent", Input).value,
        }

    def on_input_submitted(self) -> None:
        self.action_save()
