"""The session-log screen (``g``): pick any past or running session, follow it, search it.

Keys: ``/`` search, ``n``/``N`` next/previous match, ``e``/``E`` next/previous error,
``f`` follow the end (tail), ``t`` raw output / readable lines, ``r`` reload the list,
``escape`` back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from solo_unicorn_tui.ui.board_data import SessionEntry
from solo_unicorn_tui.ui.widgets.session_log_view import SessionLogView

STATUS_MARKS = {
    "starting": ("◌", "yellow"),
    "active": ("●", "bold green"),
    "completed": ("✓", "green"),
    "failed": ("✗", "bold red"),
    "timeout": ("⧗", "red"),
    "cancelled": ("■", "dim"),
}

SessionLoader = Callable[[], Awaitable[list[SessionEntry]]]
"""The sessions to list, newest first (``BoardData.sessions`` on the board)."""


def session_label(entry: SessionEntry) -> Text:
    mark, style = STATUS_MARKS.get(entry.status, ("?", "dim"))
    when = entry.started_at.strftime("%m-%d %H:%M") if entry.started_at else "--"
    return Text.assemble(
        (mark + " ", style),
        (when + " ", "dim"),
        (entry.mission_title[:40], "bold"),
        (f"  {entry.agent_name} · {entry.stage}", "dim"),
    )


class SessionLogsScreen(Screen[None]):
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS = [
        Binding("escape", "back", "Back", id="session_logs_back"),
        Binding("slash", "search", "Search", id="session_logs_search"),
        Binding("n", "next_match", "Next", id="session_logs_next"),
        Binding("N", "previous_match", "Prev", show=False, id="session_logs_prev"),
        Binding("e", "next_error", "Next error", id="session_logs_next_error"),
        Binding("E", "previous_error", "Prev error", show=False, id="session_logs_prev_error"),
        Binding("f", "follow", "Follow", id="session_logs_follow"),
        Binding("t", "toggle_raw", "Raw", id="session_logs_raw"),
        Binding("r", "reload", "Reload", id="session_logs_reload"),
    ]

    def __init__(
        self,
        load_sessions: SessionLoader,
        *,
        session_id: str | None = None,
        max_lines: int = 10_000,
        name: str | None = None,
    ) -> None:
        super().__init__(name=name)
        self.load_sessions = load_sessions
        self.initial_session_id = session_id
        self.max_lines = max_lines
        self.entries: list[SessionEntry] = []
        self.current: SessionEntry | None = None
        self.term = ""

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield OptionList(id="session-list")
            with Vertical(id="session-log-pane"):
                yield SessionLogView(id="session-log", max_lines=self.max_lines)
                yield Input(placeholder="search the log, enter to find", id="log-search")
                yield Static("", id="session-log-status")
        yield Footer()

    @property
    def log_view(self) -> SessionLogView:
        return self.query_one("#session-log", SessionLogView)

    def on_mount(self) -> None:
        self.run_worker(self._load(), exclusive=True, group="session-logs-load")

    async def _load(self) -> None:
        entries = await self.load_sessions()
        self.show_entries(entries)

    def show_entries(self, entries: list[SessionEntry]) -> None:
        """Fill the list; keep the current choice, else the requested one, else the newest."""
        self.entries = entries
        options = self.query_one("#session-list", OptionList)
        options.clear_options()
        options.add_options([Option(session_label(e), id=e.session_id) for e in entries])
        wanted = self.current.session_id if self.current else self.initial_session_id
        index = next((i for i, e in enumerate(entries) if e.session_id == wanted), 0)
        if entries:
            options.highlighted = index
            self.open_session(entries[index])
        else:
            self._status("no sessions yet: run a mission with r, or 'solo-unicorn work'")

    def open_session(self, entry: SessionEntry) -> None:
        if self.current is not None and self.current.session_id == entry.session_id:
            return
        self.current = entry
        self.log_view.follow_log(entry.log_path)
        self._status()

    @on(OptionList.OptionHighlighted, "#session-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        entry = next((e for e in self.entries if e.session_id == event.option.id), None)
        if entry is not None:
            self.open_session(entry)

    @on(SessionLogView.FollowChanged)
    def _follow_changed(self, _event: SessionLogView.FollowChanged) -> None:
        self._status()

    def _status(self, message: str | None = None) -> None:
        if message is None and self.current is not None:
            entry = self.current
            mode = "following" if self.log_view.follow else "paused (f to follow)"
            shown = "raw output (t: readable)" if self.log_view.raw else "readable (t: raw)"
            message = f"{entry.session_id}  {entry.status}  {mode}  {shown}"
            if entry.usage:
                message += f"  {entry.usage}"
            if self.term:
                message += f"  search: {self.term!r}"
        self.query_one("#session-log-status", Static).update(message or "")

    def action_back(self) -> None:
        search = self.query_one("#log-search", Input)
        if search.has_class("-visible"):
            search.remove_class("-visible")
            self.log_view.focus()
            return
        self.log_view.stop_following_file()
        self.dismiss(None)

    def action_search(self) -> None:
        search = self.query_one("#log-search", Input)
        search.add_class("-visible")
        search.value = self.term
        search.focus()

    @on(Input.Submitted, "#log-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        self.term = event.value
        event.input.remove_class("-visible")
        self.log_view.focus()
        self._find(self.log_view.search(self.term, backwards=True) if self.term else False)

    def _find(self, found: bool) -> None:
        self._status(None if found else f"not found: {self.term!r}" if self.term else None)

    def action_next_match(self) -> None:
        if self.term:
            self._find(self.log_view.search(self.term))

    def action_previous_match(self) -> None:
        if self.term:
            self._find(self.log_view.search(self.term, backwards=True))

    def action_next_error(self) -> None:
        if not self.log_view.next_error():
            self._status("no more errors below")

    def action_previous_error(self) -> None:
        if not self.log_view.next_error(backwards=True):
            self._status("no more errors above")

    def action_follow(self) -> None:
        self.log_view.action_follow()

    def action_toggle_raw(self) -> None:
        self.log_view.action_toggle_raw()
        self._status()

    def action_reload(self) -> None:
        self.run_worker(self._load(), exclusive=True, group="session-logs-load")
