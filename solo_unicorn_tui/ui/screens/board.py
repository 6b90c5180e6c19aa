"""The main screen: four columns of missions and keyboard triage.

Every change is shown at once on the cards held in memory, then written through the domain
operations in a worker; when the write commits the touched columns reload from the replica, so
what you see is what was stored. Changes by other processes are noticed by polling SQLite's
``data_version`` (a counter, no table read) twice a second.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Footer

from solo_unicorn_tui.ui.board_data import BoardData
from solo_unicorn_tui.ui.errors import report_failure
from solo_unicorn_tui.ui.messages import (
    BoardChanged,
    BoardReady,
    FollowedSessionChanged,
    ReplicaChanged,
    RuntimeEventMessage,
    RuntimeStatusChanged,
    SessionActivityChanged,
    SettingsChanged,
    SyncStatusChanged,
    WorkstationSnapshotChanged,
)
from solo_unicorn_tui.ui.undo import UndoStack
from solo_unicorn_tui.ui.widgets.board_column import BoardColumn
from solo_unicorn_tui.ui.widgets.board_header import BoardHeader
from solo_unicorn_tui.ui.widgets.empty_hint import EmptyHint
from solo_unicorn_tui.ui.widgets.fallback_panel import FallbackPanel
from solo_unicorn_tui.ui.widgets.filter_bar import FilterBar
from solo_unicorn_tui.ui.widgets.mission_list import MissionList
from solo_unicorn_tui.ui.widgets.mission_log_pane import MissionLogPane
from solo_unicorn_tui.ui.widgets.status_line import StatusLine
from solo_unicorn_tui.ui.widgets.sync_status_label import SyncStatusLabel
from solo_unicorn_tui.ui.widgets.welcome_panel import WelcomePanel
from solo_unicorn_tui.ui.widgets.workstation_panel import WorkstationPanel
from solo_unicorn_tui.ui.widgets.workstation_sidebar import WorkstationSidebar
from storage.board_queries import LISTS as MISSION_LISTS
from storage.board_queries import BoardFilter, parse_filter

if TYPE_CHECKING:
    # The runtime and sync pull in SQLAlchemy: imported once the replica is open, not before
    # the first frame.
    from solo_unicorn_tui.ui.runtime_host import RuntimeHost
    from solo_unicorn_tui.ui.screens.review import ReviewDecision
    from solo_unicorn_tui.ui.sync_host import SyncHost
    from solo_unicorn_tui.workspace import Workspace

POLL_SECONDS = 0.5
Done = str | Callable[[Any], str]
RUNTIME_MISSING = "The agent runtime is not connected in this build; {what} is not available yet."

#: (keys, action, help text, footer label or "" to keep it out of the footer); id = action
BOARD_KEYS: list[tuple[str, str, str, str]] = [
    ("left,h", "cursor_left", "Select the previous list", ""),
    ("right,l", "cursor_right", "Select the next list", ""),
    ("up,k", "cursor_up", "Select the previous card", ""),
    ("down,j", "cursor_down", "Select the next card", ""),
    ("home", "cursor_first", "First card", ""),
    ("end", "cursor_last", "Last card", ""),
    ("pageup", "page_up", "Page up", ""),
    ("pagedown", "page_down", "Page down", ""),
    ("H,shift+left", "move_prev", "Move the card to the previous list", ""),
    ("L,shift+right", "move_next", "Move the card to the next list", "Move"),
    ("K,shift+up", "reorder_up", "Move the card up in its list", ""),
    ("J,shift+down", "reorder_down", "Move the card down in its list", ""),
    ("enter", "open_mission", "Open the mission (in Review: what the agent produced)", ""),
    ("e", "edit_mission", "Edit the mission", ""),
    ("v", "review_mission", "Review what the agent produced", "Review"),
    ("b", "blockers", "Blocked by…: the missions this one waits for", ""),
    ("n", "new_mission", "New mission", "New"),
    ("d", "delete_mission", "Delete the mission (asks first)", ""),
    ("space", "toggle_ready", "Toggle ready (only ready missions are run)", ""),
    ("plus,+", "priority_up", "Raise priority", ""),
    ("minus,-", "priority_down", "Lower priority", ""),
    ("a", "approve", "Approve a mission in Review (next stage or done)", ""),
    ("x", "reject", "Reject a mission in Review, with feedback", ""),
    ("t", "thread", "Thread: the agent's questions; answer one", ""),
    ("r", "run_mission", "Run the selected mission now", "Run"),
    ("c", "cancel_session", "Cancel its running session (asks first)", ""),
    ("z", "undo", "Undo the last move, reorder, ready, priority, review or delete", ""),
    ("m", "finish_mission", "Finish: merge into the target, push, open the PR, clean up", ""),
    ("exclamation_mark", "open_shell", "Take over: a shell ($SHELL) in the mission's worktree", ""),
    ("E", "open_editor", "Take over: $EDITOR on the mission's worktree", ""),
    ("f", "fallback", "Fallback area: launch templates, accept proposals", ""),
    ("g", "session_logs", "Session logs", ""),
    ("D", "toggle_dispatcher", "Start or stop the background dispatcher", "Dispatch"),
    ("R", "repo_settings", "Repository worktree set-up (files to copy, scripts)", ""),
    ("S", "project_settings", "Project settings: flows, actors, memory", ""),
    ("M", "metrics", "Project metrics per day: missions, sessions, failures, cost, backlog", ""),
    ("s", "sync_now", "Sync now", ""),
    ("w", "toggle_workstation", "Show or hide the workstation panel", "Panel"),
    ("o", "toggle_log", "Collapse or expand the log pane", ""),
    (
        "slash",
        "filter",
        "Filter as you type: words, p1–p5, stage:NAME, agent:NAME, blocked, ready",
        "Filter",
    ),
    ("colon,number_sign", "jump", "Jump to a mission by the end of its id", ""),
    ("escape", "clear_filter", "Clear the filter", ""),
    ("p", "switch_project", "Switch project", ""),
    ("question_mark", "help", "Help: all keys", "Help"),
    ("q", "quit", "Quit", "Quit"),
]


#: What stays usable while the Fallback area has the focus: it has its own keys for the rest,
#: and the board's card keys must not act on the card hidden behind it.
FALLBACK_KEEPS = {"help", "quit", "toggle_workstation", "toggle_log", "sync_now"}
BOARD_ACTIONS = {action for _keys, action, _text, _label in BOARD_KEYS}


class BoardScreen(Screen[None]):
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    AUTO_FOCUS = ""  # the cards take the keys; the query line is focused only by / : #
    BINDINGS = [
        Binding(keys, action, label or text, show=bool(label), id=action, tooltip=text)
        for keys, action, text, label in BOARD_KEYS
    ]

    def __init__(
        self,
        open_data: Callable[[], Awaitable[BoardData]],
        *,
        demo: bool = False,
        fresh_home: bool = False,
    ) -> None:
        super().__init__(id="board")
        self.demo = demo
        self._fresh_home = fresh_home
        #: The card the user last acted on (run, approve, reject, move): reloads keep it selected,
        #: in whichever list it is now, until the user moves the selection.
        self.acted_on: str | None = None
        self._log_collapsed: bool | None = None
        self._open_data = open_data
        self.data: BoardData | None = None
        self.column = 0
        self._column_cache: list[BoardColumn] = []
        #: Writes shown on screen but not yet committed (tests and the benchmark wait on it).
        self.pending_writes = 0
        #: Lists to read again at the next reload (a reload cut short leaves them here).
        self._stale: set[str] = set()
        #: Lists the writes still running touched (their reload reads only those).
        self._touched: set[str] | None = set()
        self._filter_query = ""
        self._polling = False
        self._ready_sent = False
        self.runtime_host: RuntimeHost | None = None
        self.sync_host: SyncHost | None = None
        self.undo_stack = UndoStack()

    def compose(self) -> ComposeResult:
        yield BoardHeader(id="board-header", demo=self.demo)
        yield FilterBar(id="filter-bar")
        with Vertical(id="bottom-bar"):
            yield MissionLogPane(id="log-pane", max_lines=2000)
            yield StatusLine(id="status-line")
            yield Footer(compact=True, show_command_palette=False)
        yield WelcomePanel(id="welcome")
        yield EmptyHint(id="empty-hint")
        with Horizontal(id="columns"):
            for name in MISSION_LISTS:
                extra = (FallbackPanel(id="fallback-area"),) if name == "todo" else ()
                yield BoardColumn(name, *extra)
            yield WorkstationSidebar(id="workstation-panel")

    # --- start-up ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._columns()[0].set_active(True)
        if self._fresh_home:  # a replica not made yet never held a mission
            self.query_one(WelcomePanel).set_class(True, "-shown")
            self.query_one("#columns").display = False
        self.call_after_refresh(self._open)

    @work(group="open")
    async def _open(self) -> None:
        with report_failure(self, title="Cannot open the replica") as failed:
            self.data = await self._open_data()
        if failed or self.data is None:
            return
        for column in self._columns():
            column.mission_list.data = self.data
        self.reload_all()
        await self.data.changed_elsewhere()
        self._load_header()
        self.set_interval(POLL_SECONDS, self._poll)

    @work(group="connect")
    async def _connect_writer(self, data: BoardData) -> None:
        """Open the replica for writing (imports SQLAlchemy) while the board is already usable."""
        with report_failure(self, title="Cannot open the replica") as failed:
            writer = await data.connect()
        if failed:
            return
        apply = getattr(self.app, "apply_settings", None)
        if apply is not None and writer.settings is not None:
            apply(writer.settings)
        if writer.project_id != data.project_id:
            data.project_id = writer.project_id
            self.reload_all()
        self._load_header()
        self._reload_fallback(data)
        if writer.workspace is not None:
            await self._start_runtime(writer.workspace)
        if self.query_one(WelcomePanel).has_class("-shown"):
            self.reload_all()  # the welcome board lists the agents found, now that it can

    @work(group="header")
    async def _load_header(self) -> None:
        if self.data is None:
            return
        header = await self.data.header()
        self.query_one(BoardHeader).show_place(header.project_name, header.workstation_name)

    def on_resize(self) -> None:
        self.set_class(self.size.height < 30, "-short")
        self.set_class(self.size.width < 120, "-narrow")
        collapsed = self.size.height < 30 if self._log_collapsed is None else self._log_collapsed
        self.query_one(MissionLogPane).set_class(collapsed, "-collapsed")

    def action_toggle_log(self) -> None:
        pane = self.query_one(MissionLogPane)
        self._log_collapsed = not pane.has_class("-collapsed")
        pane.set_class(self._log_collapsed, "-collapsed")

    # --- helpers ----------------------------------------------------------------------------

    def _columns(self) -> list[BoardColumn]:
        if not self._column_cache:
            self._column_cache = list(self.query(BoardColumn))
        return self._column_cache

    @property
    def current(self) -> MissionList:
        return self._columns()[self.column].mission_list

    def list_for(self, name: str) -> MissionList:
        return self.query_one(f"#list-{name}", MissionList)

    def reload_all(self, follow: str | None = None, only: Iterable[str] | None = None) -> None:
        """Reload the columns in one worker on one connection, keeping each selection.

        ``only`` names the lists a change touched (a move: its two lists); the others are
        not read again. A reload cut short by a newer one leaves its lists to that one.
        """
        if self.data is None:
            return
        lists = [c.mission_list for c in self._columns()]
        for mission_list in lists:
            mission_list.filtered = self.data.filter.active
        if follow is not None:
            self.current.follow_id = follow
        self._stale.update(MISSION_LISTS if only is None else only)
        self._reload(self.data)
        if self.data.connected:
            self._reload_fallback(self.data)

    @work(exclusive=True, group="reload")
    async def _reload(self, data: BoardData) -> None:
        columns = [c.mission_list for c in self._columns()]
        stale = set(self._stale)
        landed = None
        if self.acted_on is not None:
            position = await data.position(self.acted_on)
            if position is not None:
                landed = MISSION_LISTS.index(position[0])
                columns[landed].follow_id = self.acted_on
                stale.add(position[0])
        lists = [m for m in columns if m.list_name in stale]
        windows = await data.windows([m.window_request() for m in lists])
        if not all(m.is_attached for m in columns):
            return  # the board closed while the windows were read (the app is shutting down)
        if self.pending_writes:
            return  # a change shown meanwhile is not committed yet; its write reloads after
        self._stale -= stale
        for mission_list in lists:
            mission_list.apply_window(windows[mission_list.list_name])
        lists = columns
        if landed is not None and landed != self.column:
            self._focus_column(landed)
        if not data.filter.active:
            review = next(m for m in lists if m.list_name == "review")
            # query, not query_one: a reload that ends while the app shuts down finds no line
            for line in self.query(StatusLine):
                line.show_review(review.count)
            empty = not any(m.count for m in lists)
            first_run = empty and not await data.ever_had_a_mission()
            for hint in self.query(EmptyHint):
                keys = self._keys_in_force()["new_mission"] if empty else []
                hint.show_for(empty and not first_run, keys[0] if keys else "ctrl+p")
            for welcome in self.query(WelcomePanel):
                if first_run != welcome.has_class("-shown"):
                    welcome.set_class(first_run, "-shown")
                    for board_columns in self.query("#columns"):
                        board_columns.display = not first_run
                if first_run:
                    welcome.show(await data.welcome())

    @work(exclusive=True, group="fallback")
    async def _reload_fallback(self, data: BoardData) -> None:
        """Todo's Fallback area; read through the writer's database, so only once connected."""
        with report_failure(self, title="Cannot read the Fallback area") as failed:
            area = await data.fallback_area()
        if failed:
            return
        # query, not query_one: the read may end after the app has begun to close
        for widget in self.query(FallbackPanel):
            widget.show(area)

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
            self.post_message(BoardReady())
            if self.data is not None:
                # Only now: its imports would otherwise compete with the first cards. Already
                # connected (a new replica), it returns at once and starts the runtime.
                self.call_after_refresh(self._connect_writer, self.data)

    @on(MissionList.Clicked)
    def _clicked(self, message: MissionList.Clicked) -> None:
        self.acted_on = None
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
            changed = self.data is not None and await self.data.changed_elsewhere()
            if changed and self.runtime_host is not None:
                self.runtime_host.refollow()  # a session may have started in another process
                await self.runtime_host.refresh_limit()  # a repository may have been linked
                await self.runtime_host.refresh_panel()  # or another runner's session moved on
            if changed:
                for screen in self.app.screen_stack:
                    if screen is not self:
                        screen.post_message(ReplicaChanged())
            if changed and not self.pending_writes:
                self.reload_all()
        except NoMatches:
            pass  # the app closed while the replica was read: the columns are gone
        finally:
            self._polling = False

    def _write(
        self,
        operation: Callable[[], Awaitable[Any]],
        done: Done = "",
        *,
        land: bool = False,
        touches: Iterable[str] | None = None,
    ) -> None:
        """Run a domain write, then reload every column from the replica.

        The selection stays where it is (changes are already shown on the cards, so a key
        pressed while the write runs is not undone by the reload). ``done`` is the notice on
        success, or makes it from the operation's result. ``land`` selects the mission the
        write returns, in the list it is now in.
        """
        # After the frame that shows the change: the write must not delay that frame.
        if self._touched is not None:
            self._touched = None if touches is None else self._touched | set(touches)
        self.pending_writes += 1
        self.call_after_refresh(self._run_write, operation, done, land)

    @work(group="write")
    async def _run_write(
        self, operation: Callable[[], Awaitable[Any]], done: Done, land: bool
    ) -> None:
        follow = None
        try:
            with report_failure(self) as failed:
                result = await operation()
            if not failed:
                notice = done(result) if callable(done) else done
                if notice:
                    self.notify(notice)
                if land and getattr(result, "list", None) in MISSION_LISTS:
                    self._focus_column(MISSION_LISTS.index(result.list))
                    follow = result.id
        finally:
            self.pending_writes -= 1
        if not self.pending_writes:
            # The last of a burst of writes reloads; earlier ones would show half-done states.
            touched, self._touched = self._touched, set()
            self.reload_all(follow, touched)

    def _undoable(
        self, card: Any, action: str, operation: Callable[[], Awaitable[Any]]
    ) -> Callable[[], Awaitable[Any]]:
        return self._undoable_id(card.id, card.title, action, operation)

    def _undoable_id(
        self, mission_id: str, title: str, action: str, operation: Callable[[], Awaitable[Any]]
    ) -> Callable[[], Awaitable[Any]]:
        """``operation`` as a write the undo stack remembers (``z`` puts the mission back)."""
        assert self.data is not None
        data, stack = self.data, self.undo_stack
        return lambda: stack.record(data, mission_id, title, action, operation)

    def action_undo(self) -> None:
        if self.data is None:
            return
        if not len(self.undo_stack):
            self.notify("Nothing to undo.", severity="warning")
            return
        data, stack = self.data, self.undo_stack
        self._write(
            lambda: stack.undo(data),
            lambda undone: undone.message if undone else "Nothing to undo.",
            land=True,
        )

    def _selected(self) -> Any:
        card = self.current.selected_card
        if card is None:
            self.app.bell()
        return card

    # --- navigation ---------------------------------------------------------------------------

    def action_cursor_left(self) -> None:
        self.acted_on = None
        self._focus_column(self.column - 1)

    def action_cursor_right(self) -> None:
        self.acted_on = None
        self._focus_column(self.column + 1)

    def action_cursor_up(self) -> None:
        self.acted_on = None
        self.current.select(self.current.selected - 1)

    def action_cursor_down(self) -> None:
        self.acted_on = None
        self.current.select(self.current.selected + 1)

    def action_cursor_first(self) -> None:
        self.acted_on = None
        self.current.select(0)

    def action_cursor_last(self) -> None:
        self.acted_on = None
        self.current.select(self.current.count - 1)

    def action_page_up(self) -> None:
        self.acted_on = None
        self.current.select(self.current.selected - self.current.visible_cards)

    def action_page_down(self) -> None:
        self.acted_on = None
        self.current.select(self.current.selected + self.current.visible_cards)

    # --- triage -------------------------------------------------------------------------------

    def _move(self, step: int) -> None:
        target = self.column + step
        card = self._selected()
        if card is None or not 0 <= target < len(MISSION_LISTS) or self.data is None:
            return
        self.acted_on = card.id
        source = self.current
        source.remove_selected()
        self._columns()[target].mission_list.append(card)
        self._focus_column(target)
        data, to_list = self.data, MISSION_LISTS[target]
        self._write(
            self._undoable(card, "move", lambda: data.move(card.id, to_list)),
            touches=(source.list_name, to_list),
        )

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
        self._write(self._undoable(card, "reorder", lambda: data.reorder(card.id, step)))

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
        self._write(self._undoable(card, "ready change", lambda: data.toggle_ready(card.id)))

    def _priority(self, delta: int) -> None:
        card = self._selected()
        if card is None or self.data is None:
            return
        card.priority = min(5, max(1, card.priority + delta))
        self.current.refresh()
        data = self.data
        self._write(
            self._undoable(card, "priority change", lambda: data.bump_priority(card.id, delta))
        )

    def action_priority_up(self) -> None:
        self._priority(+1)

    def action_priority_down(self) -> None:
        self._priority(-1)

    def action_delete_mission(self) -> None:
        from solo_unicorn_tui.ui.dialogs.confirm import ConfirmScreen

        card = self._selected()
        if card is None or self.data is None:
            return
        data = self.data

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._write(
                    self._undoable(card, "delete", lambda: data.delete(card.id)),
                    f"Deleted “{card.title}” (z brings it back)",
                )

        self.app.push_screen(
            ConfirmScreen(f"Delete “{card.title}”?", "It leaves the board (the history stays)."),
            confirmed,
        )

    def action_new_mission(self) -> None:
        from solo_unicorn_tui.ui.dialogs.mission_form import MissionFormScreen

        if self.data is None:
            return
        data = self.data

        def created(draft: Any) -> None:
            if draft is not None:
                self._create(data, draft)

        self.app.push_screen(MissionFormScreen(choices=data.mission_choices), created)

    @work(group="write")
    async def _create(self, data: BoardData, draft: Any) -> None:
        with report_failure(self) as failed:
            mission = await data.create(draft)
        if failed:
            return
        self._focus_column(MISSION_LISTS.index(mission.list))
        self.reload_all(mission.id)

    def action_open_mission(self) -> None:
        from solo_unicorn_tui.ui.screens.mission import MissionScreen

        if self.current.list_name == "review":
            self.action_review_mission()
            return
        card = self._selected()
        if card is not None and self.data is not None:
            self.app.push_screen(MissionScreen(self.data, card.id), self.apply_review)

    def action_edit_mission(self) -> None:
        from solo_unicorn_tui.ui.screens.mission import MissionScreen

        card = self._selected()
        if card is not None and self.data is not None:
            self.app.push_screen(MissionScreen(self.data, card.id, edit=True), self.apply_review)

    def action_review_mission(self) -> None:
        from solo_unicorn_tui.ui.screens.review import ReviewScreen

        card = self._selected()
        if card is not None and self.data is not None:
            self.app.push_screen(ReviewScreen(self.data, card.id), self.apply_review)

    def apply_review(self, decision: ReviewDecision | None) -> None:
        """Write an approval or rejection made in the review view; select where the card went."""
        if decision is None:
            return
        if decision.approved:
            self.approve_mission(decision.mission_id, decision.title, land=True)
        else:
            self.reject_mission(
                decision.mission_id, decision.title, decision.feedback or "", land=True
            )

    def action_blockers(self) -> None:
        from solo_unicorn_tui.ui.dialogs.dependencies import DependenciesScreen

        card = self._selected()
        if card is None or self.data is None:
            return

        def closed(changed: bool | None) -> None:
            if changed:
                self.reload_all()

        self.app.push_screen(DependenciesScreen(self.data, card.id, card.title), closed)

    def _in_review(self, verb: str) -> Any:
        card = self._selected()
        if card is None:
            return None
        if self.current.list_name != "review":
            self.notify(f"Only missions in Review can be {verb}.", severity="warning")
            return None
        return card

    def approve_mission(self, mission_id: str, title: str, *, land: bool = False) -> None:
        self.acted_on = mission_id
        if self.data is not None:
            data = self.data
            self._write(
                self._undoable_id(mission_id, title, "approval", lambda: data.approve(mission_id)),
                f"Approved “{title}”",
                land=land,
            )

    def reject_mission(
        self, mission_id: str, title: str, feedback: str, *, land: bool = False
    ) -> None:
        self.acted_on = mission_id
        if self.data is not None:
            data = self.data
            self._write(
                self._undoable_id(
                    mission_id, title, "rejection", lambda: data.reject(mission_id, feedback)
                ),
                f"Rejected “{title}”",
                land=land,
            )

    def action_approve(self) -> None:
        card = self._in_review("approved")
        if card is not None:
            self.approve_mission(card.id, card.title)

    def action_reject(self) -> None:
        from solo_unicorn_tui.ui.dialogs.feedback import FeedbackScreen

        card = self._in_review("rejected")
        if card is None or self.data is None:
            return

        def given(feedback: str | None) -> None:
            if feedback:
                self.reject_mission(card.id, card.title, feedback)

        self.app.push_screen(FeedbackScreen(card.title), given)

    def action_thread(self) -> None:
        from solo_unicorn_tui.ui.dialogs.thread import ThreadScreen

        card = self.current.selected_card
        if card is None or self.data is None:
            return
        data = self.data

        def answered(text: str | None) -> None:
            if text:
                self._write(lambda: data.answer(card.id, text), f"Answered “{card.title}”")

        self.app.push_screen(ThreadScreen(data, card.id, card.title), answered)

    def _runtime(self, what: str) -> RuntimeHost | None:
        if self.runtime_host is None:
            self.notify(RUNTIME_MISSING.format(what=what), severity="warning")
        return self.runtime_host

    def action_run_mission(self) -> None:
        host = self._runtime("running a mission")
        card = self.current.selected_card
        if host is not None and card is not None:
            self.acted_on = card.id
            self.run_worker(self._run_mission(host, card.id), group="runtime")

    async def _run_mission(self, host: RuntimeHost, mission_id: str) -> None:
        """Run now; with the server unreachable (offline runs not allowed) ask first."""
        from solo_unicorn_tui.ui.dialogs.confirm import ConfirmScreen

        refused = await host.run(mission_id)
        if refused is None:
            return
        question = ConfirmScreen(
            "The sync server is unreachable. Run this mission offline?",
            "Another workstation may run it too: when the server is back, its claim wins and "
            "this run is stopped (a claim_conflict event says so).",
            yes="Run offline",
            no="Wait",
        )
        if await self.app.push_screen_wait(question):
            await host.run(mission_id, offline_ok=True)
        else:
            self.notify("Not started: the mission waits for the sync server.")

    def action_cancel_session(self) -> None:
        host = self._runtime("cancelling a session")
        card = self.current.selected_card
        if host is not None and card is not None:
            self._ask_cancel(host, card)

    @work(group="cancel", exclusive=True)
    async def _ask_cancel(self, host: RuntimeHost, card: Any) -> None:
        from solo_unicorn_tui.ui.dialogs.confirm import ConfirmScreen

        session = await host.running_session(card.id)
        if session is None:
            self.notify("No session of this mission runs on this workstation.", severity="warning")
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                host.cancel(card.id)

        self.app.push_screen(
            ConfirmScreen(
                f"Stop the agent on “{card.title}”?",
                f"{session.agent_name}, stage {session.stage}"
                + (f", pid {session.pid}" if session.pid else "")
                + ". What it did so far stays in the mission's worktree.",
                yes="Stop it",
                no="Keep running",
            ),
            confirmed,
        )

    def action_finish_mission(self) -> None:
        host = self._runtime("merging and cleaning up")
        card = self._selected()
        if host is not None and card is not None and self.data is not None:
            self._finish(host, self.data, card)

    @work(group="finish", exclusive=True)
    async def _finish(self, host: RuntimeHost, data: BoardData, card: Any) -> None:
        from solo_unicorn_tui.ui.dialogs.finish import FinishScreen
        from solo_unicorn_tui.ui.screens.mission import branch_state

        detail = await data.detail(card.id)
        if not detail.branch or not detail.target:
            self.notify(
                f"“{card.title}” has no worktree on this workstation: nothing to merge.",
                severity="error",
            )
            return
        step = await self.app.push_screen_wait(
            FinishScreen(card.title, detail.branch, detail.target, branch_state(detail))
        )
        if step is None:
            return
        with report_failure(self, title="Not done") as failed:
            notice = await host.finish(step, card.id)
        if not failed:
            self.notify(notice)
            self.reload_all()

    def action_open_shell(self) -> None:
        card = self._selected()
        if card is not None and self.data is not None:
            self._take_over(self.data, card, "shell")

    def action_open_editor(self) -> None:
        card = self._selected()
        if card is not None and self.data is not None:
            self._take_over(self.data, card, "editor")

    @work(group="take-over", exclusive=True)
    async def _take_over(self, data: BoardData, card: Any, tool: Any) -> None:
        """Suspend the board, run the shell or editor in the worktree, come back refreshed."""
        from textual.app import SuspendNotSupported

        from solo_unicorn_tui.runtime.takeover import run_in_worktree, takeover_argv

        with report_failure(self, title=f"Cannot open the {tool}") as failed:
            worktree = await data.worktree_path(card.id)
            if worktree is None:
                self.notify(
                    f"“{card.title}” has no worktree on this workstation yet: run it with r first.",
                    severity="error",
                )
                return
            argv = takeover_argv(tool, worktree)
            try:
                with self.app.suspend():
                    code = run_in_worktree(argv, worktree)
            except SuspendNotSupported:
                if not self.app.is_headless:
                    raise
                code = run_in_worktree(argv, worktree)  # no terminal to hand over (tests)
        if failed:
            return
        self.notify(f"Back from the {tool} in {worktree} (exit {code})")
        self.reload_all()
        if self.runtime_host is not None:
            self.runtime_host.refollow()

    def action_toggle_dispatcher(self) -> None:
        host = self._runtime("the dispatcher")
        if host is not None:
            self.run_worker(host.toggle_dispatcher(), group="runtime")

    def action_session_logs(self) -> None:
        from solo_unicorn_tui.ui.screens.session_logs import SessionLogsScreen

        host = self._runtime("the session log")
        if host is None or self.data is None:
            return
        card = self.current.selected_card
        session_id = None
        pane = self.query_one(MissionLogPane)
        if card is not None and pane.session_id is not None:
            session_id = pane.session_id
        self.app.push_screen(SessionLogsScreen(self.data.sessions, session_id=session_id))

    # --- Mission Fallback: the area under Todo -----------------------------------------------

    def action_fallback(self) -> None:
        self.query_one(FallbackPanel).enter()

    @on(FallbackPanel.Leave)
    def _leave_fallback(self) -> None:
        self.set_focus(None)

    @on(FallbackPanel.Launch)
    def _launch_template(self, message: FallbackPanel.Launch) -> None:
        if self.data is not None:
            data, template_id = self.data, message.template_id
            self._write(
                lambda: data.launch_template(template_id),
                lambda mission: f"Launched “{mission.title}” into Todo (the template stays)",
            )

    @on(FallbackPanel.Accept)
    def _accept_proposal(self, message: FallbackPanel.Accept) -> None:
        if self.data is not None:
            data, item_id = self.data, message.item_id
            self._write(
                lambda: data.accept_proposal(item_id),
                lambda mission: f"Accepted “{mission.title}”: it is in Todo",
            )

    @on(FallbackPanel.Discard)
    def _discard_proposal(self, message: FallbackPanel.Discard) -> None:
        if self.data is not None:
            data, item_id = self.data, message.item_id
            self._write(lambda: data.discard_proposal(item_id), f"Discarded “{message.title}”")

    @on(FallbackPanel.Snooze)
    def _snooze_fallback(self, message: FallbackPanel.Snooze) -> None:
        if self.data is not None:
            data, kind, row_id, wake = self.data, message.kind, message.row_id, message.wake
            done = f"Woke “{message.title}”" if wake else f"Snoozed “{message.title}” for a day"
            self._write(lambda: data.snooze_fallback(kind, row_id, wake=wake), done)

    @on(FallbackPanel.Check)
    def _check_fallback(self) -> None:
        if self.data is not None:
            data = self.data
            self._write(data.fallback_check, lambda check: f"Fallback check: {check.reason}")

    def action_repo_settings(self) -> None:
        if self.data is not None:
            self._open_repo_settings(self.data)

    @work(group="repo-settings")
    async def _open_repo_settings(self, data: BoardData) -> None:
        from solo_unicorn_tui.ui.dialogs.repo_settings import RepoSettingsScreen

        repos = await data.repository_settings()
        if not repos:
            self.notify(
                "No repository is linked here: run 'solo-unicorn repo add PATH'.",
                severity="warning",
            )
            return

        def saved(changed: bool | None) -> None:
            if changed:
                self.notify(f"Saved the worktree set-up of {repos[0].name}")

        self.app.push_screen(RepoSettingsScreen(repos[0], data.save_repository_settings), saved)

    def action_project_settings(self) -> None:
        from solo_unicorn_tui.ui.screens.project_settings import ProjectSettingsScreen

        if self.data is not None:
            self.app.push_screen(ProjectSettingsScreen(self.data))

    def action_metrics(self) -> None:
        from solo_unicorn_tui.ui.screens.metrics import MetricsScreen

        if self.data is not None:
            self.app.push_screen(MetricsScreen(self.data.daily_metrics))

    def action_sync_now(self) -> None:
        if self.sync_host is None:
            self.notify("No server is configured: this board is local only.", severity="warning")
            return
        self.sync_host.sync_now()
        self.notify("Syncing…")

    # --- what the runtime and sync hosts post -----------------------------------------------

    def on_runtime_event_message(self, message: RuntimeEventMessage) -> None:
        from solo_unicorn_tui.runtime.events import DispatcherWaiting

        if isinstance(message.event, DispatcherWaiting):
            self.notify(message.event.reason, title="Dispatcher waiting", severity="warning")
        self.reload_all()
        if self.runtime_host is not None:
            self.runtime_host.refollow()
            self.run_worker(self.runtime_host.refresh_limit(), group="status")
            self.run_worker(self.runtime_host.refresh_panel(), group="panel")

    def on_runtime_status_changed(self, message: RuntimeStatusChanged) -> None:
        for line in self.query(StatusLine):
            line.show_runtime(message.dispatcher, message.running, message.limit)

    def on_settings_changed(self, message: SettingsChanged) -> None:
        apply = getattr(self.app, "apply_settings", None)
        if apply is not None:
            apply(message.settings)

    def on_session_activity_changed(self, message: SessionActivityChanged) -> None:
        for column in self._columns():
            column.mission_list.set_activity(message.mission_id, message.activity)

    def on_workstation_snapshot_changed(self, message: WorkstationSnapshotChanged) -> None:
        for panel in self.query(WorkstationPanel):
            panel.snapshot = message.snapshot

    def on_followed_session_changed(self, message: FollowedSessionChanged) -> None:
        for pane in self.query(MissionLogPane):
            if message.session_id is None or message.log_path is None:
                pane.show_idle(message.caption)
            else:
                pane.follow_session(message.session_id, message.log_path, message.caption)

    def on_sync_status_changed(self, message: SyncStatusChanged) -> None:
        for label in self.query(SyncStatusLabel):
            label.status = message.status

    async def _start_runtime(self, workspace: Workspace) -> None:
        from solo_unicorn_tui.ui.runtime_host import RuntimeHost

        sidebar = self.query_one(WorkstationSidebar)
        host = RuntimeHost(
            self,
            workspace,
            selected=lambda: self.current.selected_card,
            panel_shown=lambda: sidebar.shown,
            detached=not self.demo,  # the demo's sessions end with it
        )
        with report_failure(self, title="The agent runtime did not start") as failed:
            await host.start()
        if failed:
            return
        self.runtime_host = host
        sidebar.runtime_started()
        if workspace.settings.server_url:
            from solo_unicorn_tui.ui.sync_host import SyncHost

            self.sync_host = SyncHost(self, workspace)
            self.run_worker(self.sync_host.run(), group="sync", exit_on_error=False)

    async def on_unmount(self) -> None:
        if self.sync_host is not None:
            self.sync_host.stop()
        if self.runtime_host is not None:
            await self.runtime_host.shutdown()

    def action_toggle_workstation(self) -> None:
        self.query_one(WorkstationSidebar).toggle_class("-shown")
        if self.runtime_host is not None:
            self.run_worker(self.runtime_host.refresh_panel(), group="panel")

    # --- filter, projects, help -------------------------------------------------------------

    def action_filter(self) -> None:
        if self.data is not None:
            self.query_one(FilterBar).open("filter", self._filter_query)

    def action_jump(self) -> None:
        if self.data is not None:
            self.query_one(FilterBar).open("jump")

    @on(FilterBar.QueryChanged)
    def _query_changed(self, message: FilterBar.QueryChanged) -> None:
        if message.mode == "filter":
            self._filter_query = message.value
            self._apply_filter(parse_filter(message.value))

    @on(FilterBar.QueryDone)
    def _query_done(self, message: FilterBar.QueryDone) -> None:
        if message.mode == "jump" and not message.cancelled and message.value.strip():
            self._jump(message.value.strip())
        elif message.mode == "filter" and message.cancelled:
            self.action_clear_filter()

    @work(group="jump")
    async def _jump(self, tail: str) -> None:
        if self.data is None:
            return
        mission_id = await self.data.mission_by_id_tail(tail)
        if mission_id is None:
            self.notify(f"No single mission's id ends with “{tail}”.", severity="warning")
            return
        if self.data.filter.active:
            self.action_clear_filter()
        self.acted_on = mission_id
        self.reload_all(mission_id)

    def _apply_filter(self, flt: BoardFilter) -> None:
        if self.data is None or flt == self.data.filter:
            return
        self.data.filter = flt
        self.query_one(BoardHeader).show_filter(flt.describe())
        for column in self._columns():
            column.mission_list.selected = 0
            column.mission_list.scroll_to(y=0, animate=False)
        self.reload_all()

    def action_clear_filter(self) -> None:
        self._filter_query = ""
        if self.data is not None and self.data.filter.active:
            self._apply_filter(BoardFilter())

    def action_switch_project(self) -> None:
        from solo_unicorn_tui.ui.dialogs.project_switcher import ProjectSwitcher

        if self.data is None:
            return
        data = self.data

        def chosen(project_id: str | None) -> None:
            if project_id and project_id != data.project_id:
                data.project_id = project_id
                remember = getattr(self.app, "remember_setting", None)
                if remember is not None:
                    remember("project_id", project_id)
                for column in self._columns():
                    column.mission_list.selected = 0
                    column.mission_list.scroll_to(y=0, animate=False)
                self.reload_all()
            self._load_header()  # the switcher may have renamed this project

        self.app.push_screen(ProjectSwitcher(data), chosen)

    def action_help(self) -> None:
        from solo_unicorn_tui.ui.dialogs.help import HelpScreen

        texts = {action: text for _keys, action, text, _label in BOARD_KEYS}
        rows = self._keys_in_force()
        help_rows = [(" ".join(keys), texts[action]) for action, keys in rows.items() if keys]
        self.app.push_screen(HelpScreen(help_rows))

    def _keys_in_force(self) -> dict[str, list[str]]:
        """Each board action's keys as shown, after ``keymap`` in config.json."""
        rows: dict[str, list[str]] = {action: [] for _keys, action, _text, _label in BOARD_KEYS}
        in_force = self._bindings.copy()
        if self.app._keymap:
            in_force.apply_keymap(self.app._keymap)
        for bindings in in_force.key_to_bindings.values():
            for binding in bindings:
                shown = self.app.get_key_display(binding)
                if binding.action in rows and shown not in rows[binding.action]:
                    rows[binding.action].append(shown)
        return rows

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Card keys are off (and out of the footer) while the Fallback area has the focus."""
        card_key = action in BOARD_ACTIONS and action not in FALLBACK_KEEPS
        return not (card_key and self._in_fallback())

    def _in_fallback(self) -> bool:
        focused = self.focused
        return focused is not None and any(
            isinstance(node, FallbackPanel) for node in focused.ancestors_with_self
        )

    def action_quit(self) -> None:
        from solo_unicorn_tui.ui.dialogs.quit import QuitScreen

        host = self.runtime_host
        running = host.kept_running() if host is not None else 0
        if host is None or not running:
            self.app.exit()
            return

        def chosen(choice: str | None) -> None:
            if choice is not None:
                host.stop_on_exit = choice == "stop"
                self.app.exit()

        self.app.push_screen(QuitScreen(running, can_keep=not self.demo), chosen)
