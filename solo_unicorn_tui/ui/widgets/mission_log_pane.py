"""The board's log pane: a one-line caption over a :class:`SessionLogView` of one session.

Collapsed (``o``, and by default on a short terminal) it is the caption line alone.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from solo_unicorn_tui.ui.widgets.session_log_view import SessionLogView


class MissionLogPane(Vertical):
    DEFAULT_CSS = """
    MissionLogPane {
        height: 12;
        border-top: tall $panel;
    }
    MissionLogPane > #log-caption {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    MissionLogPane > SessionLogView {
        height: 1fr;
    }
    """

    def __init__(
        self, *, max_lines: int = 2000, name: str | None = None, id: str | None = None
    ) -> None:
        super().__init__(name=name, id=id)
        self.max_lines = max_lines
        self.session_id: str | None = None
        self._shown_caption = "no mission selected"
        self._idle = False

    def compose(self) -> ComposeResult:
        yield Static("no mission selected", id="log-caption")
        yield SessionLogView(max_lines=self.max_lines, id="mission-log")

    @property
    def view(self) -> SessionLogView:
        return self.query_one("#mission-log", SessionLogView)

    def _caption(self, caption: str) -> None:
        # one line, fixed: a new caption repaints it and lays nothing else out
        if caption != self._shown_caption:
            self._shown_caption = caption
            self.query_one("#log-caption", Static).update(caption, layout=False)

    def follow_session(self, session_id: str, log_path: str | Path, caption: str) -> None:
        """Show a session's log from its file and keep following it (no-op if already shown)."""
        self._caption(caption)
        if session_id == self.session_id:
            return
        self.session_id = session_id
        self._idle = False
        self.view.follow_log(log_path)

    def show_idle(self, caption: str) -> None:
        """No session to show (e.g. the mission never ran)."""
        if self.session_id is not None or not self._idle:
            self.session_id = None
            self._idle = True
            self.view.stop_following_file()
            self.view.clear()
        self._caption(caption)
