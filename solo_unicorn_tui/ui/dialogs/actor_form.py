"""Create or edit an actor: the persona an agent takes on."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Static, TextArea

from solo_unicorn_tui.ui.dialogs.saving_form import Save, SavingForm
from storage.models import Actor


class ActorFormScreen(SavingForm):
    """Saves ``{"name", "system_prompt", "methodology", "focus_areas"}`` (areas comma-separated)."""

    def __init__(self, save: Save, actor: Actor | None = None) -> None:
        super().__init__(save)
        self.actor = actor

    def compose(self) -> ComposeResult:
        a = self.actor
        with VerticalScroll(classes="dialog form-dialog actor-dialog"):
            yield Static(f"Edit actor {a.name}" if a else "New actor", classes="dialog-title")
            yield Label("Name")
            yield Input(a.name if a else "", placeholder="Reviewer", id="actor-name")
            yield Label("System prompt")
            yield TextArea((a.system_prompt or "") if a else "", id="actor-prompt")
            yield Label("Methodology")
            yield TextArea((a.methodology or "") if a else "", id="actor-methodology")
            yield Label("Focus areas, comma-separated")
            yield Input(
                ", ".join(a.focus_areas or []) if a else "",
                placeholder="correctness, tests",
                id="actor-focus",
            )
            yield Static("", id="form-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#actor-name", Input).focus()

    def values(self) -> dict[str, Any]:
        return {
            "name": self.query_one("#actor-name", Input).value,
            "system_prompt": self.query_one("#actor-prompt", TextArea).text,
            "methodology": self.query_one("#actor-methodology", TextArea).text,
            "focus_areas": self.query_one("#actor-focus", Input).value,
        }

    def on_input_submitted(self) -> None:
        self.action_save()
