"""The main screen: four columns of missions and keyboard triage.

Every change is shown at once on the cards held in memory, then written through the domain
operations in a worker; when the write commits the touched columns reload from the replica, so
what you see is what was stored. Changes by other processes are noticed by polling SQLite's
``data_version`` (a counter, no table read) twice a second.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer

from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.ui.board_data import BoardData
from solo_unicorn_tui.ui.messages import BoardChanged, BoardReady
from solo_unicorn_tui.ui.widgets.board_column import BoardColumn
from solo_unicorn_tui.ui.widgets.board_header import BoardHeader
from solo_unicorn_tui.ui.widgets.fallback_area import FallbackArea
from solo_unicorn_tui.ui.widgets.log_pane import LogPane
from solo_unicorn_tui.ui.widgets.mission_list import MissionList
from solo_unicorn_tui.ui.widgets.workstation_panel import WorkstationPanel
from storage.errors import StorageError
from storage.models import MISSION_LISTS

POLL_SECONDS = 0.5
RUNTIME_MISSING = "The agent runtime is not connected in this build; {what} is not available yet."

#: (key, action, description, id, show in footer)
BOARD_KEYS: list[tuple[str, str, str, str, bool]] = [
    ("left,h", "cursor_left", "Previous list", "cursor_left", False),
    ("right,l", "cursor_right", "Next list", "cursor_right", False),
    ("up,k", "cursor_up", "Previous card", "cursor_up", False),
    ("down,j", "cursor_down", "Next card", "cursor_down", False),
    ("home", "cursor_first", "First card", "cursor_first", False),
    ("end", "cursor_last", "Last card", "cursor_last", False),
    ("pageup", "page_up", "Page up", "page_up", False),
    ("pagedown", "page_down", "Page down", "page_down", False),
    ("H,shift+left", "move_prev", "Move card to previous list", "move_prev", False),
    ("L,shift+right", "move_next", "Move card to next list", "move_next", True),
    ("K,shift+up", "reorder_up", "Move card up", "reorder_up", False),
    ("J,shift+down", "reorder_down", "Move card down", "reorder_down", False),
    ("enter", "open_mission", "Open mission", "open_mission", True),
    ("e", "edit_mission", "Edit mission", "edit_mission", False),
    ("n", "new_mission", "New", "new_mission", True),
    ("d", "delete_mission", "Delete", "delete_mission", True),
    ("space", "toggle_ready", "Ready", "toggle_ready", True),
    ("plus,+", "priority_up", "Priority up", "priority_up", False),
    ("minus,-", "priority_down", "Priority down", "priority_down", False),
    ("a", "approve", "Approve", "approve", True),
    ("x", "reject", "Reject", "reject", True),
    ("r", "run_mission", "Run mission now", "run_mission", False),
    ("c", "cancel_session", "Cancel running session", "cancel_session", False),
    ("g", "session_logs", "Session logs", "session_logs", False),
    ("s", "sync_now", "Sync now", "sync_now", False),
    ("w", "toggle_workstation", "Workstation panel", "toggle_workstation", False),
    ("slash", "filter", "Filter", "filter", True),
    ("escape", "clear_filter", "Clear filter", "clear_filter", False),
    ("p", "switch_project", "Project", "switch_project", True),
    ("question_mark", "help", "Help", "help", True),
    ("q", "quit", "Quit", "quit", True),
]


class BoardScreen(Screen[None]):
    BINDINGS = [
        Binding(key, action, description, show=show, id=binding_id)
        for key, action, description, binding_id, show in BOARD_KEYS
    ]

    def __init__(self, open_data: Callable[[], Awaitable[BoardData]]) -> None:
        super().__init__(id="board")
        self._open_data = open_data
        self.data: BoardData | None = None
        self.column = 0
        self._polling = False
        self._ready_sent = False
        self.ready_at: float | None = None

    def compose(self) -> ComposeResult:
        yield BoardHeader(id="board-header")
        yield WorkstationPanel(id="workstation-panel")
        yield LogPane(id="log-pane")
        with Horizontal(id="columns"):
            for name in MISSION_LISTS:
                extra = (FallbackArea(id="fallback-area"),) if name == "todo" else ()
                yield BoardColumn(name, *extra)
        yield Footer()

    # --- start-up ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._columns()[0].set_active(True)
        self.call_after_refresh(self._open)

    @work(group="open")
    async def _open(self) -> None:
        try:
            self.data = await self._open_data()
        except (StorageError, UserError) as error:
            self.notify(str(error), title="Cannot open the replica", severity="error")
            return
        for column in self._columns():
            column.mission_list.data = self.data
        self.reload_all()
        await self.data.changed_elsewhere()
        self._load_header()
        self.set_interval(POLL_SECONDS, self._poll)

    @work(group="header")
    async def _load_header(self) -> None:
        if self.data is None:
            return
        header = await self.data.header()
        self.query_one(BoardHeader).show_place(header.project_name, header.workstation_name)
        self.query_one(FallbackArea).show(await self.data.templates())

    def on_resize(self) -> None:
        self.set_class(self.size.height < 30, "-short")

    # --- helpers ----------------------------------------------------------------------------

    def _columns(self) -> list[BoardColumn]:
        return list(self.query(BoardColumn))

    @property
    def current(self) -> MissionList:
        return self._columns()[self.column].mission_list

    def list_for(self, name: str) -> MissionList:
        return self.query_one(f"#list-{name}", MissionList)

    def reload_all(self, follow: str | None = None) -> None:
        if self.data is None:
            return
        for mission_list in (c.mission_list for c in self._columns()):
            mission_list.filtered = self.data.filter.active
            mission_list.reload(follow)

    def _focus_column(self, index: int) -> None:
        columns = self._columns()
        index = max(0, min(index, len(columns) - 1))
        columns[self.column].set_active(False)
        self.column = index
        columns[index].set_active(True)
        columns[index].mission_list.scroll_to_selected()

    def on_mission_list_loaded(self, message: MissionList.Loaded) -> None:
        if not self._ready_sent and all(c.mission_list.loaded for c in self._columns()):
            self._ready_sent = True
            self.ready_at = time.perf_counter()
            self.post_message(BoardReady())

    @on(MissionList.Clicked)
    def _clicked(self, message: MissionList.Clicked) -> None:
        self._focus_column(MISSION_LISTS.index(message.mission_list.list_name))
        message.mission_list.select(message.index)

    def on_board_changed(self, message: BoardChanged) -> None:
        self.reload_all(message.follow)
        self._load_header()

    def _poll(self) -> None:
        if not self._polling and self.data is not None:
            self._polling = True
            self._check_changes()

    @work(group="poll")
    async def _check_changes(self) -> None:
        try:
            if self.data is not None and await self.data.changed_elsewhere():
                card = self.current.selected_card
                self.reload_all(card.id if card else None)
        finally:
            self._polling = False

    def _write(
        self, operation: Callable[[], Awaitable[Any]], follow: str | None, done: str = ""
    ) -> None:
        self._run_write(operation, follow, done)

    @work(group="write")
    async def _run_write(
        self, operation: Callable[[], Awaitable[Any]], follow: str | None, done: str
    ) -> None:
        try:
            await operation()
        except StorageError as error:
            self.notify(str(error), severity="error")
        else:
            if done:
                self.notify(done)
        self.reload_all(follow)

    def _selected(self) -> Any:
        card = self.current.selected_card
        if card is None:
            self.app.bell()
        return card

    # --- navigation ---------------------------------------------------------------------------

    def action_cursor_left(self) -> None:
        self._focus_column(self.column - 1)

    def action_cursor_right(self) -> None:
        self._focus_column(self.column + 1)

    def action_cursor_up(self) -> None:
        self.current.select(self.current.selected - 1)

    def action_cursor_down(self) -> None:
        self.current.select(self.current.selected + 1)

    def action_cursor_first(self) -> None:
        self.current.select(0)

    def action_cursor_last(self) -> None:
        self.current.select(self.current.count - 1)

    def action_page_up(self) -> None:
        self.current.select(self.current.selected - self.current.visible_cards)

    def action_page_down(self) -> None:
        self.current.select(self.current.selected + self.current.visible_cards)

    # --- triage -------------------------------------------------------------------------------

    def _move(self, step: int) -> None:
        target = self.column + step
        card = self._selected()
        if card is None or not 0 <= target < len(MISSION_LISTS) or self.data is None:
            return
        source = self.current
        source.remove_selected()
        self._columns()[target].mission_list.append(card)
        self._focus_column(target)
        data, to_list = self.data, MISSION_LISTS[target]
        self._write(lambda: data.move(card.id, to_list), card.id)

    def action_move_prev(self) -> None:
        self._move(-1)

    def action_move_next(self) -> None:
        self._move(+1)

    def _reorder(self, step: int) -> None:
        card = self._selected()
        if card is None or self.data is None:
            return
        if not self.current.swap_selected(step):
            return
        data = self.data
        self._write(lambda: data.reorder(card.id, step), card.id)

    def action_reorder_up(self) -> None:
        self._reorder(-1)

    def action_reorder_down(self) -> None:
        self._reorder(+1)

    def action_toggle_ready(self) -> None:
        card = self._selected()
        if card is None or self.data is None:
            return
        card.ready = not card.ready
        self.current.refresh()
        data = self.data
        self._write(lambda: data.toggle_ready(card.id), card.id)

    def _priority(self, delta: int) -> None:
        card = self._selected()
        if card is None or self.data is None:
            return
        card.priority = min(5, max(1, card.priority + delta))
        self.current.refresh()
        data = self.data
        self._write(lambda: data.bump_priority(card.id, delta), card.id)

    def action_priority_up(self) -> None:
        self._priority(+1)

    def action_priority_down(self) -> None:
        self._priority(-1)

    def action_delete_mission(self) -> None:
        from solo_unicorn_tui.ui.screens.confirm import ConfirmScreen

        card = self._selected()
        if card is None or self.data is None:
            return
        data = self.data

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._write(lambda: data.delete(card.id), None, f"Deleted “{card.title}”")

        self.app.push_screen(
            ConfirmScreen(f"Delete “{card.title}”?", "It leaves the board (the history stays)."),
            confirmed,
        )

    def action_new_mission(self) -> None:
        from solo_unicorn_tui.ui.screens.mission_form import MissionFormScreen

        if self.data is None:
            return
        data = self.data

        def created(draft: Any) -> None:
            if draft is not None:
                self._create(data, draft)

        self.app.push_screen(MissionFormScreen(), created)

    @work(group="write")
    async def _create(self, data: BoardData, draft: Any) -> None:
        try:
            mission = await data.create(draft)
        except StorageError as error:
            self.notify(str(error), severity="error")
            return
        self._focus_column(MISSION_LISTS.index(mission.list))
        self.reload_all(mission.id)

    def action_open_mission(self) -> None:
        from solo_unicorn_tui.ui.screens.mission import MissionScreen

        card = self._selected()
        if card is not None and self.data is not None:
            self.app.push_screen(MissionScreen(self.data, card.id))

    def action_edit_mission(self) -> None:
        from solo_unicorn_tui.ui.screens.mission import MissionScreen

        card = self._selected()
        if card is not None and self.data is not None:
            self.app.push_screen(MissionScreen(self.data, card.id, edit=True))

    def _in_review(self, verb: str) -> Any:
        card = self._selected()
        if card is None:
            return None
        if self.current.list_name != "review":
            self.notify(f"Only missions in Review can be {verb}.", severity="warning")
            return None
        return card

    def action_approve(self) -> None:
        card = self._in_review("approved")
        if card is not None and self.data is not None:
            data = self.data
            self._write(lambda: data.approve(card.id), None, f"Approved “{card.title}”")

    def action_reject(self) -> None:
        from solo_unicorn_tui.ui.screens.feedback import FeedbackScreen

        card = self._in_review("rejected")
        if card is None or self.data is None:
            return
        data = self.data

        def given(feedback: str | None) -> None:
            if feedback:
                self._write(
                    lambda: data.reject(card.id, feedback), None, f"Rejected “{card.title}”"
                )

        self.app.push_screen(FeedbackScreen(card.title), given)

    def _runtime(self, what: str) -> bool:
        runtime = getattr(self.app, "runtime", None)
        if runtime is None:
            self.notify(RUNTIME_MISSING.format(what=what), severity="warning")
            return False
        return True

    def action_run_mission(self) -> None:
        self._runtime("running a mission")

    def action_cancel_session(self) -> None:
        self._runtime("cancelling a session")

    def action_session_logs(self) -> None:
        self._runtime("the session log")

    def action_sync_now(self) -> None:
        self.notify("No server is configured: this board is local only.", severity="warning")

    def action_toggle_workstation(self) -> None:
        self.query_one(WorkstationPanel).toggle_class("-shown")

    # --- filter, projects, help -------------------------------------------------------------

    def action_filter(self) -> None:
        from solo_unicorn_tui.ui.screens.filter import FilterScreen

        if self.data is None:
            return
        self.app.push_screen(FilterScreen(self.data.filter, self.data), self._apply_filter)

    def _apply_filter(self, flt: Any) -> None:
        if flt is None or self.data is None:
            return
        self.data.filter = flt
        self.query_one(BoardHeader).show_filter(flt.describe())
        for column in self._columns():
            column.mission_list.selected = 0
            column.mission_list.scroll_to(y=0, animate=False)
        self.reload_all()

    def action_clear_filter(self) -> None:
        from storage.board_queries import BoardFilter

        if self.data is not None and self.data.filter.active:
            self._apply_filter(BoardFilter())

    def action_switch_project(self) -> None:
        from solo_unicorn_tui.ui.screens.project_switcher import ProjectSwitcher

        if self.data is None:
            return
        data = self.data

        def chosen(project_id: str | None) -> None:
            if project_id and project_id != data.project_id:
                data.project_id = project_id
                for column in self._columns():
                    column.mission_list.selected = 0
                    column.mission_list.scroll_to(y=0, animate=False)
                self.reload_all()
                self._load_header()

        self.app.push_screen(ProjectSwitcher(data), chosen)

    def action_help(self) -> None:
        from solo_unicorn_tui.ui.screens.help import HelpScreen

        rows: dict[str, list[str]] = {}
        descriptions: dict[str, str] = {}
        for bindings in self._bindings.key_to_bindings.values():
            for binding in bindings:
                rows.setdefault(binding.action, []).append(self.app.get_key_display(binding))
                descriptions[binding.action] = binding.description
        help_rows = [(" ".join(keys), descriptions[action]) for action, keys in rows.items()]
        self.app.push_screen(HelpScreen(help_rows))

    def action_quit(self) -> None:
        self.app.exit()
