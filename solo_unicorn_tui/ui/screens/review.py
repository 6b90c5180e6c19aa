"""What the agent produced for a mission: solution, tasks, its branch's diff, the session log
and its pull request (state, reviews, checks and the comments left on GitHub).

Opened from the board (``v``, or ``enter`` on a card in Review) and from the mission screen.
Approving or rejecting closes the view with a :class:`ReviewDecision`; whoever opened it hands
the decision to the board, which writes it the same way as its own ``a``/``x`` keys. ``g``
rejects with the GitHub review comments (quoted with their file and line) as the feedback, so
the next session addresses them; ``m`` merges the pull request the project's way.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Markdown, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from solo_unicorn_tui.ui.board_data import BoardData, Review
from solo_unicorn_tui.ui.errors import report_failure
from solo_unicorn_tui.ui.widgets.diff_view import DiffView
from solo_unicorn_tui.ui.widgets.session_log_view import SessionLogView
from storage.ids import short_id

TABS = ("solution", "tasks", "diff", "log", "pr")
TASK_PREVIEW_LINES = 12
TASK_PREVIEW_CHARS = 1_500
_KEEP = {"\n", "\t"}


@dataclass(frozen=True)
class ReviewDecision:
    """Approve (``feedback`` None) or reject with ``feedback``."""

    mission_id: str
    title: str
    feedback: str | None = None

    @property
    def approved(self) -> bool:
        return self.feedback is None


def _printable(text: str) -> str:
    """Control characters (but newline and tab) made visible, as storage does for documents."""
    return "".join(
        "\ufffd" if unicodedata.category(c) in ("Cc", "Cs") and c not in _KEEP else c for c in text
    )


def _first_line(text: str, limit: int = 160) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def render_head(review: Review) -> str:
    m = review.material.mission
    flags = [m.list.title(), f"stage {m.stage}"]
    if m.review_status:
        flags.append(f"review {m.review_status}")
    rejections = sum(1 for e in review.material.reviews if e.kind == "rejected")
    if rejections:
        flags.append(f"rejected {rejections}× before")
    flags.append(f"#{short_id(m.id)}")
    head = f"[b]{escape(m.title)}[/b]  [dim]{escape(' · '.join(flags))}[/dim]\n"
    if review.branch:
        head += f"[dim]branch[/] {escape(review.branch)} [dim]→[/] {escape(review.target)}\n"
    else:
        head += "[dim]No worktree for this mission on this workstation.[/]\n"
    if review.pull_request is not None:
        head += render_pull_request(review) + "\n"
    # Kept from a rejection until the stage is approved: what this attempt had to address.
    if m.review_feedback:
        feedback = _first_line(_printable(m.review_feedback))
        head += f"[b $warning]Previous feedback:[/] {escape(feedback)}\n"
    return head.rstrip("\n")


def render_pull_request(review: Review) -> str:
    """One line on the pull request: state, review decision, approvals, checks, last sync."""
    pr = review.pull_request
    if pr is None:
        return ""
    parts = [f"PR #{pr.github_pr_number} {pr.status}"]
    if pr.review_status and pr.review_status != "pending":
        parts.append(pr.review_status.replace("_", " "))
    if pr.approved_reviews_count:
        parts.append(f"{pr.approved_reviews_count} approved")
    if pr.checks_status:
        parts.append(f"checks {pr.checks_status}")
    if pr.mergeable_state and pr.status in ("open", "draft"):
        parts.append(pr.mergeable_state)
    if pr.last_synced_at:
        parts.append(f"synced {pr.last_synced_at:%Y-%m-%d %H:%M} UTC")
    line = f"[b]{escape(' · '.join(parts))}[/b]"
    if pr.sync_error:
        line += f"  [$error]{escape(_first_line(pr.sync_error, 200))}[/]"
    return line


def render_comments(review: Review) -> str:
    """The pull request's link and every comment left on GitHub, oldest first."""
    pr = review.pull_request
    if pr is None:
        return "[dim]No pull request for this mission (PR mode opens one after its PR stage).[/]"
    out = [render_pull_request(review), escape(pr.github_pr_url), ""]
    if not review.comments:
        out.append("[dim]No comments on GitHub yet (as of the last refresh).[/]")
    for comment in review.comments:
        who = escape(comment.author or "someone")
        if comment.kind == "review_comment" and comment.path:
            where = f"{comment.path}:{comment.line}" if comment.line else comment.path
            out.append(f"[b]{escape(where)}[/b] [dim]{who}[/dim]")
        elif comment.kind == "review":
            state = (comment.review_state or "").replace("_", " ").lower()
            out.append(f"[b]{who}[/b] [dim]review {escape(state)}[/dim]")
        else:
            out.append(f"[b]{who}[/b]")
        out.extend(f"  {escape(line)}" for line in _printable(comment.body).splitlines())
        out.append("")
    if review.comments:
        out.append("[dim]g: send the mission back with these comments as the feedback[/]")
    return "\n".join(out).rstrip()


def render_solution(review: Review) -> str:
    m = review.material.mission
    parts = []
    if m.solution and m.solution.strip():
        parts.append(_printable(m.solution))
    else:
        parts.append("*No solution yet (the agent writes it in the plan stage).*")
    if m.clarification and m.clarification.strip():
        parts.append("---\n\n## Clarification\n\n" + _printable(m.clarification))
    return "\n\n".join(parts)


def _task_preview(text: str, title: str) -> str:
    lines = text.strip().splitlines()
    if lines and title in lines[0]:
        lines = lines[1:]
    body = "\n".join(line.rstrip() for line in lines).strip()
    cut = len(body) > TASK_PREVIEW_CHARS or body.count("\n") >= TASK_PREVIEW_LINES
    body = "\n".join(body[:TASK_PREVIEW_CHARS].splitlines()[:TASK_PREVIEW_LINES])
    return body + ("\n…" if cut else "")


def render_tasks(review: Review) -> str:
    m = review.material.mission
    tasks: list[Any] = list(m.tasks or [])
    if not tasks:
        return "[dim]No tasks yet (the agent writes them in the plan stage).[/dim]"
    done = sum(1 for t in tasks if isinstance(t, dict) and t.get("done"))
    out = [f"[dim]{len(tasks)} tasks · {done} done[/dim]", ""]
    for number, task in enumerate(tasks, start=1):
        if isinstance(task, dict):
            title = str(task.get("title") or task.get("name") or f"Task {number}")
            text = str(task.get("text") or "")
            is_done = bool(task.get("done"))
        else:
            title, text, is_done = str(task), "", False
        if is_done:
            mark = "[$success]✓[/]"
        elif m.tasks_current and number == m.tasks_current:
            mark = "[$accent]▶[/]"
        else:
            mark = "[dim]·[/]"
        out.append(f"{mark} [b]{number}. {escape(_printable(title))}[/b]")
        preview = _task_preview(_printable(text), title)
        if preview:
            out.extend(f"    [dim]{escape(line)}[/dim]" for line in preview.splitlines())
        out.append("")
    return "\n".join(out).rstrip()


def diff_note(review: Review) -> str:
    diff = review.material.diff
    if diff is None:
        return "[dim]No worktree for this mission on this workstation: nothing to diff.[/dim]"
    if diff.error:
        return f"[$error]Cannot show the diff: {escape(_first_line(diff.error, 200))}[/]"
    if not diff.patch.strip():
        branch, target = escape(review.branch or "?"), escape(review.target)
        return f"[dim]No changes on {branch} against {target}.[/]"
    summary = _first_line(diff.stat.strip().splitlines()[-1]) if diff.stat.strip() else ""
    cut = " · [b $warning]cut at 200,000 characters[/]" if diff.truncated else ""
    return (
        f"[dim]{escape(review.branch or '?')} → {escape(review.target)}:[/] "
        f"{escape(summary.strip())}{cut} · [dim]] / \\[ step file by file[/dim]"
    )


def log_note(review: Review) -> str:
    if not review.log_path:
        return "[dim]No session of this mission ran on this workstation.[/dim]"
    if not review.material.log:
        return f"[dim]The session log {escape(Path(review.log_path).name)} is empty or gone.[/dim]"
    return f"[dim]The end of the newest session log ({escape(Path(review.log_path).name)})[/dim]"


class ReviewScreen(Screen[ReviewDecision | None]):
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS = [
        Binding("a", "approve", "Approve", id="review_approve"),
        Binding("x", "reject", "Reject", id="review_reject"),
        Binding("1", "show_tab('solution')", "Solution", show=False, id="review_solution"),
        Binding("2", "show_tab('tasks')", "Tasks", show=False, id="review_tasks"),
        Binding("3", "show_tab('diff')", "Diff", show=False, id="review_diff"),
        Binding("4", "show_tab('log')", "Log", show=False, id="review_log"),
        Binding(
            "right_square_bracket", "step_file(1)", "Next file", show=False, id="review_next_file"
        ),
        Binding(
            "left_square_bracket", "step_file(-1)", "Prev file", show=False, id="review_prev_file"
        ),
        Binding("5", "show_tab('pr')", "Pull request", show=False, id="review_pr"),
        Binding("g", "github_feedback", "GitHub feedback", id="review_github_feedback"),
        Binding("m", "merge_pr", "Merge PR", id="review_merge_pr"),
        Binding("tab", "step_tab(1)", "Next tab", show=False, id="review_next_tab"),
        Binding("shift+tab", "step_tab(-1)", "Previous tab", show=False, id="review_prev_tab"),
        Binding("escape,q", "close", "Close", id="review_close"),
    ]

    def __init__(self, data: BoardData, mission_id: str) -> None:
        super().__init__()
        self.data = data
        self.mission_id = mission_id
        self.review: Review | None = None
        self._tab_chosen = False
        """The user picked a tab while loading: the load does not pick one for them."""

    def compose(self) -> ComposeResult:
        yield Static("Loading what the agent produced…", id="review-head")
        with TabbedContent(id="review-tabs"):
            with (
                TabPane("1 Solution", id="solution"),
                VerticalScroll(id="review-solution-scroll"),
            ):
                yield Markdown("", id="review-solution")
            with TabPane("2 Tasks", id="tasks"), VerticalScroll(id="review-tasks-scroll"):
                yield Static("Loading…", id="review-tasks")
            with TabPane("3 Diff", id="diff"):
                yield Static("Loading…", id="review-diff-note", classes="review-note")
                with Horizontal(id="review-diff-body"):
                    yield OptionList(id="review-diff-files")
                    yield DiffView(id="review-diff")
            with TabPane("4 Log", id="log"):
                yield Static("Loading…", id="review-log-note", classes="review-note")
                yield SessionLogView(id="review-log", max_lines=5_000)
            with TabPane("5 PR", id="pr"), VerticalScroll(id="review-pr-scroll"):
                yield Static("Loading…", id="review-pr")
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    @work(exclusive=True, group="review")
    async def _load(self) -> None:
        with report_failure(self, show=self._show_failure) as failed:
            review = await self.data.review(self.mission_id)
        if failed:
            return
        self.review = review
        self.query_one("#review-head", Static).update(render_head(review))
        await self.query_one("#review-solution", Markdown).update(render_solution(review))
        self.query_one("#review-tasks", Static).update(render_tasks(review))
        self.query_one("#review-diff-note", Static).update(diff_note(review))
        diff = review.material.diff
        if diff is not None and not diff.error:
            view = self.query_one(DiffView)
            view.show(diff.stat, diff.patch, diff.truncated)
            files = self.query_one("#review-diff-files", OptionList)
            files.clear_options()
            files.add_options(
                [Option("All files"), *(Option(escape(path)) for _line, path in view.files)]
            )
            files.display = bool(view.files)
            files.border_title = f"{len(view.files)} files"
        self.query_one("#review-log-note", Static).update(log_note(review))
        self.query_one("#review-pr", Static).update(render_comments(review))
        log = review.material.log
        if log:
            self.query_one(SessionLogView).append_lines(log.removesuffix("\n").split("\n"))
        mission = review.material.mission
        changed = diff is not None and bool(diff.patch.strip())
        first = "diff" if changed and mission.stage not in ("clarify", "plan") else "solution"
        if not self._tab_chosen:
            self._show(first)

    def _show_failure(self, error: str) -> None:
        message = f"Cannot load the review: {error}"
        self.query_one("#review-head", Static).update(f"[$error]{escape(message)}[/]")
        for note in ("#review-tasks", "#review-diff-note", "#review-log-note", "#review-pr"):
            self.query_one(note, Static).update("")

    # --- tabs --------------------------------------------------------------------------------

    def _content(self, tab: str) -> str:
        return {
            "solution": "#review-solution-scroll",
            "tasks": "#review-tasks-scroll",
            "diff": "#review-diff",
            "log": "#review-log",
            "pr": "#review-pr-scroll",
        }[tab]

    def _show(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        self.query_one(self._content(tab)).focus()

    def action_show_tab(self, tab: str) -> None:
        self._tab_chosen = True
        self._show(tab)

    def action_step_tab(self, step: int) -> None:
        active = self.query_one(TabbedContent).active or TABS[0]
        self.action_show_tab(TABS[(TABS.index(active) + step) % len(TABS)])

    @on(TabbedContent.TabActivated)
    def _tab_clicked(self, event: TabbedContent.TabActivated) -> None:
        tab = event.pane.id
        if tab in TABS and not self.query_one(self._content(tab)).has_focus:
            self.query_one(self._content(tab)).focus()

    # --- the diff, file by file ------------------------------------------------------------

    def action_step_file(self, step: int) -> None:
        """``]``/``[``: the next or previous file of the diff alone; before the first file is
        the whole diff. From another tab the diff opens where it was."""
        view = self.query_one(DiffView)
        if self.query_one(TabbedContent).active != "diff":
            self.action_show_tab("diff")
            return
        if not view.files:
            self.app.bell()
            return
        current = view.file_shown
        target = (0 if step > 0 else None) if current is None else current + step
        if target is not None and target >= len(view.files):
            self.app.bell()
            return
        self._show_file(view, None if target is not None and target < 0 else target)

    def _show_file(self, view: DiffView, index: int | None) -> None:
        view.show_file(index)
        files = self.query_one("#review-diff-files", OptionList)
        files.highlighted = 0 if index is None else index + 1
        files.border_title = (
            f"{len(view.files)} files" if index is None else f"File {index + 1}/{len(view.files)}"
        )

    @on(OptionList.OptionSelected, "#review-diff-files")
    def _file_chosen(self, event: OptionList.OptionSelected) -> None:
        view = self.query_one(DiffView)
        self._show_file(view, None if event.option_index == 0 else event.option_index - 1)
        view.focus()

    # --- decisions ---------------------------------------------------------------------------

    def _reviewable(self, verb: str) -> Review | None:
        review = self.review
        if review is None:
            self.app.bell()
            return None
        if review.material.mission.list != "review":
            self.notify(f"Only missions in Review can be {verb}.", severity="warning")
            return None
        return review

    def action_approve(self) -> None:
        review = self._reviewable("approved")
        if review is not None:
            mission = review.material.mission
            self.dismiss(ReviewDecision(mission.id, mission.title))

    def action_reject(self) -> None:
        from solo_unicorn_tui.ui.dialogs.feedback import FeedbackScreen

        review = self._reviewable("rejected")
        if review is None:
            return
        mission = review.material.mission

        def given(feedback: str | None) -> None:
            if feedback:
                self.dismiss(ReviewDecision(mission.id, mission.title, feedback))

        self.app.push_screen(FeedbackScreen(mission.title), given)

    @work(exclusive=True, group="review-github")
    async def action_github_feedback(self) -> None:
        """Reject with the GitHub comments since the last review decision as the feedback."""
        review = self._reviewable("sent back")
        if review is None:
            return
        mission = review.material.mission
        with report_failure(self) as failed:
            feedback = await self.data.github_feedback(mission.id)
        if failed:
            return
        if feedback is None:
            self.notify(
                "No new GitHub review comments since the last decision (refresh runs every "
                "5 minutes, or 'solo-unicorn github refresh').",
                severity="warning",
            )
            return
        self.dismiss(ReviewDecision(mission.id, mission.title, feedback))

    @work(exclusive=True, group="review-github")
    async def action_merge_pr(self) -> None:
        review = self.review
        if review is None or review.pull_request is None:
            self.notify("This mission has no pull request to merge.", severity="warning")
            return
        with report_failure(self) as failed:
            merged = await self.data.merge_pull_request(review.material.mission.id)
        if failed:
            return
        self.notify(f"Pull request #{merged.github_pr_number} {merged.status}.")
        self._load()

    def action_close(self) -> None:
        self.dismiss(None)
