"""Pick the project the board shows."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from solo_unicorn_tui.ui.board_data import BoardData


class ProjectSwitcher(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="projects_cancel")]

    def __init__(self, data: BoardData) -> None:
        super().__init__()
        self.data = data

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Switch project", classes="dialog-title")
            yield OptionList(id="project-list")
            yield Static("enter switches, esc cancels", classes="dialog-detail")

    def on_mount(self) -> None:
        self._load()

    @work
    async def _load(self) -> None:
        projects = await self.data.projects()
        options = self.query_one(OptionList)
        ids = [project_id for project_id, _name in projects]
        for project_id, name in projects:
            mark = "● " if project_id == self.data.project_id else "  "
            options.add_option(Option(mark + name, id=project_id))
        if self.data.project_id in ids:
            options.highlighted = ids.index(self.data.project_id)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
