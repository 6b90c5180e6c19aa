"""Pick the project the board shows; add, rename, set up or archive projects from the same list."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from solo_unicorn_tui.ui.board_data import BoardData
from solo_unicorn_tui.ui.dialogs.saving_form import Save, SavingForm
from solo_unicorn_tui.ui.errors import report_failure


class ProjectNameScreen(SavingForm):
    """Saves ``{"name"}``: a new project's name, or a new name for one."""

    def __init__(self, save: Save, title: str, name: str = "") -> None:
        super().__init__(save)
        self.title_text = title
        self.name_text = name

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield Label("Name")
            yield Input(self.name_text, placeholder="Website", id="project-name")
            yield Static("", id="form-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#project-name", Input).focus()

    def values(self) -> dict[str, Any]:
        return {"name": self.query_one("#project-name", Input).value}

    def on_input_submitted(self) -> None:
        self.action_save()


class ProjectSwitcher(ModalScreen[str | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="projects_cancel"),
        Binding("n", "add", "New", id="projects_add"),
        Binding("r", "rename", "Rename", id="projects_rename"),
        Binding("e", "edit", "Settings", id="projects_edit"),
        Binding("x", "archive", "Archive", id="projects_archive"),
    ]

    def __init__(self, data: BoardData) -> None:
        super().__init__()
        self.data = data
        self.names: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Switch project", classes="dialog-title")
            yield OptionList(id="project-list")
            yield Static(
                "enter switches · n new · r rename · e settings · x archive · esc cancels",
                classes="dialog-detail",
            )

    def on_mount(self) -> None:
        self._load()

    @work(exclusive=True, group="projects")
    async def _load(self, highlight: str | None = None) -> None:
        projects = await self.data.projects()
        self.names = dict(projects)
        options = self.query_one(OptionList)
        options.clear_options()
        ids = [project_id for project_id, _name in projects]
        for project_id, name in projects:
            mark = "● " if project_id == self.data.project_id else "  "
            options.add_option(Option(mark + name, id=project_id))
        wanted = highlight if highlight in ids else self.data.project_id
        if wanted in ids:
            options.highlighted = ids.index(wanted)
        options.focus()

    def _highlighted(self) -> str | None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return None
        return options.get_option_at_index(options.highlighted).id

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_add(self) -> None:
        made: list[str] = []

        async def save(values: dict[str, Any]) -> None:
            made.append(await self.data.add_project(values["name"]))

        def saved(ok: bool | None) -> None:
            if ok:
                self._load(made[0] if made else None)

        self.app.push_screen(ProjectNameScreen(save, "New project"), saved)

    def action_rename(self) -> None:
        project_id = self._highlighted()
        if project_id is None:
            return

        async def save(values: dict[str, Any]) -> None:
            await self.data.rename_project(project_id, values["name"])

        def saved(ok: bool | None) -> None:
            if ok:
                self._load(project_id)

        title = f"Rename “{self.names.get(project_id, '')}”"
        self.app.push_screen(ProjectNameScreen(save, title, self.names.get(project_id, "")), saved)

    def action_edit(self) -> None:
        project_id = self._highlighted()
        if project_id is not None:
            self._edit(project_id)

    @work(exclusive=True, group="projects-edit")
    async def _edit(self, project_id: str) -> None:
        """Open the project's defaults (flow, actor, agent, PR mode, name) once they are read."""
        from solo_unicorn_tui.ui.dialogs.project_defaults import ProjectDefaultsScreen

        with report_failure(self) as failed:
            defaults = await self.data.project_defaults(project_id)
        if failed:
            return

        async def save(values: dict[str, Any]) -> None:
            if values:
                await self.data.set_project_defaults(project_id, values)

        def saved(ok: bool | None) -> None:
            if ok:
                self._load(project_id)

        self.app.push_screen(ProjectDefaultsScreen(save, defaults), saved)

    def action_archive(self) -> None:
        from solo_unicorn_tui.ui.dialogs.confirm import ConfirmScreen

        project_id = self._highlighted()
        if project_id is None:
            return
        if project_id == self.data.project_id:
            self.notify(
                "this is the project on the board: switch to another one before archiving it",
                severity="warning",
            )
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._archive(project_id)

        name = self.names.get(project_id, "")
        self.app.push_screen(
            ConfirmScreen(
                f"Archive “{name}”?",
                "It leaves this list; its missions are kept "
                "('solo-unicorn project archive ID --restore' brings it back).",
                "Archive",
                "Keep",
            ),
            answered,
        )

    @work(group="projects-write")
    async def _archive(self, project_id: str) -> None:
        with report_failure(self) as failed:
            await self.data.archive_project(project_id)
        if not failed:
            self._load()

    def action_cancel(self) -> None:
        self.dismiss(None)
