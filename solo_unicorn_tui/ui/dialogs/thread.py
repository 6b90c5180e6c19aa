"""A mission's thread: the questions its agents asked and the answers, with who and when; the
person answers the open question here (ctrl+s), and the stage goes on with the answer."""

from __future__ import annotations

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea

from solo_unicorn_tui.cli.safe_text import printable
from solo_unicorn_tui.ui.board_data import BoardData
from solo_unicorn_tui.ui.errors import report_failure
from storage import validation
from storage.errors import ValidationError
from storage.models import MissionMessage
from storage.questions import QUESTION, open_questions


def render_thread(messages: list[MissionMessage]) -> str:
    """Markup for the thread: one block per message, its author, stage and time first."""
    if not messages:
        return "[dim]No questions yet.[/dim]"
    blocks = []
    for message in messages:
        who = "asked" if message.kind == QUESTION else "answered"
        blocks.append(
            f"[b]{escape(printable(message.author_name, multiline=False))}[/b] {who} "
            f"[dim]({escape(message.stage or '?')} · {message.created_at:%Y-%m-%d %H:%M} UTC)"
            f"[/dim]\n{escape(printable(message.body))}"
        )
    return "\n\n".join(blocks)


class ThreadScreen(ModalScreen[str | None]):
    """Dismisses with the answer typed (the board writes it), or None."""

    BINDINGS = [
        Binding("ctrl+s", "submit", "Answer", id="thread_answer"),
        Binding("escape", "cancel", "Close", id="thread_close"),
    ]

    def __init__(self, data: BoardData, mission_id: str, title: str) -> None:
        super().__init__()
        self.data = data
        self.mission_id = mission_id
        self.mission_title = title
        self.waiting = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form-dialog"):
            yield Static(f"Thread of “{self.mission_title}”", classes="dialog-title")
            with VerticalScroll(id="thread-scroll"):
                yield Static("Loading…", id="thread-messages")
            yield Static("", id="thread-hint", classes="dialog-detail")
            yield TextArea(id="thread-answer")
            yield Static("", id="thread-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Answer (ctrl+s)", variant="primary", id="answer")
                yield Button("Close (esc)", id="close")

    def on_mount(self) -> None:
        # Anchored, the thread stays scrolled to its newest message (the open question, to read
        # first) through every layout: the messages arriving and the answer box appearing.
        self.query_one("#thread-scroll", VerticalScroll).anchor()
        self._load()

    @work(exclusive=True, group="thread")
    async def _load(self) -> None:
        with report_failure(self) as failed:
            messages = await self.data.thread(self.mission_id)
        if failed:
            self.dismiss(None)
            return
        self.query_one("#thread-messages", Static).update(render_thread(messages))
        self.waiting = bool(open_questions(messages))
        self.query_one("#thread-hint", Static).update(
            "Your answer goes into the agent's next prompt; the stage continues."
            if self.waiting
            else "No open question: nothing to answer."
        )
        self.query_one("#thread-answer", TextArea).display = self.waiting
        self.query_one("#answer", Button).display = self.waiting
        if self.waiting:
            self.query_one("#thread-answer", TextArea).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "answer":
            self.action_submit()
        else:
            self.action_cancel()

    def action_submit(self) -> None:
        if not self.waiting:
            return
        text = self.query_one("#thread-answer", TextArea).text
        try:
            cleaned = validation.long_text(text, "answer") or ""
            if not cleaned.strip():
                raise ValidationError("answer", "must not be empty")
        except ValidationError as error:
            self.query_one("#thread-error", Static).update(str(error))
            return
        self.dismiss(cleaned.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
