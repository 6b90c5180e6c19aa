"""The welcome board: shown instead of the columns while the replica has never held a mission.

It says what the board is and walks a newcomer through the three steps to a first run (link a
repository, pick an agent, add a mission), ticking each one off as this machine gets there,
and points at ``solo-unicorn demo`` for a tour on sample data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from textual.containers import VerticalScroll
from textual.widgets import Static

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from solo_unicorn_tui.ui.board_data import WelcomeState

DONE, TODO = "[green]✓[/]", "[bold $accent]○[/]"


def welcome_text(state: WelcomeState | None) -> str:
    """The welcome board's text for ``state`` (None: still reading it)."""
    lines = [
        "[bold]Welcome to Solo Unicorn[/] — a kanban board where code agents (Claude Code, "
        "Codex, Aider, Gemini CLI, OpenCode or any command) work your missions, each in its "
        "own git worktree, while you triage and review.",
        "",
        "[bold]Three steps to a first run[/]",
        "",
    ]
    repos = state.repositories if state else []
    if repos:
        lines.append(f"{DONE} 1. Repository linked: {escape(', '.join(repos))}")
    else:
        lines += [
            f"{TODO} 1. Link a repository (in another terminal):",
            "      [b]solo-unicorn repo add PATH[/]   (a git checkout on this machine)",
        ]
    lines.append("")
    if state is None or not state.agents_known:
        lines.append(f"{TODO} 2. Pick an agent — looking for agent CLIs on this machine…")
    elif state.agents_error:
        lines.append(f"{TODO} 2. Pick an agent — {escape(state.agents_error)}")
    elif state.agents:
        found = ", ".join(
            f"[b]{escape(name)}[/]" + (" (default)" if name == state.default_agent else "")
            for name, _path in state.agents
        )
        lines.append(f"{DONE} 2. Agent found: {found}")
        lines.append(
            "      another default: [b]solo-unicorn agent add NAME --default -- PROGRAM …[/]"
        )
    else:
        lines += [
            f"{TODO} 2. Pick an agent — no agent CLI found on PATH (claude, codex, aider, "
            "gemini, opencode). Install one, or use any program:",
            "      [b]solo-unicorn agent add NAME --default -- PROGRAM ARG…[/]",
        ]
    lines += [
        "",
        f"{TODO} 3. Add a mission: press [b]n[/], then [b]r[/] on its card runs the agent "
        "(or [b]D[/] lets the dispatcher run ready missions).",
        "",
        "[dim]Just looking? Quit ([b]q[/]) and run [b]solo-unicorn demo[/]: sample missions on a "
        "throwaway board that never touches yours. [b]?[/] lists every key.[/]",
    ]
    return "\n".join(lines)


class WelcomePanel(VerticalScroll):
    DEFAULT_CSS = """
    WelcomePanel { display: none; height: 1fr; padding: 1 2; }
    WelcomePanel.-shown { display: block; }
    WelcomePanel #welcome-text { width: 1fr; max-width: 100; }
    """

    def compose(self) -> ComposeResult:
        yield Static(welcome_text(None), id="welcome-text")

    def show(self, state: WelcomeState) -> None:
        self.query_one("#welcome-text", Static).update(welcome_text(state))
