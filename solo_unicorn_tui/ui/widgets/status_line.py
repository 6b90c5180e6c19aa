"""The board's status line, always on screen: what runs, what waits, and the sync state.

``dispatcher on · 1/2 sessions · ⚑ 3 to review · synced 4 s ago`` — the runtime host reports the
first two (from memory, no database read), the board the review count, the sync host the rest.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from solo_unicorn_tui.ui.widgets.sync_status_label import SyncStatusLabel


class StatusLine(Horizontal):
    DEFAULT_CSS = """
    StatusLine { dock: bottom; height: 1; background: $panel; color: $text-muted; }
    StatusLine > Static { width: auto; padding: 0 1; }
    StatusLine #status-dispatcher.-on { color: $success; text-style: bold; }
    StatusLine #status-review { color: $warning; text-style: bold; }
    StatusLine #status-gap { width: 1fr; }
    """

    _review = ""

    def compose(self) -> ComposeResult:
        yield Static("dispatcher off", id="status-dispatcher")
        yield Static("sessions –", id="status-sessions")
        yield Static("", id="status-review")
        yield Static("", id="status-gap")
        yield SyncStatusLabel(id="sync-status")

    def _static(self, part: str) -> Static | None:
        # query, not query_one: news may arrive while the app shuts down and the line is gone
        return next(iter(self.query(f"#{part}").results(Static)), None)

    def show_runtime(self, dispatcher: bool, running: int, limit: int) -> None:
        dispatch = self._static("status-dispatcher")
        sessions = self._static("status-sessions")
        if dispatch is None or sessions is None:
            return
        dispatch.update("dispatcher on" if dispatcher else "dispatcher off (D)")
        dispatch.set_class(dispatcher, "-on")
        sessions.update(
            f"{running}/{limit} running" if limit else f"{running} running · no repository linked"
        )

    def show_review(self, waiting: int) -> None:
        """How many missions wait for a person in Review (0 shows nothing)."""
        review = self._static("status-review")
        text = f"⚑ {waiting} to review" if waiting else ""
        if review is not None and text != self._review:
            self._review = text  # an update lays the line out again: only when it changed
            review.update(text)
