"""Claude Code ``--output-format stream-json --verbose`` (verified with 2.1.197).

Lines: ``system``/``init`` (session id) and ``system``/``api_retry`` (a provider error it
retries: a 429 is a rate limit), ``assistant`` (text and ``tool_use`` blocks), ``user``
(``tool_result`` blocks), and a final ``result`` with the run's totals: ``usage`` (input, cache
creation, cache read, output tokens) and ``total_cost_usd``, ``is_error``,
``permission_denials``. The totals are cumulative; per-message usage in ``assistant`` lines is
ignored so nothing is counted twice.
"""

from __future__ import annotations

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
from solo_unicorn_tui.runtime.agents.parsers import as_int, json_object, short, tool_summary
from solo_unicorn_tui.runtime.agents.rate_limits import structured_rate_limit


def _result_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(part.get("text", "")) for part in content if isinstance(part, dict)
        ).strip()
    return ""


def usage_report(data: dict[str, Any]) -> UsageReport | None:
    usage = data.get("usage")
    cost = data.get("total_cost_usd")
    if not isinstance(usage, dict) and not isinstance(cost, int | float):
        return None
    tokens = usage if isinstance(usage, dict) else {}
    fresh = as_int(tokens.get("input_tokens"))
    created = as_int(tokens.get("cache_creation_input_tokens")) or 0
    read = as_int(tokens.get("cache_read_input_tokens"))
    return UsageReport(
        input_tokens=None
        if fresh is None and read is None
        else (fresh or 0) + created + (read or 0),
        output_tokens=as_int(tokens.get("output_tokens")),
        cached_input_tokens=read,
        cost_usd=float(cost) if isinstance(cost, int | float) else None,
        cumulative=True,
    )


def tool_name(name: str) -> str:
    """``mcp__SERVER__TOOL`` (claude's name for an MCP tool) as ``SERVER.TOOL``, like codex's."""
    if name.startswith("mcp__"):
        server, sep, tool = name[len("mcp__") :].partition("__")
        if sep and server and tool:
            return f"{server}.{tool}"
    return name


def _retry_limit(data: dict[str, Any]) -> list[AgentEvent]:
    """Claude Code retrying a provider 429 (``system``/``api_retry``, ``error_status`` 429,
    ``error`` ``rate_limit``): it would go on for minutes (10 retries), so it is a rate limit at
    once. Other retried errors (500, 529 overloaded) are not."""
    status, error = data.get("error_status"), data.get("error")
    text = f"API error {status} ({error}), retry {data.get('attempt')} of {data.get('max_retries')}"
    limit = structured_rate_limit(text) if status == 429 or error == "rate_limit" else None
    return [limit] if limit is not None else []


class Parser:
    def feed(self, line: str) -> list[AgentEvent]:
        data = json_object(line)
        if data is None:
            return [AssistantText(line)] if line.strip() else []
        kind = data.get("type")
        if kind == "system":
            session = data.get("session_id")
            events: list[AgentEvent] = []
            if isinstance(session, str) and session:
                events.append(AgentSessionId(session))
            if data.get("subtype") == "api_retry":
                events.extend(_retry_limit(data))
            return events
        if kind == "assistant":
            return self._assistant(data)
        if kind == "user":
            return self._tool_results(data)
        if kind == "result":
            return self._result(data)
        return []

    def finish(self) -> list[AgentEvent]:
        return []

    def _assistant(self, data: dict[str, Any]) -> list[AgentEvent]:
        message = data.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        events: list[AgentEvent] = []
        if data.get("error") or data.get("isApiErrorMessage"):
            # an API error shown as the assistant's text ("API Error: 429 {…rate_limit_error…}")
            text = " ".join(
                str(b.get("text", "")) for b in content or [] if isinstance(b, dict)
            ).strip()
            limit = structured_rate_limit(text, data.get("error"))
            if limit is not None:
                return [AgentError(short(text or str(data.get("error")))), limit]
        for block in content if isinstance(content, list) else []:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "text" and str(block.get("text", "")).strip():
                events.append(AssistantText(str(block["text"])))
            elif block.get("type") == "tool_use":
                events.append(
                    ToolCall(
                        name=tool_name(str(block.get("name", "tool"))),
                        summary=tool_summary(block.get("input")),
                        call_id=block.get("id"),
                    )
                )
        return events

    def _tool_results(self, data: dict[str, Any]) -> list[AgentEvent]:
        message = data.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        events: list[AgentEvent] = []
        for block in content if isinstance(content, list) else []:
            if isinstance(block, dict) and block.get("type") == "tool_result":
                failed = bool(block.get("is_error"))
                events.append(
                    ToolResult(
                        ok=not failed,
                        summary=short(_result_text(block.get("content"))) if failed else "",
                        call_id=block.get("tool_use_id"),
                    )
                )
        return events

    def _result(self, data: dict[str, Any]) -> list[AgentEvent]:
        events: list[AgentEvent] = []
        session = data.get("session_id")
        if isinstance(session, str) and session:
            events.append(AgentSessionId(session))
        usage = usage_report(data)
        if usage is not None:
            events.append(usage)
        for denial in data.get("permission_denials") or []:
            if isinstance(denial, dict):
                what = tool_summary(denial.get("tool_input"))
                events.append(
                    ToolResult(
                        ok=False,
                        summary=short(f"permission denied: {denial.get('tool_name')} {what}"),
                        call_id=denial.get("tool_use_id"),
                    )
                )
        text = str(data.get("result") or "")
        failed = bool(data.get("is_error")) or data.get("subtype") not in (None, "success")
        if failed:
            errors = data.get("errors")
            detail = text or ("; ".join(str(e) for e in errors) if isinstance(errors, list) else "")
            events.append(AgentError(short(detail or f"claude ended with {data.get('subtype')}")))
            limit = structured_rate_limit(detail, data.get("api_error_status"))
            if limit is not None:
                events.append(limit)
        events.append(Finished(ok=not failed, summary=short(text)))
        return events
