"""Project settings: the project's flows and their stages, its actors, and its memory.

Every change is written at once through :class:`BoardData` (a storage domain operation) in a
worker; a refused change shows storage's one-line message and leaves what was stored as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import (
    Footer,
    Label,
    OptionList,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)

from solo_unicorn_tui.ui.board_data import BoardData, ProjectSettings
from solo_unicorn_tui.ui.errors import report_failure
from storage.models import Actor, Flow

TABS = ("flows", "actors", "memory")
#: Which keys do something on which tab (the footer shows only those).
TAB_ACTIONS = {
    "flows": {"new", "edit", "add_stage", "delete_stage", "move_stage", "make_default"},
    "actors": {"new", "edit", "make_default"},
    "memory": {"save_memory"},
}
FLOW_HINT = (
    "n new flow · enter edit stage · a add stage · d delete · J/K move · * default flow · "
    "1/2/3 tabs"
)
ACTOR_HINT = "n new actor · enter edit · * default actor · 1/2/3 tabs"


def _first_line(text: str | None, width: int = 90) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def stage_summary(flow: Flow) -> str:
    return " → ".join(s["name"] + ("!" if s.get("requires_review") else "") for s in flow.stages)


def flow_prompt(flow: Flow, default: bool) -> str:
    star = "[b $accent]★[/]" if default else " "
    return f"{star} {escape(flow.name)}\n  [dim]{escape(stage_summary(flow))}[/]"


def stage_prompt(number: int, stage: dict[str, Any]) -> str:
    review = "  [b $warning]◆ review[/]" if stage.get("requires_review") else ""
    if stage.get("agent"):
        review += f"  [dim]agent[/] {escape(stage['agent'])}"
    first = _first_line(stage.get("instructions"))
    detail = escape(first) if first else "no instructions yet"
    return f"[dim]{number}.[/] [b]{escape(stage['name'])}[/]{review}\n   [dim]{detail}[/]"


def actor_prompt(actor: Actor, default: bool) -> str:
    star = "[b $accent]★[/]" if default else " "
    return f"{star} {escape(actor.name)}"


def actor_detail(actor: Actor, default: bool) -> str:
    def section(title: str, body: str | None) -> str:
        text = escape(body) if body and body.strip() else "[dim]none[/]"
        return f"[b $accent]{title}[/]\n{text}\n"

    head = f"[b]{escape(actor.name)}[/]" + ("  [dim](project default)[/]" if default else "")
    return "\n".join(
        [
            head + "\n",
            section("System prompt", actor.system_prompt),
            section("Methodology", actor.methodology),
            section("Focus areas", ", ".join(actor.focus_areas or [])),
        ]
    )


class ProjectSettingsScreen(Screen[None]):
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS = [
        Binding("escape", "close", "Back", id="settings_close"),
        Binding("1", "tab('flows')", "Flows", show=False, id="settings_tab_flows"),
        Binding("2", "tab('actors')", "Actors", show=False, id="settings_tab_actors"),
        Binding("3", "tab('memory')", "Memory", show=False, id="settings_tab_memory"),
        Binding("n", "new", "New", id="settings_new"),
        Binding("e", "edit", "Edit", id="settings_edit"),
        Binding("a", "add_stage", "Add stage", id="settings_add_stage"),
        Binding("d", "delete_stage", "Delete stage", id="settings_delete_stage"),
        Binding("K", "move_stage(-1)", "Stage up", show=False, id="settings_stage_up"),
        Binding("J", "move_stage(1)", "Stage down", show=False, id="settings_stage_down"),
        Binding("asterisk", "make_default", "Default", id="settings_default"),
        Binding("ctrl+s", "save_memory", "Save memory", id="settings_save_memory"),
    ]

    def __init__(self, data: BoardData) -> None:
        super().__init__(id="project-settings")
        self.data = data
        self.settings: ProjectSettings | None = None
        self.saved_memory = ""
        self._stages_for: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("Project settings", id="settings-title")
        with TabbedContent(id="settings-tabs", initial="flows"):
            with TabPane("1 Flows", id="flows"):
                with Horizontal(classes="settings-panes"):
                    with Vertical(id="flows-side"):
                        yield Label("Flows  [dim](★ project default)[/]")
                        yield OptionList(id="flow-list")
                    with Vertical(id="stages-side"):
                        yield Label("", id="stages-title")
                        yield OptionList(id="stage-list")
                yield Static(FLOW_HINT, classes="settings-hint")
            with TabPane("2 Actors", id="actors"):
                with Horizontal(classes="settings-panes"):
                    with Vertical(id="actors-side"):
                        yield Label("Actors  [dim](★ project default)[/]")
                        yield OptionList(id="actor-list")
                    with VerticalScroll(id="actor-detail-scroll"):
                        yield Static("", id="actor-detail")
                yield Static(ACTOR_HINT, classes="settings-hint")
            with TabPane("3 Memory", id="memory"):
                yield Label(
                    "Project memory (markdown): goes into every agent prompt. "
                    "ctrl+s saves, esc leaves."
                )
                # Read-only until the stored memory is in, so nothing typed is replaced.
                yield TextArea(id="memory-text", soft_wrap=True, read_only=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#flow-list", OptionList).focus()
        self._load()

    # --- loading and showing ------------------------------------------------------------------

    @work(exclusive=True, group="settings-load")
    async def _load(self, flow_id: str | None = None, actor_id: str | None = None) -> None:
        with report_failure(self) as failed:
            settings = await self.data.project_settings()
        if failed:
            return
        first_load = self.settings is None
        # What is selected now, found in the old lists before they are replaced.
        flow_id, actor_id = flow_id or self._flow_id(), actor_id or self._actor_id()
        self.settings = settings
        self.query_one("#settings-title", Static).update(
            f"Project settings · {escape(settings.project_name)}"
        )
        self._show_flows(flow_id or settings.default_flow_id)
        self._show_actors(actor_id or settings.default_actor_id)
        if first_load:
            self.saved_memory = settings.memory
            text_area = self.query_one("#memory-text", TextArea)
            text_area.load_text(settings.memory)
            text_area.read_only = False

    def _show_flows(self, select: str | None) -> None:
        assert self.settings is not None
        flows = self.settings.flows
        option_list = self.query_one("#flow-list", OptionList)
        option_list.clear_options()
        option_list.add_options(
            [flow_prompt(f, f.id == self.settings.default_flow_id) for f in flows]
        )
        ids = [f.id for f in flows]
        option_list.highlighted = ids.index(select) if select in ids else (0 if ids else None)
        self._show_stages()

    def _show_stages(self, select: int | None = None) -> None:
        flow = self.current_flow()
        stage_list = self.query_one("#stage-list", OptionList)
        title = self.query_one("#stages-title", Label)
        previous = stage_list.highlighted
        stage_list.clear_options()
        if flow is None:
            self._stages_for = None
            title.update("No flow yet: press n to create one.")
            return
        title.update(f"Stages of [b]{escape(flow.name)}[/]  [dim](◆ review after the stage)[/]")
        stage_list.add_options([stage_prompt(i, s) for i, s in enumerate(flow.stages, 1)])
        same_flow, self._stages_for = flow.id == self._stages_for, flow.id
        index = select if select is not None else ((previous or 0) if same_flow else 0)
        stage_list.highlighted = max(0, min(index, len(flow.stages) - 1))

    def _show_actors(self, select: str | None) -> None:
        assert self.settings is not None
        actors = self.settings.actors
        option_list = self.query_one("#actor-list", OptionList)
        option_list.clear_options()
        option_list.add_options(
            [actor_prompt(a, a.id == self.settings.default_actor_id) for a in actors]
        )
        ids = [a.id for a in actors]
        option_list.highlighted = ids.index(select) if select in ids else (0 if ids else None)
        self._show_actor_detail()

    def _show_actor_detail(self) -> None:
        actor = self.current_actor()
        detail = self.query_one("#actor-detail", Static)
        if actor is None or self.settings is None:
            detail.update("[dim]No actor yet: press n to create one.[/]")
            return
        detail.update(actor_detail(actor, actor.id == self.settings.default_actor_id))

    @on(OptionList.OptionHighlighted, "#flow-list")
    def _flow_highlighted(self) -> None:
        self._show_stages()

    @on(OptionList.OptionHighlighted, "#actor-list")
    def _actor_highlighted(self) -> None:
        self._show_actor_detail()

    @on(OptionList.OptionSelected, "#flow-list")
    def _flow_selected(self) -> None:
        self.query_one("#stage-list", OptionList).focus()

    @on(OptionList.OptionSelected, "#stage-list")
    @on(OptionList.OptionSelected, "#actor-list")
    def _item_selected(self) -> None:
        self.action_edit()

    # --- what is selected -------------------------------------------------------------------

    @property
    def active_tab(self) -> str:
        return self.query_one("#settings-tabs", TabbedContent).active or "flows"

    def current_flow(self) -> Flow | None:
        if self.settings is None:
            return None
        index = self.query_one("#flow-list", OptionList).highlighted
        flows = self.settings.flows
        return flows[index] if index is not None and 0 <= index < len(flows) else None

    def _flow_id(self) -> str | None:
        flow = self.current_flow()
        return flow.id if flow else None

    def stage_index(self) -> int | None:
        flow = self.current_flow()
        index = self.query_one("#stage-list", OptionList).highlighted
        if flow is None or index is None or not 0 <= index < len(flow.stages):
            return None
        return index

    def current_actor(self) -> Actor | None:
        if self.settings is None:
            return None
        index = self.query_one("#actor-list", OptionList).highlighted
        actors = self.settings.actors
        return actors[index] if index is not None and 0 <= index < len(actors) else None

    def _actor_id(self) -> str | None:
        actor = self.current_actor()
        return actor.id if actor else None

    # --- keys per tab -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not any(action in actions for actions in TAB_ACTIONS.values()):
            return True
        return action in TAB_ACTIONS[self.active_tab]

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()

    def action_tab(self, tab: str) -> None:
        self.query_one("#settings-tabs", TabbedContent).active = tab
        target = {"flows": "#flow-list", "actors": "#actor-list", "memory": "#memory-text"}[tab]
        self.query_one(target).focus()
        self.refresh_bindings()

    def action_new(self) -> None:
        if self.active_tab == "flows":
            self._new_flow()
        elif self.active_tab == "actors":
            self._new_actor()

    def action_edit(self) -> None:
        if self.active_tab == "flows":
            self._edit_stage()
        elif self.active_tab == "actors":
            self._edit_actor()

    def action_make_default(self) -> None:
        if self.active_tab == "flows":
            flow = self.current_flow()
            if flow is not None:
                self._set_default_flow(flow)
        elif self.active_tab == "actors":
            actor = self.current_actor()
            if actor is not None:
                self._set_default_actor(actor)

    # --- flows ----------------------------------------------------------------------------------

    def _new_flow(self) -> None:
        from solo_unicorn_tui.ui.dialogs.flow_forms import NewFlowScreen

        async def save(values: dict[str, Any]) -> None:
            flow = await self.data.add_flow(values["name"], values["stages"])
            self.notify(f"Added the flow “{flow.name}”")
            self._load(flow_id=flow.id)

        self.app.push_screen(NewFlowScreen(save))

    def _flow_saved(self, flow: Flow, select: int | None) -> None:
        """Show a flow as storage returned it after a change."""
        if self.settings is None:
            return
        self.settings.flows = [flow if f.id == flow.id else f for f in self.settings.flows]
        self._show_flows(flow.id)
        self._show_stages(select)

    async def _save_stages(self, flow_id: str, stages: list[dict[str, Any]], select: int) -> None:
        flow = await self.data.save_flow_stages(flow_id, stages)
        self._flow_saved(flow, select)

    def _edit_stage(self) -> None:
        from solo_unicorn_tui.ui.dialogs.flow_forms import StageFormScreen

        flow, index = self.current_flow(), self.stage_index()
        if flow is None or index is None:
            self.app.bell()
            return
        flow_id, stages = flow.id, [dict(s) for s in flow.stages]

        async def save(values: dict[str, Any]) -> None:
            stages[index] = values
            await self._save_stages(flow_id, stages, index)

        title = f"Stage {index + 1} of {flow.name}"
        self.app.push_screen(StageFormScreen(save, title, stages[index]))

    def action_add_stage(self) -> None:
        from solo_unicorn_tui.ui.dialogs.flow_forms import StageFormScreen

        flow = self.current_flow()
        if flow is None:
            self.app.bell()
            return
        index = self.stage_index()
        at = len(flow.stages) if index is None else index + 1
        flow_id, stages = flow.id, [dict(s) for s in flow.stages]

        async def save(values: dict[str, Any]) -> None:
            await self._save_stages(flow_id, [*stages[:at], values, *stages[at:]], at)

        self.app.push_screen(StageFormScreen(save, f"New stage {at + 1} of {flow.name}"))

    def action_delete_stage(self) -> None:
        from solo_unicorn_tui.ui.dialogs.confirm import ConfirmScreen

        flow, index = self.current_flow(), self.stage_index()
        if flow is None or index is None:
            self.app.bell()
            return
        name = flow.stages[index]["name"]
        stages = [dict(s) for i, s in enumerate(flow.stages) if i != index]

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._write_stages(flow.id, stages, max(0, index - 1), f"Deleted the stage {name}")

        self.app.push_screen(
            ConfirmScreen(
                f"Delete the stage “{name}” of {flow.name}?",
                "Missions now in this stage finish after it.",
            ),
            confirmed,
        )

    def action_move_stage(self, step: int) -> None:
        flow, index = self.current_flow(), self.stage_index()
        if flow is None or index is None:
            self.app.bell()
            return
        target = index + step
        if not 0 <= target < len(flow.stages):
            self.app.bell()
            return
        stages = [dict(s) for s in flow.stages]
        stages[index], stages[target] = stages[target], stages[index]
        self._write_stages(flow.id, stages, target)

    @work(group="settings-write")
    async def _write_stages(
        self, flow_id: str, stages: list[dict[str, Any]], select: int, done: str = ""
    ) -> None:
        with report_failure(self) as failed:
            await self._save_stages(flow_id, stages, select)
        if failed:
            return
        if done:
            self.notify(done)

    @work(group="settings-write")
    async def _set_default_flow(self, flow: Flow) -> None:
        with report_failure(self) as failed:
            await self.data.set_default_flow(flow.id)
        if failed:
            return
        if self.settings is not None:
            self.settings.default_flow_id = flow.id
            self._show_flows(flow.id)
        self.notify(f"“{flow.name}” is the project's default flow")

    # --- actors ---------------------------------------------------------------------------------

    def _new_actor(self) -> None:
        from solo_unicorn_tui.ui.dialogs.actor_form import ActorFormScreen

        async def save(values: dict[str, Any]) -> None:
            actor = await self.data.add_actor(**values)
            self.notify(f"Added the actor “{actor.name}”")
            self._load(actor_id=actor.id)

        self.app.push_screen(ActorFormScreen(save))

    def _edit_actor(self) -> None:
        from solo_unicorn_tui.ui.dialogs.actor_form import ActorFormScreen

        actor = self.current_actor()
        if actor is None:
            self.app.bell()
            return

        async def save(values: dict[str, Any]) -> None:
            saved = await self.data.edit_actor(actor.id, **values)
            self.notify(f"Saved the actor “{saved.name}”")
            self._load(actor_id=saved.id)

        self.app.push_screen(ActorFormScreen(save, actor))

    @work(group="settings-write")
    async def _set_default_actor(self, actor: Actor) -> None:
        with report_failure(self) as failed:
            await self.data.set_default_actor(actor.id)
        if failed:
            return
        if self.settings is not None:
            self.settings.default_actor_id = actor.id
            self._show_actors(actor.id)
        self.notify(f"“{actor.name}” is the project's default actor")

    # --- memory ---------------------------------------------------------------------------------

    @property
    def memory_dirty(self) -> bool:
        return self.query_one("#memory-text", TextArea).text != self.saved_memory

    def action_save_memory(self) -> None:
        if self.settings is None:
            self.notify("The project memory is not loaded yet.", severity="warning")
            return
        self._save_memory(self.query_one("#memory-text", TextArea).text)

    @work(exclusive=True, group="settings-memory")
    async def _save_memory(self, text: str) -> None:
        with report_failure(self) as failed:
            await self.data.save_memory(text)
        if failed:
            return
        self.saved_memory = text
        self.notify("memory saved")

    def action_close(self) -> None:
        from solo_unicorn_tui.ui.dialogs.confirm import ConfirmScreen

        if not self.memory_dirty:
            self.dismiss(None)
            return

        def answered(leave: bool | None) -> None:
            if leave:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen(
                "Leave without saving the memory?",
                "Your changes to the project memory will be lost (ctrl+s saves them).",
                "Leave",
                "Keep editing",
            ),
            answered,
        )
