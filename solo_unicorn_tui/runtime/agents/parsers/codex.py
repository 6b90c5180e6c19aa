"""``codex exec --json``: one JSON event per line.

``thread.started`` carries the thread id (resumable with ``codex exec resume ID``);
``item.started``/``item.completed`` carry items — ``command_execution`` (command, exit code),
``file_change`` (changes with path and kind), ``agent_message`` and ``reasoning`` (text),
``mcp_tool_call``, ``web_search``, ``todo_list``, ``error`` (a warning: the turn goes on);
``turn.completed`` the turn's usage; ``turn.failed`` and top-level ``error`` a failure.

Usage: ``output_tokens`` already includes ``reasoning_output_tokens`` (verified with 0.171.0
against a stand-in reporting both), so it is taken alone; ``input_tokens`` includes
``cached_input_tokens``. Each turn reports its own figures, which add up.
"""

from __future__ import annotations

import shlex
from datetime import UTC, datetime
from typing import Any

from solo_unicorn_tui.runtime.agents.events import (
    AgentError,
    AgentEvent,
    AgentSessionId,
    AssistantText,
    Finished,
    ToolCall,
    ToolResult,
    UsageReport,
)
from solo_unicorn_tui.runtime.agents.parsers import (
    as_int,
    field_dict,
    field_list,
    json_object,
    short,
)
from solo_unicorn_tui.runtime.agents.rate_limits import rate_limit_in


def command_text(command: Any) -> str:
    """The command as the model wrote it: ``/bin/bash -lc "X"`` → ``X``."""
    if isinstance(command, list):
        command = shlex.join(str(c) for c in command)
    text = str(command or "")
    try:
        words = shlex.split(text)
    except ValueError:
        return text
    if len(words) == 3 and words[0].endswith("sh") and words[1] in ("-c", "-lc"):
        return words[2]
    return text


class Parser:
    def __init__(self, now: datetime | None = None) -> None:
        self._now = now
        self._started: set[str] = set()

    def _time(self) -> datetime:
        return self._now or datetime.now(UTC)

    def feed(self, line: str) -> list[AgentEvent]:
        data = json_object(line)
        if data is None:
            return []
        kind = data.get("type")
        if kind == "thread.started" and isinstance(data.get("thread_id"), str):
            return [AgentSessionId(data["thread_id"])]
        if kind in ("item.started", "item.completed") and isinstance(data.get("item"), dict):
            return self._item(data["item"], done=kind == "item.completed")
        if kind == "turn.completed":
            usage = field_dict(data, "usage")
            return [
                UsageReport(
                    input_tokens=as_int(usage.get("input_tokens")),
                    output_tokens=as_int(usage.get("output_tokens")),
                    cached_input_tokens=as_int(usage.get("cached_input_tokens")),
                ),
                Finished(ok=True),
            ]
        if kind == "turn.failed":
            error = field_dict(data, "error")
            message = str(error.get("message") or "the turn failed")
            return [*self._limit(message), AgentError(short(message, 500)), Finished(ok=False)]
        # A top-level "error" (a retry notice, or the message a turn.failed repeats) adds nothing.
        return []

    def _limit(self, message: str) -> list[AgentEvent]:
        limit = rate_limit_in(message, self._time())
        return [limit] if limit else []

    def _item(self, item: dict[str, Any], *, done: bool) -> list[AgentEvent]:
        kind = item.get("type")
        item_id = item.get("id") if isinstance(item.get("id"), str) else None
        if kind == "command_execution":
            command = short(command_text(item.get("command")))
            if not done:
                return [ToolCall("shell", command, item_id)]
            code = as_int(item.get("exit_code"))
            ok = code == 0 and item.get("status") != "failed"
            detail = f"exit {code}" if code is not None else str(item.get("status") or "")
            return [ToolResult(ok, f"{command} ({detail})" if not ok else "", item_id)]
        if kind == "file_change":
            changes = field_list(item, "changes")
            paths = [
                f"{c.get('kind', 'update')} {c.get('path')}"
                for c in changes
                if isinstance(c, dict) and c.get("path")
            ]
            call = ToolCall("apply_patch", short(", ".join(paths) or "files"), item_id)
            if not done:
                if item_id:
                    self._started.add(item_id)
                return [call]
            result = ToolResult(item.get("status") != "failed", "", item_id)
            return [result] if item_id in self._started else [call, result]
        if kind == "mcp_tool_call" and not done:
            name = f"{item.get('server', 'mcp')}.{item.get('tool', '?')}"
            return [ToolCall(name, short(str(item.get("arguments") or "")), item_id)]
        if kind == "mcp_tool_call":
            return [ToolResult(item.get("status") != "failed", "", item_id)]
        if kind == "web_search" and done:
            return [ToolCall("web_search", short(str(item.get("query") or "")), item_id)]
        if kind in ("agent_message", "reasoning") and done:
            text = str(item.get("text") or "").strip()
            return [AssistantText(text)] if text else []
        if kind == "error" and done:
            message = str(item.get("message") or "")
            return [AssistantText(f"warning: {short(message, 300)}")] if message else []
        return []

    def finish(self) -> list[AgentEvent]:
        return []
