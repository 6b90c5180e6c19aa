"""Gemini CLI ``--output-format stream-json`` (verified with 0.61.0).

Lines: ``init`` (session id, model), ``message`` (``role`` user — the prompt echoed, skipped —
or assistant, streamed in ``delta`` pieces that are joined into one text), ``tool_use``
(``tool_name``, ``tool_id``, ``parameters``), ``tool_result`` (``status``, ``error``) and a final
``result`` (``status``, ``error``, ``stats``: cumulative token counts of every model the run
used, its router included). Plain lines are its warnings; a retry warning about a 429 or an
exhausted quota is a rate limit.
"""

from __future__ import annotations

import re
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
    json_object,
    our_tool_name,
    short,
    tool_summary,
)
from solo_unicorn_tui.runtime.agents.rate_limits import rate_limit_in, structured_rate_limit


def _message(error: Any) -> str:
    if isinstance(error, dict):
        return str(error.get("message") or error.get("type") or error)
    return str(error or "")


def _limit(error: Any, message: str) -> list[AgentEvent]:
    """A 429 / ``RESOURCE_EXHAUSTED`` in a gemini error (its code, status or details)."""
    if not isinstance(error, dict):
        return []
    fields = (error.get("code"), error.get("status"), error.get("type"), error.get("details"))
    limit = structured_rate_limit(message, *fields)
    return [limit] if limit is not None else []


#: Gemini CLI's retry warning (on stderr): ``Attempt 1 failed: MESSAGE. Retrying after 5702ms...``
#: (the message may run onto more lines, e.g. ``Suggested retry after 1s.``) or ``Attempt 1
#: failed with status 429. Retrying with backoff...``.
_RETRY = re.compile(r"^Attempt \d+ failed\b")
_RETRY_END = re.compile(r"Retrying (?:after|with)\b")
#: Lines of one retry warning at most (its message plus the suggested delay).
_RETRY_LINES = 4


class Parser:
    def __init__(self) -> None:
        self._text: list[str] = []
        self._retry: list[str] = []
        """A retry warning read so far (it ends at its ``Retrying …`` line)."""

    def _retry_line(self, line: str) -> list[AgentEvent] | None:
        """Events of a line of a retry warning, or None when the line is not one. Its own
        retries of a 429 would take minutes: a rate limit is reported at once."""
        if not self._retry and not _RETRY.match(line):
            return None
        self._retry.append(line)
        if not _RETRY_END.search(line) and len(self._retry) < _RETRY_LINES:
            return []
        return self._end_retry()

    def _end_retry(self) -> list[AgentEvent]:
        text, self._retry = " ".join(self._retry), []
        if not text:
            return []
        limit = rate_limit_in(text)
        return [limit] if limit is not None else [AssistantText(text)]

    def _flush_text(self) -> list[AgentEvent]:
        text, self._text = "".join(self._text), []
        return [AssistantText(text)] if text.strip() else []

    def feed(self, line: str) -> list[AgentEvent]:
        data = json_object(line)
        if data is None:
            retry = self._retry_line(line)
            if retry is not None:
                return [*self._flush_text(), *retry]
            return [*self._flush_text(), AssistantText(line)] if line.strip() else []
        kind = data.get("type")
        if kind == "message":
            if data.get("role") == "assistant":
                self._text.append(str(data.get("content") or ""))
                if not data.get("delta"):
                    return self._flush_text()
            return []
        events = [*self._flush_text(), *self._end_retry()]
        if kind == "init":
            session = data.get("session_id")
            if isinstance(session, str) and session:
                events.append(AgentSessionId(session))
        elif kind == "tool_use":
            events.append(
                ToolCall(
                    name=our_tool_name(str(data.get("tool_name", "tool")), "mcp_{server}_"),
                    summary=tool_summary(data.get("parameters")),
                    call_id=data.get("tool_id"),
                )
            )
        elif kind == "tool_result":
            ok = data.get("status") == "success"
            events.append(
                ToolResult(
                    ok=ok,
                    summary="" if ok else short(_message(data.get("error")) or "failed"),
                    call_id=data.get("tool_id"),
                )
            )
        elif kind == "error":
            message = short(_message(data.get("message") or data.get("error")))
            if data.get("severity") in (None, "error"):
                events.append(AgentError(message))
                events.extend(_limit(data.get("error") or data, message))
            else:
                events.append(AssistantText(f"{data.get('severity')}: {message}"))
        elif kind == "result":
            events.extend(self._result(data))
        return events

    def finish(self) -> list[AgentEvent]:
        return [*self._flush_text(), *self._end_retry()]

    def _result(self, data: dict[str, Any]) -> list[AgentEvent]:
        events: list[AgentEvent] = []
        stats = data.get("stats")
        if isinstance(stats, dict):
            events.append(
                UsageReport(
                    input_tokens=as_int(stats.get("input_tokens")),
                    output_tokens=as_int(stats.get("output_tokens")),
                    cached_input_tokens=as_int(stats.get("cached")),
                    cumulative=True,
                )
            )
        ok = data.get("status") == "success"
        if not ok:
            message = _message(data.get("error"))
            events.append(AgentError(short(message or "gemini failed")))
            events.extend(_limit(data.get("error"), message))
        events.append(Finished(ok=ok))
        return events
