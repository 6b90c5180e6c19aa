"""Messages the board's screens exchange."""

from __future__ import annotations

from textual.message import Message


class BoardChanged(Message):
    """Missions changed (here or in another process): reload, keeping ``follow`` selected."""

    def __init__(self, follow: str | None = None) -> None:
        super().__init__()
        self.follow = follow


class BoardReady(Message):
    """The first cards are on screen: the board is interactive."""
