"""The codex, opencode and aider parsers on output recorded from the real CLIs.

Recorded by ``python -m tests.agents.record_openai`` (codex 0.171.0, opencode 1.18.33, aider
0.86.2) against the stand-in; the figures the stand-in reported are in that script.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
    event_line,
)
from solo_unicorn_tui.runtime.agents.parsers import aider, codex, opencode
from solo_unicorn_tui.runtime.agents.rate_limits import parse_reset
from solo_unicorn_tui.runtime.agents.session_events import SessionEvents

RECORDINGS = Path(__file__).with_name("recordings")
NOW = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)


def replay(parser: codex.Parser | opencode.Parser | aider.Parser, name: str) -> list[AgentEvent]:
    events: list[AgentEvent] = []
    for line in (RECORDINGS / name).read_text(encoding="utf-8").splitlines():
        events += parser.feed(line)
    return events + parser.finish()


def of(kind: type, events: list[AgentEvent]) -> list:  # type: ignore[type-arg]
    return [e for e in events if isinstance(e, kind)]


def test_codex_turn_with_reasoning_tokens_counts_output_once():
    events = replay(codex.Parser(), "codex_commit.jsonl")
    # the stand-in: 1200 + 1500 input (200 cached), 300 + 40 output of which 120 reasoning
    assert of(UsageReport, events) == [
        UsageReport(input_tokens=2700, output_tokens=340, cached_input_tokens=200)
    ]
    thread = json.loads((RECORDINGS / "codex_commit.jsonl").read_text().splitlines()[1])
    assert of(AgentSessionId, events) == [AgentSessionId(thread["thread_id"])]
    calls = of(ToolCall, events)
    assert [(c.name, c.summary) for c in calls] == [
        (
            "shell",
            "printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m 'add hello'",
        )
    ]
    assert of(ToolResult, events) == [ToolResult(True, "", calls[0].call_id)]
    texts = [e.text for e in of(AssistantText, events)]
    assert texts == [
        "Thought for 120 tokens",
        "I will write hello.txt and commit it.",
        "Done: hello.txt is committed.",
    ]
    assert events[-1] == Finished(ok=True)
    assert not of(AgentError, events) and not of(RateLimited, events)
    lines = [event_line(e) for e in events]
    assert (
        "▸ shell printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m 'add hello'"
        in lines
    )


def test_codex_rate_limit_and_usage_limit_are_rate_limits():
    events = replay(codex.Parser(now=NOW), "codex_rate_limit.jsonl")
    (limit,) = of(RateLimited, events)
    assert "429 Too Many Requests" in limit.reason and limit.reset_at is None
    assert of(AgentError, events) and events[-1] == Finished(ok=False)

    events = replay(codex.Parser(now=NOW), "codex_usage_limit.jsonl")
    (limit,) = of(RateLimited, events)
    assert "usage limit" in limit.reason
    # "try again at H:MM AM" in the agent's local time: the next such time after NOW
    assert limit.reset_at is not None and NOW < limit.reset_at <= NOW + timedelta(days=1)
    assert limit.reset_at.minute == int(limit.reason.split("try again at ")[1].split(":")[1][:2])


def test_codex_failed_command_and_file_change():
    parser = codex.Parser()
    started = {"id": "i1", "type": "command_execution", "command": "/bin/bash -lc 'make test'"}
    assert parser.feed(json.dumps({"type": "item.started", "item": started})) == [
        ToolCall("shell", "make test", "i1")
    ]
    done = {**started, "exit_code": 2, "status": "failed"}
    assert parser.feed(json.dumps({"type": "item.completed", "item": done})) == [
        ToolResult(False, "make test (exit 2)", "i1")
    ]
    change = {"id": "i2", "type": "file_change", "status": "completed",
              "changes": [{"path": "src/a.py", "kind": "add"}]}  # fmt: skip
    assert parser.feed(json.dumps({"type": "item.completed", "item": change})) == [
        ToolCall("apply_patch", "add src/a.py", "i2"),
        ToolResult(True, "", "i2"),
    ]
    assert parser.feed("not json") == [] and parser.feed("{" + "x" * 200_000) == []


def test_opencode_tools_text_and_usage():
    events = replay(opencode.Parser(), "opencode_commit.jsonl")
    # stand-in: step 1 1000 in (100 cached) 60 out (20 reasoning); step 2 1100 in, 30 out
    assert of(UsageReport, events) == [
        UsageReport(input_tokens=1000, output_tokens=60, cached_input_tokens=100, cost_usd=0.0),
        UsageReport(input_tokens=1100, output_tokens=30, cached_input_tokens=0, cost_usd=0.0),
    ]
    session_events = SessionEvents(opencode.Parser(now=NOW))
    session_events.feed((RECORDINGS / "opencode_commit.jsonl").read_text().splitlines())
    usage = session_events.usage
    assert (usage.input_tokens, usage.output_tokens) == (2100, 90)
    (session,) = of(AgentSessionId, events)
    assert session.session_id.startswith("ses_")
    (call,) = of(ToolCall, events)
    assert (call.name, call.summary) == ("apply_patch", "add hello.txt")  # its shell is denied
    assert of(ToolResult, events) == [ToolResult(True, "", call.call_id)]
    assert [e.text for e in of(AssistantText, events)] == [
        "Writing hello.txt.",
        "Done: hello.txt is written.",
    ]


def test_opencode_rate_limit_error():
    events = replay(opencode.Parser(now=NOW), "opencode_rate_limit.jsonl")
    (limit,) = of(RateLimited, events)
    assert "Rate limit reached" in limit.reason
    assert limit.reset_at == NOW + timedelta(seconds=20)  # "Please try again in 20s."
    (error,) = of(AgentError, events)
    assert "HTTP 429" in error.message and events[-1] == Finished(ok=False)


def test_aider_edit_commit_usage_and_cost():
    events = replay(aider.Parser(), "aider_commit.txt")
    (usage,) = of(UsageReport, events)
    text = (RECORDINGS / "aider_commit.txt").read_text()
    sent = int(text.split("Tokens: ")[1].split(" sent")[0])
    assert usage == UsageReport(input_tokens=sent, output_tokens=14, cost_usd=0.0017)
    calls = of(ToolCall, events)
    assert [c.name for c in calls] == ["edit", "git commit"]
    assert calls[0].summary == "hello.txt"
    assert calls[1].summary.endswith("feat: apply the stand-in edit")
    said = [e.text for e in of(AssistantText, events)]
    assert "Here is the file." in said and "hello" not in said  # fenced body left out
    assert not any(s.startswith(("Aider v", "HTTPSConnectionPool")) for s in said)


def test_aider_rate_limit_read_across_wrapped_lines():
    events = replay(aider.Parser(now=NOW), "aider_rate_limit.txt")
    limits = of(RateLimited, events)
    assert limits and limits[0].reset_at == NOW + timedelta(seconds=20)
    assert "Rate limit reached for requests per min" in limits[0].reason
    assert not of(AgentError, events)


def test_aider_thousands_and_other_errors():
    parser = aider.Parser()
    line = "Tokens: 12k sent, 1.5k cache hit, 2.3k received. Cost: $0.12 message, $0.40 session."
    assert parser.feed(line) == [
        UsageReport(input_tokens=12000, output_tokens=2300, cached_input_tokens=1500, cost_usd=0.12)
    ]
    assert parser.feed("litellm.AuthenticationError: AuthenticationError: bad key") == []
    assert parser.finish() == [AgentError("AuthenticationError: AuthenticationError: bad key")]


def test_reset_times():
    assert parse_reset("try again in 1m30s", NOW) == NOW + timedelta(seconds=90)
    assert parse_reset("resets in 2 hours 5 minutes", NOW) == NOW + timedelta(hours=2, minutes=5)
    assert parse_reset("try again at 2026-12-02T07:00:00Z", NOW) == NOW + timedelta(hours=2)
    assert parse_reset("usage limit reached, try again at 4:30 AM", NOW, tz_name="UTC") == (
        NOW + timedelta(hours=23, minutes=30)
    )
    assert parse_reset("try again later", NOW) is None
