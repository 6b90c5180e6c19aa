"""The claude and gemini parsers on output recorded from the real CLIs (claude 2.1.197, gemini
0.61.0) against the model stand-in (tests/agents/recordings), read the way the runner reads it:
raw bytes through the process's line splitter, so a claude result line over 64 KiB arrives whole.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from solo_unicorn_tui.runtime.agent_process import READ_CHUNK, LineSplitter
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
from solo_unicorn_tui.runtime.agents.parsers import parser_for, tool_summary
from solo_unicorn_tui.runtime.agents.parsers.plain import Parser as PlainParser
from solo_unicorn_tui.runtime.agents.session_events import SessionEvents, readable_log_path

RECORDINGS = Path(__file__).parent / "recordings"


def _lines(name: str) -> list[str]:
    raw = (RECORDINGS / name).read_bytes()
    splitter = LineSplitter()
    pieces: list[bytes] = []
    for start in range(0, len(raw), READ_CHUNK):
        pieces.extend(splitter.feed(raw[start : start + READ_CHUNK]))
    pieces.extend(splitter.flush())
    return [p.decode("utf-8") for p in pieces]


def _events(agent_type: str, name: str) -> list[AgentEvent]:
    parser = parser_for(agent_type)
    events: list[AgentEvent] = []
    for line in _lines(name):
        events.extend(parser.feed(line))
    return events + parser.finish()


def test_claude_commit_run() -> None:
    events = _events("claude", "claude_commit.jsonl")
    session = next(e for e in events if isinstance(e, AgentSessionId)).session_id
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert [(c.name, c.summary) for c in calls] == [
        ("Write", "/tmp/ac/repo/hello.txt"),
        ("Bash", "git add hello.txt"),
        ("Bash", "git commit -m 'add hello'"),
    ]
    results = [e for e in events if isinstance(e, ToolResult)]
    assert [r.ok for r in results] == [True, True, True]
    assert [r.call_id for r in results] == [c.call_id for c in calls]
    texts = [e.text for e in events if isinstance(e, AssistantText)]
    assert texts == ["I will write the file.", "All done."]
    (usage,) = [e for e in events if isinstance(e, UsageReport)]
    assert usage == UsageReport(
        input_tokens=490 + 50,
        output_tokens=70,
        cached_input_tokens=50,
        cost_usd=0.004225,
        cumulative=True,
    )
    assert events[-1] == Finished(ok=True, summary="All done.")
    assert all(e.session_id == session for e in events if isinstance(e, AgentSessionId))
    assert [event_line(c) for c in calls][2] == "▸ Bash git commit -m 'add hello'"


def test_claude_result_line_over_64_kib_is_parsed() -> None:
    lines = _lines("claude_big_result.jsonl")
    assert max(len(line.encode()) for line in lines) > 64 * 1024
    events = _events("claude", "claude_big_result.jsonl")
    (usage,) = [e for e in events if isinstance(e, UsageReport)]
    assert (usage.input_tokens, usage.output_tokens) == (10, 20000)
    finished = events[-1]
    assert isinstance(finished, Finished) and finished.ok
    assert finished.summary.startswith("xxx") and len(finished.summary) <= 160
    assert any(isinstance(e, AssistantText) and e.text.endswith(" end") for e in events)


def test_claude_is_error_fails_even_with_exit_status_in_the_result() -> None:
    events = _events("claude", "claude_error.jsonl")
    errors = [e for e in events if isinstance(e, AgentError)]
    assert len(errors) == 1 and "Prompt is too long" in errors[0].message
    assert events[-1].ok is False  # type: ignore[union-attr]
    collected = SessionEvents(parser_for("claude"))
    collected.feed(_lines("claude_error.jsonl"))
    assert collected.failed and "Prompt is too long" in (collected.error or "")


def test_claude_permission_denial_is_a_failed_tool_result() -> None:
    events = _events("claude", "claude_denied.jsonl")
    denied = [e for e in events if isinstance(e, ToolResult) and not e.ok]
    # the tool's own refusal, then the run's record of the denial
    assert "was blocked" in denied[0].summary
    assert denied[-1].summary == "permission denied: Bash rm -rf build"


def test_claude_resume_keeps_the_session_id() -> None:
    first = next(
        e for e in _events("claude", "claude_commit.jsonl") if isinstance(e, AgentSessionId)
    )
    again = next(
        e for e in _events("claude", "claude_resume.jsonl") if isinstance(e, AgentSessionId)
    )
    assert first == again


def test_gemini_edit_run() -> None:
    # Recorded in --approval-mode auto_edit (python -m tests.agents.record_gemini): the file
    # tools run without a prompt; there is no shell tool.
    events = _events("gemini", "gemini_edit.jsonl")
    assert isinstance(events[0], AgentSessionId)
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert [(c.name, c.summary) for c in calls] == [
        ("write_file", "hello.txt"),
        ("replace", "hello.txt"),
    ]
    assert [e.ok for e in events if isinstance(e, ToolResult)] == [True, True]
    texts = [e.text for e in events if isinstance(e, AssistantText)]
    assert texts == ["I will write the file.", "All done."]  # the echoed prompt is not text
    (usage,) = [e for e in events if isinstance(e, UsageReport)]
    assert usage == UsageReport(
        input_tokens=361, output_tokens=61, cached_input_tokens=40, cumulative=True
    )
    assert events[-1] == Finished(ok=True)


def test_gemini_error_result() -> None:
    events = _events("gemini", "gemini_error.jsonl")
    errors = [e for e in events if isinstance(e, AgentError)]
    assert len(errors) == 1 and "stand-in error 400" in errors[0].message
    assert events[-1] == Finished(ok=False)


def test_gemini_text_deltas_make_one_line() -> None:
    parser = parser_for("gemini")
    events: list[AgentEvent] = []
    for piece in ("I will ", "write ", "the file."):
        line = {"type": "message", "role": "assistant", "content": piece, "delta": True}
        events.extend(parser.feed(json.dumps(line)))
    assert events == []
    events += parser.feed(
        json.dumps(
            {
                "type": "tool_use",
                "tool_name": "read_file",
                "tool_id": "t1",
                "parameters": {"file_path": "a.py"},
            }
        )
    )
    assert events == [AssistantText("I will write the file."), ToolCall("read_file", "a.py", "t1")]


def test_plain_text_and_unknown_types() -> None:
    assert isinstance(parser_for("command"), PlainParser)
    assert isinstance(parser_for("some-new-cli"), PlainParser)
    assert PlainParser().feed("  ") == []
    assert PlainParser().feed('{"type":"result"}') == [AssistantText('{"type":"result"}')]


def test_tool_summary_picks_the_argument_a_person_wants() -> None:
    assert tool_summary({"command": "git status", "description": "x"}) == "git status"
    assert tool_summary({"file_path": "/w/a.py", "content": "..."}) == "/w/a.py"
    assert tool_summary({"other": 1}) == '{"other": 1}'
    assert len(tool_summary({"command": "x" * 1000})) == 160


def test_session_events_write_the_readable_log(tmp_path: Path) -> None:
    raw = tmp_path / "session_1.log"
    collected = SessionEvents(parser_for("claude"), raw)
    readable = collected.feed(_lines("claude_commit.jsonl"))
    collected.finish()
    assert readable_log_path(raw).read_text().splitlines() == readable
    assert "▸ Write /tmp/ac/repo/hello.txt" in readable and "finished: All done." in readable
    assert collected.latest == "All done."
    assert collected.usage.input_tokens == 540 and collected.agent_session_id


def _feed(agent_type: str, lines: list[str]) -> list[AgentEvent]:
    parser = parser_for(agent_type)
    events: list[AgentEvent] = []
    for line in lines:
        events.extend(parser.feed(line))
    return events + parser.finish()


def _limits(events: list[AgentEvent]) -> list[RateLimited]:
    return [e for e in events if isinstance(e, RateLimited)]


def test_claude_api_429_in_an_assistant_message_and_result_is_a_rate_limit() -> None:
    # Claude Code shows a provider error as a synthetic assistant message, then fails the run.
    api_error = (
        'API Error: 429 {"type":"error","error":{"type":"rate_limit_error","message":'
        '"Number of request tokens has exceeded your per-minute rate limit"}}'
    )
    lines = [
        json.dumps(
            {
                "type": "assistant",
                "message": {
                    "id": "msg_1",
                    "model": "<synthetic>",
                    "role": "assistant",
                    "content": [{"type": "text", "text": api_error}],
                },
                "error": "rate_limit",
                "isApiErrorMessage": True,
                "session_id": "s-1",
            }
        ),
        json.dumps(
            {
                "type": "result",
                "subtype": "success",
                "is_error": True,
                "result": api_error,
                "session_id": "s-1",
                "total_cost_usd": 0,
                "usage": {"input_tokens": 0, "output_tokens": 0},
            }
        ),
    ]
    events = _feed("claude", lines)
    limits = _limits(events)
    assert len(limits) == 2 and all("rate_limit_error" in x.reason for x in limits)
    assert not any(isinstance(e, AssistantText) for e in events)
    assert events[-1] == Finished(ok=False, summary=events[-1].summary)


def test_claude_usage_limit_result_names_its_reset() -> None:
    epoch = 1798761600  # 2027-01-01T00:00:00Z
    line = json.dumps(
        {
            "type": "result",
            "subtype": "success",
            "is_error": True,
            "result": f"Claude AI usage limit reached|{epoch}",
            "session_id": "s-2",
        }
    )
    (limit,) = _limits(_feed("claude", [line]))
    assert limit.reset_at == datetime(2027, 1, 1, tzinfo=UTC)
    text = "5-hour limit reached ∙ resets at 2027-01-01T03:00:00Z"
    line = json.dumps({"type": "result", "subtype": "success", "is_error": True, "result": text})
    (limit,) = _limits(_feed("claude", [line]))
    assert limit.reset_at == datetime(2027, 1, 1, 3, tzinfo=UTC)


def test_claude_other_errors_are_not_rate_limits() -> None:
    line = json.dumps(
        {"type": "result", "subtype": "error_max_turns", "is_error": True, "result": ""}
    )
    assert _limits(_feed("claude", [line])) == []


def test_gemini_resource_exhausted_is_a_rate_limit_with_its_retry_delay() -> None:
    before = datetime.now(UTC)
    error = {
        "type": "Error",
        "message": "You exceeded your current quota, please check your plan and billing details.",
        "code": 429,
        "status": "RESOURCE_EXHAUSTED",
        "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "42s"}],
    }
    line = json.dumps(
        {"type": "result", "timestamp": "2026-12-02T06:00:00Z", "status": "error", "error": error}
    )
    (limit,) = _limits(_feed("gemini", [line]))
    assert limit.reset_at is not None
    assert 41 <= (limit.reset_at - before).total_seconds() <= 60
    bare = {"type": "error", "severity": "error", "error": {"message": "Quota hit", "code": 429}}
    (limit,) = _limits(_feed("gemini", [json.dumps(bare)]))
    assert limit.reset_at is None and "429" in limit.reason
    other = {"type": "result", "status": "error", "error": {"message": "bad request", "code": 400}}
    assert _limits(_feed("gemini", [json.dumps(other)])) == []


def test_claude_retrying_a_429_is_a_rate_limit_at_once() -> None:
    # Recorded: claude against a stand-in answering 429; it would retry 10 times over minutes.
    events = _events("claude", "claude_rate_limit.jsonl")
    (limit,) = _limits(events)
    assert "429" in limit.reason and "rate_limit" in limit.reason and limit.reset_at is None
    assert isinstance(events[0], AgentSessionId)
    overloaded = {"type": "system", "subtype": "api_retry", "error_status": 529, "error": "x"}
    assert _limits(_feed("claude", [json.dumps(overloaded)])) == []


def test_gemini_retry_warning_about_an_exhausted_resource_is_a_rate_limit() -> None:
    # Recorded: gemini's warning spans two lines; the limit carries the suggested retry delay.
    before = datetime.now(UTC)
    events = _events("gemini", "gemini_rate_limit.txt")
    (limit,) = _limits(events)
    assert limit.reason.startswith("Attempt 1 failed: Resource has been exhausted")
    assert limit.reset_at is not None and 0 < (limit.reset_at - before).total_seconds() < 5
    texts = [e.text for e in events if isinstance(e, AssistantText)]
    assert "Ripgrep is not available. Falling back to GrepTool." in texts
    assert not any("Attempt" in t or "Suggested" in t for t in texts)
    other = ["Attempt 2 failed: fetch failed. Retrying after 900ms..."]
    assert _limits(_feed("gemini", other)) == []
    assert [e.text for e in _feed("gemini", other) if isinstance(e, AssistantText)] == other


def test_our_mcp_tools_read_alike_in_every_log() -> None:
    gemini = {"type": "tool_use", "tool_name": "mcp_solo-unicorn_report_solution", "tool_id": "t"}
    opencode = {
        "type": "tool_use",
        "part": {"tool": "solo-unicorn_propose_mission", "callID": "c", "state": {}},
    }
    other = {"type": "tool_use", "tool_name": "mcp_elsewhere_report_solution", "tool_id": "u"}
    names = [
        e.name
        for kind, line in (("gemini", gemini), ("opencode", opencode), ("gemini", other))
        for e in _feed(kind, [json.dumps(line)])
        if isinstance(e, ToolCall)
    ]
    assert names == [
        "solo-unicorn.report_solution",
        "solo-unicorn.propose_mission",
        "mcp_elsewhere_report_solution",
    ]
