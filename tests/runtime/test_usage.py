"""Usage is read from the agent's events: a cumulative total replaces, per-turn reports add up;
agents that report nothing stay unknown."""

from __future__ import annotations

import json

from solo_unicorn_tui.runtime.agents.events import UsageReport
from solo_unicorn_tui.runtime.agents.parsers import parser_for
from solo_unicorn_tui.runtime.agents.session_events import SessionEvents
from solo_unicorn_tui.runtime.usage import Usage

CLAUDE_RESULT = {
    "type": "result",
    "subtype": "success",
    "is_error": False,
    "duration_ms": 21543,
    "num_turns": 6,
    "result": "Done: added the login form and its tests.",
    "session_id": "7f1c8a2e-1b7c-4a4e-9a57-0c1f1f9b2d11",
    "total_cost_usd": 0.1834,
    "usage": {
        "input_tokens": 1200,
        "cache_creation_input_tokens": 5000,
        "cache_read_input_tokens": 30000,
        "output_tokens": 2400,
    },
}


def test_claude_result_object() -> None:
    events = SessionEvents(parser_for("claude"))
    events.feed(["Working on it…", json.dumps(CLAUDE_RESULT)])
    usage = events.usage
    assert (usage.input_tokens, usage.output_tokens, usage.cost_usd) == (36200, 2400, 0.1834)
    assert usage.cached_input_tokens == 30000
    assert events.agent_session_id == CLAUDE_RESULT["session_id"]


def test_cumulative_replaces_and_per_turn_adds() -> None:
    usage = Usage().add(UsageReport(input_tokens=10, output_tokens=2))
    usage = usage.add(UsageReport(input_tokens=5, output_tokens=1, cost_usd=0.5))
    assert (usage.input_tokens, usage.output_tokens, usage.cost_usd) == (15, 3, 0.5)
    usage = usage.add(UsageReport(input_tokens=40, output_tokens=9, cumulative=True))
    assert (usage.input_tokens, usage.output_tokens, usage.cost_usd) == (40, 9, None)


def test_plain_output_reports_nothing() -> None:
    for agent_type in ("command", "claude", "gemini"):
        events = SessionEvents(parser_for(agent_type))
        events.feed(["hello", "{not json", "[1, 2]", "\x1b[31m{}\x1b[0m"])
        assert not events.usage.known
