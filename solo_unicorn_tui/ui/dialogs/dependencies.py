"""Blocked by…: the missions one mission waits for, and adding or removing one.

The candidates are filtered as you type (part of a title, or the end of an id as the board
shows it), in the replica, so a project of any size stays quick. A dependency that would make a
cycle is refused by storage; its message shows under the input and nothing is written.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from solo_unicorn_tui.ui.board_data import BoardData
from solo_unicorn_tui.ui.errors import report_failure
from storage.board_queries import CandidateRow
from storage.ids import short_id

NO_BLOCKERS = "It waits for no mission."


def _label(title: str, detail: str, mark: str = "") -> Text:
    return Text.assemble(mark, title, (f"  {detail}", "dim"))


class DependenciesScreen(ModalScreen[bool]):
    """Returns True when a dependency was added or removed."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="deps_close"),
        Binding("d,delete", "remove", "Remove blocker", id="deps_remove"),
        Binding("down", "candidate(1)", "Next candidate", show=False, id="deps_next"),
        Binding("up", "candidate(-1)", "Previous candidate", show=False, id="deps_previous"),
    ]

    def __init__(self, data: BoardData, mission_id: str, title: str) -> None:
        super().__init__()
        self.data = data
        self.mission_id = mission_id
        self.mission_title = title
        self.changed = False
        self.candidates: list[CandidateRow] = []
        self.titles: dict[str, str] = {}
        """Title of each mission it waits for, by id."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(
                f"Blocked by… “{self.mission_title}”", classes="dialog-title", markup=False
            )
            yield Static(
                "Waits for (shift+tab to this list, then d or delete removes one):",
                classes="dialog-detail",
            )
            yield OptionList(id="blocker-list")
            yield Static(
                "Add one: type part of a title or the end of an id.",
                classes="dialog-detail",
            )
            yield Input(id="blocker-search", placeholder="title or id…")
            yield OptionList(id="candidate-list")
            yield Static("", id="dependency-error", classes="field-error")
            yield Static("↑↓ choose · enter adds · esc closes", classes="dialog-detail")

    def on_mount(self) -> None:
        self.query_one("#blocker-search", Input).focus()
        self._load_blockers()
        self._load_candidates("")

    # --- loading ---------------------------------------------------------------------------

    @work(exclusive=True, group="blockers")
    async def _load_blockers(self) -> None:
        with report_failure(self, show=self._error) as failed:
            blockers = await self.data.blockers(self.mission_id)
        if failed:
            return
        self.titles = {blocker_id: title for blocker_id, title, _list in blockers}
        options = self.query_one("#blocker-list", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        if not blockers:
            options.add_option(Option(Text(NO_BLOCKERS, style="dim"), disabled=True))
            return
        for blocker_id, title, list_name in blockers:
            detail = f"{list_name} · #{short_id(blocker_id)}"
            if list_name == "done":
                label = _label(title, detail + " · finished, no longer blocks", "✓ ")
            else:
                label = _label(title, detail, "⛔ ")
            options.add_option(Option(label, id=blocker_id))
        options.highlighted = min(highlighted or 0, len(blockers) - 1)

    @on(Input.Changed, "#blocker-search")
    def _search(self, event: Input.Changed) -> None:
        self._load_candidates(event.value)

    @work(exclusive=True, group="candidates")
    async def _load_candidates(self, text: str) -> None:
        with report_failure(self, show=self._error) as failed:
            candidates = await self.data.dependency_candidates(self.mission_id, text)
        if failed:
            return
        self.candidates = candidates
        options = self.query_one("#candidate-list", OptionList)
        options.clear_options()
        if not candidates:
            shown = f"No unfinished mission matches “{text.strip()}”." if text.strip() else ""
            empty = Text(shown or "No other unfinished mission.", style="dim")
            options.add_option(Option(empty, disabled=True))
            return
        for row in candidates:
            detail = f"{row.list} · P{row.priority} · #{short_id(row.id)}"
            options.add_option(Option(_label(row.title, detail), id=row.id))
        options.highlighted = 0

    # --- adding and removing -----------------------------------------------------------------

    def _error(self, message: str, *, info: bool = False) -> None:
        error = self.query_one("#dependency-error", Static)
        error.set_class(info, "-info")
        error.update(Text(message))

    def action_candidate(self, step: int) -> None:
        options = self.query_one("#candidate-list", OptionList)
        if not self.candidates:
            return
        current = options.highlighted if options.highlighted is not None else -step
        options.highlighted = max(0, min(len(self.candidates) - 1, current + step))

    @on(Input.Submitted, "#blocker-search")
    def _submitted(self, event: Input.Submitted) -> None:
        options = self.query_one("#candidate-list", OptionList)
        if not self.candidates or options.highlighted is None:
            text = event.value.strip()
            self._error(f"No unfinished mission matches “{text}”." if text else "Type to search.")
            return
        self._add(self.candidates[options.highlighted])

    @on(OptionList.OptionSelected, "#candidate-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        row = next((c for c in self.candidates if c.id == event.option.id), None)
        if row is not None:
            self._add(row)

    @work(group="write")
    async def _add(self, row: CandidateRow) -> None:
        with report_failure(self, show=self._error) as failed:
            await self.data.add_blocker(self.mission_id, row.id)
        if failed:
            return
        self.changed = True
        self._error(f"Now waits for “{row.title}”.", info=True)
        search = self.query_one("#blocker-search", Input)
        search.value = ""
        search.focus()
        self._load_blockers()
        self._load_candidates("")

    def action_remove(self) -> None:
        options = self.query_one("#blocker-list", OptionList)
        if not options.has_focus:
            self._error("Select a blocker in the list above first (shift+tab), then press d.")
            return
        index = options.highlighted
        blocker_id = options.get_option_at_index(index).id if index is not None else None
        if blocker_id is None:
            self.app.bell()
            return
        self._remove(blocker_id)

    @work(group="write")
    async def _remove(self, blocker_id: str) -> None:
        with report_failure(self, show=self._error) as failed:
            await self.data.remove_blocker(self.mission_id, blocker_id)
        if failed:
            return
        self.changed = True
        self._error(f"No longer waits for “{self.titles.get(blocker_id, blocker_id)}”.", info=True)
        self._load_blockers()
        self._load_candidates(self.query_one("#blocker-search", Input).value)

    def action_close(self) -> None:
        self.dismiss(self.changed)
