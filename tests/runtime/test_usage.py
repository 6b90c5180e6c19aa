"""Usage is read from real output samples; agents that report nothing stay unknown."""

from __future__ import annotations

import json

from solo_unicorn_tui.runtime.usage import UsageParser

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

CODEX_STREAM = [
    {"type": "thread.started", "thread_id": "0199a213-81c0-7800-8aa1-bbab2a035a53"},
    {"type": "turn.started"},
    {"type": "item.completed", "item": {"id": "item_0", "type": "agent_message", "text": "ok"}},
    {
        "type": "turn.completed",
        "usage": {"input_tokens": 24763, "cached_input_tokens": 24448, "output_tokens": 122},
    },
    {"type": "turn.started"},
    {"type": "turn.completed", "usage": {"input_tokens": 1000, "output_tokens": 78}},
]


def test_claude_result_object() -> None:
    parser = UsageParser()
    parser.feed("Working on it…")
    parser.feed(json.dumps(CLAUDE_RESULT))
    usage = parser.usage()
    assert (usage.input_tokens, usage.output_tokens, usage.cost_usd) == (36200, 2400, 0.1834)


def test_codex_turns_are_summed_and_cost_stays_unknown() -> None:
    parser = UsageParser()
    for event in CODEX_STREAM:
        parser.feed(json.dumps(event))
    usage = parser.usage()
    assert (usage.input_tokens, usage.output_tokens, usage.cost_usd) == (25763, 200, None)


def test_plain_output_reports_nothing() -> None:
    parser = UsageParser()
    for line in ["hello", "{not json", '{"type": "result"}', "[1, 2]", "\x1b[31m{}\x1b[0m"]:
        parser.feed(line)
    assert not parser.usage().known
