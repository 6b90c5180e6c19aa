"""Ask a reviewer why a mission is rejected; the text goes into the agent's next prompt."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea

from storage import validation
from storage.errors import ValidationError


class FeedbackScreen(ModalScreen[str | None]):
    BINDINGS = [
        Binding("ctrl+s", "submit", "Reject", id="feedback_submit"),
        Binding("escape", "cancel", "Cancel", id="feedback_cancel"),
    ]

    def __init__(self, title: str) -> None:
        super().__init__()
        self.mission_title = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Reject “{self.mission_title}”", classes="dialog-title")
            yield Static(
                "What should change? (ctrl+s rejects, esc cancels)", classes="dialog-detail"
            )
            yield TextArea(id="feedback-text")
            yield Static("", id="feedback-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Reject (ctrl+s)", variant="error", id="reject")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "reject":
            self.action_submit()
        else:
            self.action_cancel()

    def action_submit(self) -> None:
        text = self.query_one(TextArea).text
        try:
            cleaned = validation.long_text(text, "feedback") or ""
            if not cleaned.strip():
                raise ValidationError("feedback", "must not be empty; say what should change")
        except ValidationError as error:
            self.query_one("#feedback-error", Static).update(str(error))
            return
        self.dismiss(cleaned.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
