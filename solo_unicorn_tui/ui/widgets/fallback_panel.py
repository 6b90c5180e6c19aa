"""Todo's Fallback area on screen: the fallback status, the templates and pending proposals.

:class:`FallbackPanel` shows a :class:`storage.fallback.FallbackArea` (the data, read in one go).

It stays a few lines high under the Todo cards; ``f`` on the board focuses it and it grows. The
rows are an OptionList whose headings are disabled options (the cursor skips them). Its keys
post messages; the board screen turns them into writes and reloads the area afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.markup import escape
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from storage.fallback import FallbackArea
    from storage.models import MissionFallbackItem, MissionFallbackTemplate

EMPTY = "No templates yet: add one with 'solo-unicorn fallback template add'."
LOADING = "…"


@dataclass(frozen=True)
class Row:
    kind: Literal["template", "proposal"]
    id: str
    title: str
    snoozed: bool = False


def status_line(area: FallbackArea) -> str:
    """Ready backlog / threshold and this week's fallback missions / weekly cap; then the last
    run, auto-accept and this month's estimated fallback effort / monthly target (once there is
    any). Two lines: cut short under the cards, wrapped when the area is focused.
    """
    config = area.config
    last = area.last_run.started_at if area.last_run is not None else None
    counts = (
        f"backlog {area.backlog}/{config.backlog_threshold}"
        f" · week {area.accepted_this_week}/{config.weekly_mission_cap}"
    )
    run = f"last {last:%m-%d %H:%M}" if last is not None else "last never"
    run += f" · auto {'on' if config.auto_accept else 'off'}"
    if area.effort_this_month:
        month = _effort(area.effort_this_month).lstrip(" ·")
        run += f" · month {month}/{config.monthly_target_hours}h"
    if config.status == "snoozed" and config.snoozed_until is not None:
        run += f" · snoozed until {config.snoozed_until:%m-%d %H:%M}"
    elif config.status != "active":
        run += f" · {config.status}"
    return f"{counts}\n{run}"


def _effort(minutes: int | None) -> str:
    if not minutes:
        return ""
    if minutes < 60:
        return f" · {minutes}m"
    hours, rest = divmod(minutes, 60)
    return f" · {hours}h{rest:02d}" if rest else f" · {hours}h"


def _snoozed(template: MissionFallbackTemplate) -> bool:
    until = template.snoozed_until
    return until is not None and until > datetime.now(UTC)


def template_prompt(template: MissionFallbackTemplate) -> str:
    mark = "◆" if template.enabled else "[dim]◇[/]"
    off = "" if template.enabled else " [dim](off)[/]"
    effort = _effort(template.estimated_effort_minutes)
    tags = "".join(f" [dim]#{escape(t)}[/]" for t in template.tags or [])
    if _snoozed(template):
        off += f" [dim](snoozed until {template.snoozed_until:%m-%d %H:%M})[/]"
    return f"{mark} P{template.priority} {escape(template.name)}{effort}{tags}{off}"


def proposal_prompt(item: MissionFallbackItem) -> str:
    priority = f"P{item.priority} " if item.priority is not None else ""
    effort = _effort(item.estimated_effort_minutes)
    return f"[b $warning]?[/] {priority}{escape(item.title)}{effort}"


class FallbackRows(OptionList):
    """The selectable rows: templates, then proposals (headings are disabled options)."""

    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("enter", "activate", "Launch/accept"),
        Binding("a", "accept", "Accept"),
        Binding("x", "discard", "Discard"),
        Binding("z", "snooze", "Snooze 1 day"),
        Binding("c", "check", "Check now"),
        Binding("f,escape", "leave", "Back to cards"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: dict[str, Row] = {}
        self._wrap: str | None = None

    def notify_style_update(self) -> None:
        # Rows wrap only while focused: measure them again when that flips.
        if self.styles.text_wrap != self._wrap:
            self._wrap = self.styles.text_wrap
            self._clear_caches()
        super().notify_style_update()

    @property
    def selected_row(self) -> Row | None:
        option = self.highlighted_option
        if option is None or option.disabled or option.id is None:
            return None
        return self.rows.get(option.id)

    def action_activate(self) -> None:
        row = self.selected_row
        if row is None:
            self.app.bell()
        elif row.kind == "template":
            self.post_message(FallbackPanel.Launch(row.id, row.title))
        else:
            self.post_message(FallbackPanel.Accept(row.id, row.title))

    def action_accept(self) -> None:
        row = self.selected_row
        if row is not None and row.kind == "proposal":
            self.post_message(FallbackPanel.Accept(row.id, row.title))
        else:
            self.notify("Select a proposal to accept (enter launches a template).")

    def action_discard(self) -> None:
        row = self.selected_row
        if row is not None and row.kind == "proposal":
            self.post_message(FallbackPanel.Discard(row.id, row.title))
        else:
            self.notify("Only proposals can be discarded; templates stay.")

    def action_snooze(self) -> None:
        """Snooze the template or proposal for a day; ``z`` on a snoozed template wakes it."""
        row = self.selected_row
        if row is None:
            self.app.bell()
        else:
            self.post_message(FallbackPanel.Snooze(row.kind, row.id, row.title, wake=row.snoozed))

    def action_check(self) -> None:
        self.post_message(FallbackPanel.Check())

    def action_leave(self) -> None:
        self.post_message(FallbackPanel.Leave())


class FallbackPanel(Vertical):
    DEFAULT_CSS = """
    FallbackPanel {
        height: auto; max-height: 6; border-top: solid $primary 50%; padding: 0 1;
    }
    FallbackPanel:focus-within { max-height: 70%; border-top: solid $accent; }
    FallbackPanel > #fallback-status {
        height: auto; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis;
    }
    FallbackPanel:focus-within > #fallback-status { text-wrap: wrap; }
    FallbackPanel > FallbackRows {
        height: auto; max-height: 100%; border: none; padding: 0; background: transparent;
        text-wrap: nowrap; text-overflow: ellipsis; scrollbar-size-vertical: 1;
    }
    FallbackPanel > FallbackRows:focus {
        border: none; background-tint: transparent; text-wrap: wrap;
    }
    FallbackPanel > FallbackRows > .option-list--option-disabled { color: $text-muted; }
    """

    class Launch(Message):
        """Create a mission from this template (the template stays)."""

        def __init__(self, template_id: str, name: str) -> None:
            super().__init__()
            self.template_id = template_id
            self.name = name

    class Accept(Message):
        """Accept this proposal: create its mission."""

        def __init__(self, item_id: str, title: str) -> None:
            super().__init__()
            self.item_id = item_id
            self.title = title

    class Discard(Message):
        def __init__(self, item_id: str, title: str) -> None:
            super().__init__()
            self.item_id = item_id
            self.title = title

    class Snooze(Message):
        """Skip this template (or hide this proposal) in runs for a day, or wake it."""

        def __init__(
            self, kind: Literal["template", "proposal"], row_id: str, title: str, *, wake: bool
        ) -> None:
            super().__init__()
            self.kind = kind
            self.row_id = row_id
            self.title = title
            self.wake = wake

    class Check(Message):
        """Run the fallback check now (threshold and weekly cap still apply)."""

    class Leave(Message):
        """Give the focus back to the cards."""

    def compose(self) -> ComposeResult:
        yield Static(LOADING, id="fallback-status")
        yield FallbackRows(id="fallback-rows")

    _status: object = None
    _shown: list[tuple[str | None, str, bool]] | None = None

    def on_mount(self) -> None:
        self.border_title = "Fallback"

    @property
    def rows(self) -> FallbackRows:
        return self.query_one(FallbackRows)

    def show(self, area: FallbackArea) -> None:
        """Show a fresh read, keeping the cursor on the same row when it is still there."""
        rows = self.rows
        kept = rows.highlighted_option.id if rows.highlighted_option is not None else None
        kept_index = rows.highlighted
        status = status_line(area)
        if status != self._status:
            self._status = status
            self.query_one("#fallback-status", Static).update(status)
        options: list[Option] = []
        rows.rows = {}
        if not area.templates:
            options.append(Option(EMPTY, disabled=True))
        for template in area.templates:
            key = f"template:{template.id}"
            rows.rows[key] = Row("template", template.id, template.name, _snoozed(template))
            options.append(Option(template_prompt(template), id=key))
        if area.proposals:
            options.append(Option("[b]Proposals[/]", disabled=True))
        for item in area.proposals:
            key = f"proposal:{item.id}"
            rows.rows[key] = Row("proposal", item.id, item.title)
            options.append(Option(proposal_prompt(item), id=key))
        shown = [(option.id, str(option.prompt), option.disabled) for option in options]
        if shown == self._shown:
            return  # the board reloads it after every write: unchanged, it lays nothing out
        self._shown = shown
        rows.set_options(options)
        ids = [option.id for option in options]
        if kept is not None and kept in ids:
            rows.highlighted = ids.index(kept)
        elif rows.rows:
            enabled = [i for i, option in enumerate(options) if not option.disabled]
            index = kept_index if kept_index is not None else 0
            rows.highlighted = min(enabled, key=lambda i: (abs(i - index), -i))

    def enter(self) -> None:
        """Focus the rows (the board's ``f``)."""
        rows = self.rows
        if rows.highlighted is None and rows.rows:
            rows.action_first()
        rows.focus()
