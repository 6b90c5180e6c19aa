"""Plain text output (a ``command`` profile, any program): every non-empty line is text, and a
line that reports an HTTP 429 or a usage limit as an error is also a rate limit."""

from __future__ import annotations

from solo_unicorn_tui.runtime.agents.events import AgentEvent, AssistantText
from solo_unicorn_tui.runtime.agents.rate_limits import plain_rate_limit


class Parser:
    def feed(self, line: str) -> list[AgentEvent]:
        if not line.strip():
            return []
        limit = plain_rate_limit(line)
        return [AssistantText(line), limit] if limit is not None else [AssistantText(line)]

    def finish(self) -> list[AgentEvent]:
        return []
