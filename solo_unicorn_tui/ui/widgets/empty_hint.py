"""One line over an empty board of a replica that is past its first run (the welcome board is
for a replica that never held a mission): says so and names the key that adds one."""

from __future__ import annotations

from rich.markup import escape
from textual.widgets import Static


class EmptyHint(Static):
    DEFAULT_CSS = """
    EmptyHint { display: none; height: 1; padding: 0 1; color: $text-muted; }
    EmptyHint.-shown { display: block; }
    """

    def show_for(self, empty: bool, new_key: str) -> None:
        """Show the hint while the board is ``empty``; ``new_key``: the key of New mission."""
        if empty:
            self.update(f"no missions — [b]{escape(new_key)}[/] to add one")
        self.set_class(empty, "-shown")
