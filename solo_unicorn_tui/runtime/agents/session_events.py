"""What the runner learns from one session's output, and the session's readable log.

:class:`SessionEvents` feeds every output line to the agent type's parser and keeps the result:
usage (cumulative reports replace, others add up), the agent's own session id, errors, rate
limits, its end-of-run record, the latest activity (for the card) and the readable lines. The
readable lines also go to ``sessions/{id}.readable.txt`` next to the raw log, which the views
show by default (the raw log stays one key away).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from solo_unicorn_tui.runtime.agents.events import (
    AgentError,
    AgentEvent,
    AgentSessionId,
    AssistantText,
    Finished,
    OutputParser,
    RateLimited,
    ToolCall,
    UsageReport,
    event_line,
)
from solo_unicorn_tui.runtime.agents.parsers import short
from solo_unicorn_tui.runtime.agents.rate_limits import rate_limit_in
from solo_unicorn_tui.runtime.usage import Usage

TAIL_LINES = 40


def readable_log_path(log_path: Path | str) -> Path:
    """The readable log that goes with a session's raw log (``X.log`` → ``X.readable.txt``)."""
    path = Path(log_path)
    return path.with_name(path.name.removesuffix(".log") + ".readable.txt")


def append_readable(log_path: Path | str, lines: Iterable[str]) -> None:
    text = "".join(line + "\n" for line in lines)
    if not text:
        return
    path = readable_log_path(log_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write(text)


class SessionEvents:
    def __init__(self, parser: OutputParser, log_path: Path | None = None) -> None:
        self.parser = parser
        self.usage = Usage()
        self.agent_session_id: str | None = None
        self.errors: list[str] = []
        self.rate_limited: RateLimited | None = None
        self.finished: Finished | None = None
        self.latest: str | None = None
        """A short text of the newest event worth showing (the card's live activity)."""
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)
        self._log: IO[str] | None = None
        if log_path is not None:
            path = readable_log_path(log_path)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            self._log = os.fdopen(fd, "a", encoding="utf-8")

    @property
    def failed(self) -> bool:
        """The agent itself said the run failed (whatever its exit code)."""
        return bool(self.errors) or (self.finished is not None and not self.finished.ok)

    @property
    def error(self) -> str | None:
        if self.errors:
            return self.errors[-1]
        if self.finished is not None and not self.finished.ok:
            return self.finished.summary or "the agent reported a failed run"
        return None

    def feed(self, lines: Iterable[str]) -> list[str]:
        """Parse output lines; returns the readable lines they make."""
        events: list[AgentEvent] = []
        for line in lines:
            events.extend(self.parser.feed(line))
        return self._take(events)

    def finish(self) -> list[str]:
        readable = self._take(self.parser.finish())
        if self._log is not None:
            self._log.close()
            self._log = None
        return readable

    def _take(self, events: list[AgentEvent]) -> list[str]:
        readable: list[str] = []
        for event in events:
            match event:
                case UsageReport():
                    self.usage = self.usage.add(event)
                case AgentSessionId(session_id=session_id):
                    self.agent_session_id = session_id
                case AgentError(message=message):
                    self.errors.append(message)
                    # claude and gemini report a provider's 429 as an error event.
                    if self.rate_limited is None:
                        self.rate_limited = rate_limit_in(message)
                case RateLimited():
                    self.rate_limited = event
                case Finished():
                    self.finished = event
            line = event_line(event)
            if line is None:
                continue
            if isinstance(event, AssistantText | ToolCall | AgentError | RateLimited):
                self.latest = short(line.lstrip("▸ "), 120)
            readable.extend(line.splitlines() or [""])
        if readable:
            self.tail.extend(readable)
            if self._log is not None:
                self._log.write("".join(f"{line}\n" for line in readable))
                self._log.flush()
        return readable
