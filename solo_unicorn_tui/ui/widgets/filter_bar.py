"""The board's query line: ``/`` filters the board as you type, ``:`` or ``#`` jumps to a
mission by the end of its id. Enter keeps the filter and returns to the cards, Esc clears it."""

from __future__ import annotations

from typing import Literal

from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input

Mode = Literal["filter", "jump"]
PLACEHOLDERS = {
    "filter": "filter: words in title, description or id · p1–p5 · stage:NAME · agent:NAME · "
    "blocked · ready",
    "jump": "jump to the mission whose id ends with…",
}


class FilterBar(Input):
    DEFAULT_CSS = """
    FilterBar { dock: top; display: none; height: 1; border: none; padding: 0 1;
                background: $boost; }
    FilterBar.-shown { display: block; }
    """
    BINDINGS = [Binding("escape", "cancel", "Clear", id="filter_bar_cancel")]

    class QueryChanged(Message):
        """The query changed (filter mode: the board narrows at once)."""

        def __init__(self, mode: Mode, value: str) -> None:
            super().__init__()
            self.mode, self.value = mode, value

    class QueryDone(Message):
        """Enter (``cancelled`` False) or Esc (True) ended the query."""

        def __init__(self, mode: Mode, value: str, cancelled: bool) -> None:
            super().__init__()
            self.mode, self.value, self.cancelled = mode, value, cancelled

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, compact=True)
        self.mode: Mode = "filter"

    def open(self, mode: Mode, value: str = "") -> None:
        self.mode = mode
        self.placeholder = PLACEHOLDERS[mode]
        self.value = value
        self.add_class("-shown")
        self.focus()

    def close(self) -> None:
        self.remove_class("-shown")
        self.screen.set_focus(None)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.has_class("-shown"):
            self.post_message(self.QueryChanged(self.mode, event.value))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.close()
        self.post_message(self.QueryDone(self.mode, event.value, cancelled=False))

    def action_cancel(self) -> None:
        self.close()
        self.post_message(self.QueryDone(self.mode, "", cancelled=True))
