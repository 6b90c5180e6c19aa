"""Anthropic Messages API stand-in (what Claude Code talks to): ``POST /v1/messages`` with SSE.

Requests that offer tools are the agent loop and play the script's next turn; tool-less side
requests (a session title, a summary) get a short text reply and do not consume a turn. Tool
arguments may contain ``{cwd}``: it becomes the working directory Claude Code names in its system
prompt (its ``Write`` tool wants absolute paths).
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.support.model_standin.server import Handler, Reply, Request, Script, Turn

_CWD = re.compile(r"working directory: (\S+)", re.IGNORECASE)


def _text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(_text_of(v.get("text", "")) for v in value if isinstance(v, dict))
    return ""


def request_cwd(body: dict[str, Any]) -> str | None:
    found = _CWD.search(_text_of(body.get("system")))
    return found.group(1) if found else None


def fill(value: Any, cwd: str | None) -> Any:
    """Replace ``{cwd}`` in every string of ``value``."""
    if isinstance(value, str):
        return value.replace("{cwd}", cwd or ".")
    if isinstance(value, dict):
        return {k: fill(v, cwd) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, cwd) for v in value]
    return value


def user_texts(body: dict[str, Any]) -> list[str]:
    """Every text block the user side of a request carries (prompts, tool results excluded)."""
    texts = []
    for message in body.get("messages", []):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts.extend(
                b.get("text", "")
                for b in content
                if isinstance(b, dict) and b.get("type") == "text"
            )
    return texts


def error_body(turn: Turn) -> dict[str, Any]:
    if turn.error_body is not None:
        return turn.error_body
    kind = {429: "rate_limit_error", 401: "authentication_error"}.get(turn.status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": f"stand-in error {turn.status}"}}


def _stream(handler: Handler, turn: Turn, cwd: str | None, model: str) -> None:
    handler.start_sse()
    usage = {
        "input_tokens": turn.input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": turn.cached_tokens,
        "output_tokens": 1,
    }
    handler.send_event(
        {
            "type": "message_start",
            "message": {
                "id": f"msg_standin_{id(turn)}",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": usage,
            },
        },
        "message_start",
    )
    handler.send_event({"type": "ping"}, "ping")
    index = 0
    if turn.text:
        handler.send_event(
            {
                "type": "content_block_start",
                "index": index,
                "content_block": {"type": "text", "text": ""},
            },
            "content_block_start",
        )
        handler.send_event(
            {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": "text_delta", "text": turn.text},
            },
            "content_block_delta",
        )
        handler.send_event({"type": "content_block_stop", "index": index}, "content_block_stop")
        index += 1
    for number, (name, arguments) in enumerate(turn.tool_calls):
        handler.send_event(
            {
                "type": "content_block_start",
                "index": index,
                "content_block": {
                    "type": "tool_use",
                    "id": f"toolu_standin_{id(turn)}_{number}",
                    "name": name,
                    "input": {},
                },
            },
            "content_block_start",
        )
        handler.send_event(
            {
                "type": "content_block_delta",
                "index": index,
                "delta": {
                    "type": "input_json_delta",
                    "partial_json": json.dumps(fill(arguments, cwd)),
                },
            },
            "content_block_delta",
        )
        handler.send_event({"type": "content_block_stop", "index": index}, "content_block_stop")
        index += 1
    handler.send_event(
        {
            "type": "message_delta",
            "delta": {
                "stop_reason": "tool_use" if turn.tool_calls else "end_turn",
                "stop_sequence": None,
            },
            "usage": {"output_tokens": turn.output_tokens},
        },
        "message_delta",
    )
    handler.send_event({"type": "message_stop"}, "message_stop")


def routes(script: Script) -> list[tuple[str, str, Reply]]:
    """The routes of the Anthropic dialect, playing ``script``."""

    def count_tokens(handler: Handler, request: Request) -> None:
        handler.send_json(200, {"input_tokens": 10})

    def messages(handler: Handler, request: Request) -> None:
        body = request.body if isinstance(request.body, dict) else {}
        model = str(body.get("model") or "claude-standin")
        if body.get("tools"):
            turn = script.next_turn()
        else:
            turn = Turn(text="Stand-in title", input_tokens=1, output_tokens=1)
        if turn.status != 200:
            handler.send_json(turn.status, error_body(turn), turn.headers)
            return
        if body.get("stream"):
            _stream(handler, turn, request_cwd(body), model)
            return
        content: list[dict[str, Any]] = [{"type": "text", "text": turn.text}] if turn.text else []
        handler.send_json(
            200,
            {
                "id": "msg_standin",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": content,
                "stop_reason": "end_turn",
                "usage": {"input_tokens": turn.input_tokens, "output_tokens": turn.output_tokens},
            },
        )

    return [
        ("POST", "/v1/messages/count_tokens", count_tokens),
        ("POST", "/v1/messages", messages),
    ]
