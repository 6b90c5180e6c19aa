"""The floor for `terminal_bench.py`: the least a Textual app does to show cards and follow keys.

    python bench/minimal_textual_app.py REPLICA

One OptionList of the first Todo titles (standard-library sqlite3, the board's order), as
many as the board holds of a list (its window, ``ui.widgets.mission_list.WINDOW``: 240), and
a caption line naming the highlighted one, in the board's caption format; `j`/`k` move.
"""

from __future__ import annotations

import sqlite3
import sys

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Static

#: The board's window of one list (``solo_unicorn_tui.ui.widgets.mission_list.WINDOW``).
WINDOW = 240


class MinimalApp(App[None]):
    CSS = "OptionList { height: 1fr; } #caption { height: 1; }"
    BINDINGS = [Binding("j", "down"), Binding("k", "up"), Binding("q", "quit")]

    def __init__(self, replica: str) -> None:
        super().__init__()
        with sqlite3.connect(replica) as db:
            self.titles = [
                str(title)
                for (title,) in db.execute(
                    "SELECT title FROM missions WHERE list = 'todo' AND deleted = 0 "
                    "ORDER BY list_order, id LIMIT ?",
                    (WINDOW,),
                )
            ]

    def compose(self) -> ComposeResult:
        yield OptionList(*self.titles)
        yield Static(id="caption")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.query_one("#caption", Static).update(f" {self.titles[event.option_index]} — selected")

    def action_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()


if __name__ == "__main__":
    MinimalApp(sys.argv[1]).run()
