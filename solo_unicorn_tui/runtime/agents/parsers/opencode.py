"""``opencode run --format json``: one JSON event per line, each with a ``part``.

``step_start``; ``text`` (``part.text``); ``tool_use`` (``part.tool``, ``part.state.status``
``completed``/``error``, ``part.state.input``, ``part.state.output``/``error``); ``step_finish``
with the step's ``tokens`` and ``cost``; ``error`` (``error.data.message``, ``statusCode``,
``responseHeaders``) when the run fails. ``sessionID`` on every line is opencode's session id
(``opencode run --session ID``).

Tokens, as 1.18.33 reports them: ``input`` excludes cache reads and writes, ``output`` excludes
``reasoning``; the wire totals are ``input + cache.read + cache.write`` and ``output +
reasoning``, and that is what is reported. Each step's figures add up.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from solo_unicorn_tui.runtime.agents.events import (
    AgentError,
    AgentEvent,
    AgentSessionId,
    AssistantText,
    Finished,
    RateLimited,
    ToolCall,
    ToolResult,
    UsageReport,
)
from solo_unicorn_tui.runtime.agents.parsers import (
    as_int,
    field_dict,
    json_object,
    our_tool_name,
    short,
)
from solo_unicorn_tui.runtime.agents.rate_limits import rate_limit_in, reset_from_headers

#: The argument worth a line, per opencode tool.
_TOOL_ARGUMENT = {
    "bash": "command",
    "write": "filePath",
    "edit": "filePath",
    "read": "filePath",
    "patch": "filePath",
    "glob": "pattern",
    "grep": "pattern",
    "list": "path",
    "webfetch": "url",
    "task": "description",
}


_PATCH_OPERATIONS = {
    "*** Add File: ": "add",
    "*** Update File: ": "update",
    "*** Delete File: ": "delete",
}


def patch_summary(patch: str) -> str:
    """``add a.py, update b.py`` from an ``apply_patch`` envelope (GPT-5 models edit with it)."""
    done = []
    for line in patch.splitlines():
        for header, verb in _PATCH_OPERATIONS.items():
            if line.startswith(header):
                done.append(f"{verb} {line[len(header) :].strip()}")
    return ", ".join(done)


def tool_summary(tool: str, given: Any) -> str:
    if not isinstance(given, dict):
        return ""
    if tool == "apply_patch" and isinstance(given.get("patchText"), str):
        found = patch_summary(given["patchText"])
        if found:
            return short(found)
    key = _TOOL_ARGUMENT.get(tool)
    value = given.get(key) if key else None
    if value is None:
        value = next((v for v in given.values() if isinstance(v, str)), "")
    return short(str(value))


def _sum(*values: int | None) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


class Parser:
    def __init__(self, now: datetime | None = None) -> None:
        self._now = now
        self._session: str | None = None

    def feed(self, line: str) -> list[AgentEvent]:
        data = json_object(line)
        if data is None:
            return []
        events: list[AgentEvent] = []
        session = data.get("sessionID")
        if isinstance(session, str) and session != self._session:
            self._session = session
            events.append(AgentSessionId(session))
        part = field_dict(data, "part")
        kind = data.get("type")
        if kind == "text":
            text = str(part.get("text") or "").strip()
            if text:
                events.append(AssistantText(text))
        elif kind == "tool_use":
            events += self._tool(part)
        elif kind == "step_finish":
            events.append(self._usage(part))
        elif kind == "error":
            events += self._error(data.get("error"))
        return events

    def _tool(self, part: dict[str, Any]) -> list[AgentEvent]:
        tool = str(part.get("tool") or "tool")
        state = field_dict(part, "state")
        call_id = part.get("callID") if isinstance(part.get("callID"), str) else None
        call = ToolCall(
            our_tool_name(tool, "{server}_"), tool_summary(tool, state.get("input")), call_id
        )
        status = state.get("status")
        if status == "completed":
            return [call, ToolResult(True, "", call_id)]
        if status == "error":
            return [call, ToolResult(False, short(str(state.get("error") or "failed")), call_id)]
        return [call]

    @staticmethod
    def _usage(part: dict[str, Any]) -> UsageReport:
        tokens = field_dict(part, "tokens")
        cache = field_dict(tokens, "cache")
        read, write = as_int(cache.get("read")), as_int(cache.get("write"))
        cost = part.get("cost")
        return UsageReport(
            input_tokens=_sum(as_int(tokens.get("input")), read, write),
            output_tokens=_sum(as_int(tokens.get("output")), as_int(tokens.get("reasoning"))),
            cached_input_tokens=read,
            cost_usd=float(cost) if isinstance(cost, int | float) else None,
        )

    def _error(self, error: Any) -> list[AgentEvent]:
        error = error if isinstance(error, dict) else {}
        detail = field_dict(error, "data")
        message = str(detail.get("message") or error.get("name") or "opencode failed")
        status = as_int(detail.get("statusCode"))
        events: list[AgentEvent] = []
        now = self._now or datetime.now(UTC)
        limit = rate_limit_in(message if status != 429 else f"429 {message}", now)
        if limit is not None:
            headers = detail.get("responseHeaders")
            reset = reset_from_headers(headers, now) if isinstance(headers, dict) else None
            events.append(RateLimited(limit.reason, limit.reset_at or reset))
        shown = f"{message} (HTTP {status})" if status else message
        return [*events, AgentError(short(shown, 500)), Finished(ok=False)]

    def finish(self) -> list[AgentEvent]:
        return []
