"""One board column: its title with the card count, and the virtualised card list."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from solo_unicorn_tui.ui.widgets.mission_list import MissionList

TITLES = {"todo": "Todo", "doing": "Doing", "review": "Review", "done": "Done"}


class BoardColumn(Vertical):
    def __init__(self, list_name: str, *extra: Widget) -> None:
        super().__init__(id=f"column-{list_name}", classes="board-column")
        self.list_name = list_name
        self._extra = extra

    def compose(self) -> ComposeResult:
        yield Static(TITLES[self.list_name], classes="column-title")
        yield MissionList(self.list_name, id=f"list-{self.list_name}")
        yield from self._extra

    @property
    def mission_list(self) -> MissionList:
        return self.query_one(MissionList)

    def on_mission_list_loaded(self, _message: MissionList.Loaded) -> None:
        self._show_title()

    def _show_title(self) -> None:
        mission_list = self.mission_list
        count = mission_list.count if mission_list.loaded else "…"
        name = TITLES[self.list_name]
        text = f"[b $accent]▸ {name}[/]  {count}" if mission_list.active else f"  {name}  {count}"
        self.query_one(".column-title", Static).update(text, layout=False)

    def set_active(self, active: bool) -> None:
        """Mark the column with the selection (no CSS class: restyling costs ~10 ms a column)."""
        self.mission_list.set_active(active)
        self._show_title()
