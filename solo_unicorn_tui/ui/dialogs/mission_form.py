"""Create or edit a mission, with inline validation; cancelling with edits asks first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from solo_unicorn_tui.ui.errors import report_failure
from storage import validation
from storage.errors import ValidationError
from storage.missions import MissionDraft
from storage.models import Mission

if TYPE_CHECKING:
    from solo_unicorn_tui.ui.board_data import MissionChoices

#: The Select value for "no flow/actor/agent of its own: the project's default".
PROJECT_DEFAULT = ""
#: The form's choice fields → the mission column each sets.
CHOICE_FIELDS = {"flow": "flow_id", "actor": "actor_id", "agent": "agent_name"}
PR_MODES = (
    ("off", "disabled"),
    ("open one after the PR stage", "enabled"),
    ("auto: when on GitHub with a token", "auto"),
)


class MissionFormScreen(ModalScreen[Any]):
    """Dismisses with a :class:`MissionDraft` (new), a dict of changed fields (edit), or None."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="form_save"),
        Binding("escape", "cancel", "Cancel", id="form_cancel"),
    ]

    def __init__(
        self,
        mission: Mission | None = None,
        *,
        choices: Callable[[], Awaitable[MissionChoices]] | None = None,
    ) -> None:
        super().__init__()
        self.mission = mission
        self._tried = False
        self._load_choices = choices

    def compose(self) -> ComposeResult:
        m = self.mission
        # It scrolls: on a small terminal (80x24) Tab brings every field into view.
        with VerticalScroll(classes="dialog form-dialog"):
            yield Static("Edit mission" if m else "New mission", classes="dialog-title")
            yield Label("Title")
            yield Input(m.title if m else "", placeholder="what should be done", id="form-title")
            yield Static("", id="title-error", classes="field-error")
            yield Label("Description")
            yield TextArea((m.description or "") if m else "", id="form-description")
            yield Static("", id="description-error", classes="field-error")
            with Horizontal(classes="form-row compact-row"):
                yield Label("Priority ")
                yield Select(
                    [
                        (f"P{p}{' highest' if p == 5 else ' lowest' if p == 1 else ''}", p)
                        for p in range(5, 0, -1)
                    ],
                    value=m.priority if m else 3,
                    allow_blank=False,
                    id="form-priority",
                    compact=True,
                )
                yield Checkbox("Ready", m.ready if m else False, id="form-ready", compact=True)
            with Horizontal(classes="form-row compact-row"):
                yield Label("Pull request ")
                yield Select(
                    list(PR_MODES) if m else [("project default", PROJECT_DEFAULT), *PR_MODES],
                    value=m.pr_mode if m else PROJECT_DEFAULT,
                    allow_blank=False,
                    id="form-pr-mode",
                    compact=True,
                )
            if self._load_choices is not None:
                with Horizontal(classes="form-row compact-row choice-row"):
                    yield Label("Flow ")
                    yield Select(
                        [("project default", PROJECT_DEFAULT)],
                        value=PROJECT_DEFAULT,
                        allow_blank=False,
                        id="form-flow",
                        compact=True,
                    )
                    yield Label(" Actor ")
                    yield Select(
                        [("project default", PROJECT_DEFAULT)],
                        value=PROJECT_DEFAULT,
                        allow_blank=False,
                        id="form-actor",
                        compact=True,
                    )
                with Horizontal(classes="form-row compact-row choice-row"):
                    yield Label("Agent ")
                    yield Select(
                        [("stage or project default", PROJECT_DEFAULT)],
                        value=PROJECT_DEFAULT,
                        allow_blank=False,
                        id="form-agent",
                        compact=True,
                    )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self._initial = self._values()
        self.query_one("#form-title", Input).focus()
        if self._load_choices is not None:
            self._fill_choices(self._load_choices)

    @work(group="form-choices")
    async def _fill_choices(self, load: Callable[[], Awaitable[MissionChoices]]) -> None:
        """Offer the project's flows and actors; show the mission's own when it names one."""
        with report_failure(self) as failed:
            choices = await load()
        if failed:
            return
        m = self.mission
        for field, options, default in (
            ("flow", choices.flows, choices.default_flow),
            ("actor", choices.actors, choices.default_actor),
            ("agent", choices.agents, choices.default_agent),
        ):
            column = CHOICE_FIELDS[field]
            current = getattr(m, column) if m else None
            base = "stage or project default" if field == "agent" else "project default"
            label = f"{base} ({default})" if default else base
            items = [(label, PROJECT_DEFAULT), *((name, id_) for id_, name in options)]
            if current and current not in dict(options):
                items.append((f"{field} {current} (not in this project)", current))
            select = self.query_one(f"#form-{field}", Select)
            unchanged = select.value == self._initial.get(column)
            select.set_options(items)
            value = current or PROJECT_DEFAULT
            if unchanged:
                select.value = value
            # The value may equal the old one ("project default"): redraw its new label.
            # mutate_reactive takes the class-level descriptor; Select is generic, so mypy
            # calls that access ambiguous although the descriptor is the same for every type.
            select.mutate_reactive(Select.value)  # type: ignore[misc]
            self._initial[column] = value

    def _values(self) -> dict[str, Any]:
        values = {
            "title": self.query_one("#form-title", Input).value,
            "description": self.query_one("#form-description", TextArea).text,
            "priority": self.query_one("#form-priority", Select).value,
            "ready": self.query_one("#form-ready", Checkbox).value,
            "pr_mode": self.query_one("#form-pr-mode", Select).value,
        }
        if self._load_choices is not None:
            for field, column in CHOICE_FIELDS.items():
                values[column] = self.query_one(f"#form-{field}", Select).value
        return values

    @property
    def dirty(self) -> bool:
        return self._values() != self._initial

    def validate_form(self) -> dict[str, Any] | None:
        """Check every field, show each problem under its field; the cleaned values or None."""
        values = self._values()
        ok = True
        title_error = self.query_one("#title-error", Static)
        try:
            values["title"] = validation.title(values["title"])
            wide = cell_len(values["title"]) != len(values["title"])
            title_error.update(
                "ⓘ emoji and wide characters take two columns on the cards" if wide else ""
            )
            title_error.set_class(False, "-error")
        except ValidationError as error:
            title_error.update(f"✗ {error}")
            title_error.set_class(True, "-error")
            ok = False
        description_error = self.query_one("#description-error", Static)
        try:
            values["description"] = validation.long_text(values["description"], "description")
            description_error.update("")
        except ValidationError as error:
            description_error.update(f"✗ {error}")
            ok = False
        return values if ok else None

    def on_input_changed(self) -> None:
        if self._tried:
            self.validate_form()

    def on_input_submitted(self) -> None:
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        self._tried = True
        values = self.validate_form()
        if values is None:
            return
        description = values["description"] or None
        chosen: dict[str, Any] = {
            key: values[key] or None for key in CHOICE_FIELDS.values() if key in values
        }
        if self.mission is None:
            self.dismiss(
                MissionDraft(
                    title=values["title"],
                    description=description,
                    priority=int(values["priority"]),
                    ready=bool(values["ready"]),
                    pr_mode=str(values["pr_mode"]) or None,
                    **chosen,
                )
            )
            return
        fields = {
            "title": values["title"],
            "description": description,
            "priority": int(values["priority"]),
            "ready": bool(values["ready"]),
            "pr_mode": str(values["pr_mode"]),
            **chosen,
        }
        m = self.mission
        self.dismiss({k: v for k, v in fields.items() if getattr(m, k) != v})

    def action_cancel(self) -> None:
        from solo_unicorn_tui.ui.dialogs.confirm import ConfirmScreen

        if not self.dirty:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen(
                "Discard your changes?", "What you typed will be lost.", "Discard", "Keep editing"
            ),
            answered,
        )
