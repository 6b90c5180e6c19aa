"""One event model for every agent CLI.

Each CLI prints its activity in its own format (Claude Code stream-json, Codex ``--json``,
Gemini stream-json, opencode ``--format json``, aider's text). A parser per CLI turns those
lines into the typed events below; the runner records usage, errors, rate limits and the
agent's own session id from them, and every view renders them with :func:`event_line`. The raw
output stays in the session log on disk, one key away.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class AssistantText:
    """Text the agent addressed to the person (its reasoning summary, its answer)."""

    text: str


@dataclass(frozen=True)
class ToolCall:
    """The agent used a tool: ``name`` as the CLI names it, ``summary`` the one thing a person
    wants to see (the file written, the command run), already short."""

    name: str
    summary: str
    call_id: str | None = None


@dataclass(frozen=True)
class ToolResult:
    ok: bool
    summary: str = ""
    call_id: str | None = None


@dataclass(frozen=True)
class AgentError:
    """The agent reported a failure (an error event, a failed turn, ``is_error``)."""

    message: str


@dataclass(frozen=True)
class UsageReport:
    """Tokens and cost. ``cumulative`` totals replace what came before; otherwise they add up.

    ``output_tokens`` never counts reasoning tokens twice: a parser whose CLI already folds
    them into its output figure reports that figure alone.
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_input_tokens: int | None = None
    cost_usd: float | None = None
    cumulative: bool = False


@dataclass(frozen=True)
class AgentSessionId:
    """The CLI's own conversation id, for resuming it later (``claude --resume ID``)."""

    session_id: str


@dataclass(frozen=True)
class RateLimited:
    """The provider refused for a usage or rate limit; ``reset_at`` when it said when."""

    reason: str
    reset_at: datetime | None = None


@dataclass(frozen=True)
class Finished:
    """The CLI's own end-of-run record (claude ``result``, codex ``turn.completed``…)."""

    ok: bool
    summary: str = ""


AgentEvent = (
    AssistantText
    | ToolCall
    | ToolResult
    | AgentError
    | UsageReport
    | AgentSessionId
    | RateLimited
    | Finished
)


class OutputParser(Protocol):
    """Fed every output line of one session in order; returns the events each line carries."""

    def feed(self, line: str) -> list[AgentEvent]: ...

    def finish(self) -> list[AgentEvent]:
        """Events that only the end of the output completes (a trailing usage line…)."""
        ...


def event_line(event: AgentEvent) -> str | None:
    """The one readable line a view shows for an event (None: nothing worth a line)."""
    match event:
        case AssistantText(text=text):
            return text.strip() or None
        case ToolCall(name=name, summary=summary):
            return f"▸ {name} {summary}".rstrip()
        case ToolResult(ok=ok, summary=summary):
            mark = "✓" if ok else "✗"
            return f"  {mark} {summary}".rstrip() if summary or not ok else None
        case AgentError(message=message):
            return f"error: {message}"
        case RateLimited(reason=reason, reset_at=reset_at):
            until = f" until {reset_at:%Y-%m-%d %H:%M} UTC" if reset_at else ""
            return f"rate limited{until}: {reason}"
        case Finished(ok=ok, summary=summary):
            return f"{'finished' if ok else 'failed'}{': ' + summary if summary else ''}"
        case _:
            return None
