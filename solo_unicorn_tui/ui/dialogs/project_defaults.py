"""A project's defaults (name, flow, actor, agent profile, PR mode), edited from the switcher.

Saving writes only the fields that changed, through :func:`storage.projects.set_project`, the
function ``solo-unicorn project set`` uses; a refused value shows storage's one line.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from solo_unicorn_tui.ui.board_data import ProjectDefaults
from solo_unicorn_tui.ui.dialogs.mission_form import PR_MODES
from solo_unicorn_tui.ui.dialogs.saving_form import Save, SavingForm

#: The agent Select's value for "no profile of the project's own: the workstation's default".
WORKSTATION_DEFAULT = ""
#: The flow or actor Select's value when the project has none (left as it is on save).
NONE = ""


def _choices(
    options: list[tuple[str, str]], current: str | None, kind: str
) -> list[tuple[str, str]]:
    items = [(name, id_) for id_, name in options]
    if not current:
        items.insert(0, (f"(no default {kind})", NONE))
    elif current not in dict(options):
        items.append((f"{kind} {current} (not in this project)", current))
    return items


class ProjectDefaultsScreen(SavingForm):
    """Saves the changed ``set_project`` fields of one project."""

    def __init__(self, save: Save, defaults: ProjectDefaults) -> None:
        super().__init__(save)
        self.defaults = defaults

    def compose(self) -> ComposeResult:
        d = self.defaults
        agents = [(name, name) for name in d.agents]
        base = "workstation default"
        agents.insert(0, (f"{base} ({d.workstation_agent})" if d.workstation_agent else base, ""))
        if d.default_agent_name and d.default_agent_name not in d.agents:
            agents.append((f"{d.default_agent_name} (no such profile here)", d.default_agent_name))
        # It scrolls: on a small terminal (80x24) Tab brings every field into view.
        with VerticalScroll(classes="dialog form-dialog project-defaults-dialog"):
            yield Static(f"Project settings: {d.name}", classes="dialog-title")
            yield Label("Name")
            yield Input(d.name, placeholder="Website", id="defaults-name")
            for label, field, items, value in (
                ("Flow", "flow", _choices(d.flows, d.default_flow_id, "flow"), d.default_flow_id),
                (
                    "Actor",
                    "actor",
                    _choices(d.actors, d.default_actor_id, "actor"),
                    d.default_actor_id,
                ),
                ("Agent", "agent", agents, d.default_agent_name),
                ("Pull requests", "pr-mode", list(PR_MODES), d.pr_mode_default),
            ):
                with Horizontal(classes="form-row compact-row choice-row"):
                    yield Label(label)
                    yield Select(
                        items,
                        value=value or "",
                        allow_blank=False,
                        id=f"defaults-{field}",
                        compact=True,
                    )
            yield Static(
                "New missions get these; a mission or a flow stage may name its own.",
                classes="dialog-detail",
            )
            yield Static("", id="form-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#defaults-name", Input).focus()

    def values(self) -> dict[str, Any]:
        def chosen(field: str) -> Any:
            return self.query_one(f"#defaults-{field}", Select).value

        return {
            "name": self.query_one("#defaults-name", Input).value,
            "default_flow_id": chosen("flow"),
            "default_actor_id": chosen("actor"),
            "default_agent_name": chosen("agent") or None,
            "pr_mode_default": chosen("pr-mode"),
        }

    def changed(self) -> dict[str, Any]:
        """What differs from the stored defaults (an unset flow or actor stays unset)."""
        stored = {
            "name": self.defaults.name,
            "default_flow_id": self.defaults.default_flow_id or NONE,
            "default_actor_id": self.defaults.default_actor_id or NONE,
            "default_agent_name": self.defaults.default_agent_name,
            "pr_mode_default": self.defaults.pr_mode_default,
        }
        return {key: value for key, value in self.values().items() if value != stored[key]}

    def on_input_submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        self.run_worker(self._save(self.changed()), exclusive=True, group="form-save")
