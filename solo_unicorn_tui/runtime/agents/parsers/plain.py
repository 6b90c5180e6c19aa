"""Plain text output (a ``command`` profile, any program): every non-empty line is text."""

from __future__ import annotations

from solo_unicorn_tui.runtime.agents.events import AgentEvent, AssistantText


class Parser:
    def feed(self, line: str) -> list[AgentEvent]:
        return [AssistantText(line)] if line.strip() else []

    def finish(self) -> list[AgentEvent]:
        return []
