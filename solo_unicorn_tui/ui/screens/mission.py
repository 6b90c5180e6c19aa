"""One mission in full: description, clarification, solution, tasks and the events timeline.

``v`` opens the review view; a decision made there closes this screen too and is handed to
whoever opened it (the board writes it). When another process changes the replica (an agent
reporting through MCP) the board says so (:class:`~solo_unicorn_tui.ui.messages.ReplicaChanged`)
and the screen reloads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from solo_unicorn_tui.cli.safe_text import printable
from solo_unicorn_tui.ui.board_data import BoardData, MissionDetail
from solo_unicorn_tui.ui.errors import report_failure
from solo_unicorn_tui.ui.messages import BoardChanged, ReplicaChanged
from solo_unicorn_tui.ui.screens.review import ReviewDecision, ReviewScreen
from storage.ids import short_id


def _section(title: str, body: str | None, empty: str) -> str:
    text = escape(printable(body)) if body and body.strip() else f"[dim]{empty}[/dim]"
    return f"[b $accent]{title}[/]\n{text}\n"


def _tasks(tasks: Any) -> str | None:
    if not tasks:
        return None
    lines = []
    for number, task in enumerate(tasks, start=1):
        if isinstance(task, dict):
            done = "✓" if task.get("done") else "·"
            lines.append(f"{done} {number}. {task.get('title') or task.get('name') or task}")
        else:
            lines.append(f"· {number}. {task}")
    return "\n".join(lines)


#: How many of a mission's newest sessions the header lists, each with its usage.
SESSION_LINES = 5


def branch_state(detail: MissionDetail) -> str:
    """How the mission's branch stands against its target: what a merge would bring, what the
    branch lacks. A branch with unmerged commits is never "up to date"."""
    if detail.ahead is None or detail.behind is None:
        return "ahead/behind unknown"
    if detail.ahead == 0 and detail.behind == 0:
        return "up to date, nothing to merge"
    ahead = f"{detail.ahead} commit(s) not merged" if detail.ahead else "nothing to merge"
    behind = f"{detail.behind} commit(s) behind" if detail.behind else "not behind"
    return f"{ahead}, {behind}"


def render_detail(detail: MissionDetail) -> tuple[str, str]:
    m = detail.mission
    flags = [
        f"{m.list.title()}",
        f"stage {m.stage}",
        f"P{m.priority}",
        "ready" if m.ready else "not ready",
        f"agent {m.agent_session_status}",
    ]
    if m.review_status:
        flags.append(f"review {m.review_status}")
    if m.github_pr_number:
        flags.append(f"PR #{m.github_pr_number}")
    flags.append(f"#{short_id(m.id)}")
    head = f"[b]{escape(m.title)}[/b]\n[dim]{' · '.join(flags)}[/dim]\n"
    if detail.branch:
        target = escape(detail.target or "?")
        head += (
            f"[dim]branch[/] {escape(detail.branch)} [dim]→ {target}:[/] {branch_state(detail)}\n"
        )
    if detail.sessions:
        tokens = (
            "tokens unknown"
            if detail.input_tokens is None and detail.output_tokens is None
            else f"{detail.input_tokens or 0:,} in"
            + (f" ({detail.cached_input_tokens:,} cached)" if detail.cached_input_tokens else "")
            + f" / {detail.output_tokens or 0:,} out tokens"
        )
        cost = "cost unknown" if detail.cost_usd is None else f"${detail.cost_usd:.2f}"
        head += f"[dim]{detail.sessions} sessions · {tokens} · {cost}[/]\n"
        for entry in detail.session_entries[:SESSION_LINES]:
            when = entry.started_at.strftime("%m-%d %H:%M") if entry.started_at else "--"
            usage = entry.usage or "usage unknown"
            head += escape(
                f"  {when} {entry.stage or '?'} · {entry.agent_name} · {entry.status} · {usage}"
            )
            head += "\n"
    if detail.blockers:
        waiting = [
            f"  ⛔ {escape(title)} ({lst})" for _id, title, lst in detail.blockers if lst != "done"
        ]
        if waiting:
            head += "[b $error]Blocked by[/]\n" + "\n".join(waiting) + "\n"
    body = "\n".join(
        [
            _section("Description", m.description, "No description."),
            _section("Clarification", m.clarification, "Not clarified yet."),
            _section("Solution", m.solution, "No solution yet (written in the plan stage)."),
            _section("Tasks", _tasks(m.tasks), "No tasks yet."),
        ]
    )
    if m.review_feedback:
        body += "\n" + _section("Review feedback", m.review_feedback, "")
    if detail.messages:
        from solo_unicorn_tui.ui.dialogs.thread import render_thread

        body += "\n[b $accent]Questions and answers[/] [dim](t answers)[/dim]\n"
        body += render_thread(detail.messages) + "\n"
    events = [
        f"[dim]{e.created_at:%Y-%m-%d %H:%M} UTC[/dim]  {escape(e.kind):<10} "
        f"{escape(printable(e.summary, multiline=False))} [dim]({e.origin})[/dim]"
        for e in detail.events
    ]
    body += "\n[b $accent]Timeline[/]\n" + ("\n".join(events) or "[dim]No events.[/dim]")
    return head, body


class MissionScreen(Screen[ReviewDecision | None]):
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS = [
        Binding("escape,q", "back", "Back", id="mission_back"),
        Binding("e", "edit", "Edit", id="mission_edit"),
        Binding("v", "review", "Review", id="mission_review"),
        Binding("t", "thread", "Thread", id="mission_thread"),
    ]

    def __init__(self, data: BoardData, mission_id: str, *, edit: bool = False) -> None:
        super().__init__()
        self.data = data
        self.mission_id = mission_id
        self.detail: MissionDetail | None = None
        self._edit_on_load = edit

    def compose(self) -> ComposeResult:
        yield Static("Loading…", id="mission-head")
        with VerticalScroll(id="mission-body-scroll"):
            yield Static("", id="mission-body")
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    def on_replica_changed(self, _message: ReplicaChanged) -> None:
        """An agent (another process) wrote to the replica: show the mission as it is now."""
        self._load()

    @work(exclusive=True, group="mission")
    async def _load(self) -> None:
        with report_failure(self) as failed:
            self.detail = await self.data.detail(self.mission_id)
        if failed:
            self.dismiss(None)
            return
        head, body = render_detail(self.detail)
        self.query_one("#mission-head", Static).update(head)
        self.query_one("#mission-body", Static).update(body)
        if self._edit_on_load:
            self._edit_on_load = False
            self.action_edit()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_review(self) -> None:
        def decided(decision: ReviewDecision | None) -> None:
            if decision is not None:
                self.dismiss(decision)

        self.app.push_screen(ReviewScreen(self.data, self.mission_id), decided)

    def action_thread(self) -> None:
        from solo_unicorn_tui.ui.dialogs.thread import ThreadScreen

        if self.detail is None:
            return

        def answered(text: str | None) -> None:
            if text:
                self._write(lambda: self.data.answer(self.mission_id, text), "Answered")

        self.app.push_screen(
            ThreadScreen(self.data, self.mission_id, self.detail.mission.title), answered
        )

    def action_edit(self) -> None:
        from solo_unicorn_tui.ui.dialogs.mission_form import MissionFormScreen

        if self.detail is None:
            return

        def saved(fields: Any) -> None:
            if fields:
                self._write(lambda: self.data.update(self.mission_id, **fields), "Saved")

        form = MissionFormScreen(self.detail.mission, choices=self.data.mission_choices)
        self.app.push_screen(form, saved)

    @work(group="write")
    async def _write(self, operation: Callable[[], Awaitable[Any]], notice: str) -> None:
        """Run a domain write, say so, and let every screen (the board) reload."""
        with report_failure(self) as failed:
            await operation()
        if failed:
            return
        self.notify(notice)
        for screen in self.app.screen_stack:
            screen.post_message(BoardChanged(self.mission_id))
        self._load()
