"""The OpenAI Chat Completions dialect (``POST /v1/chat/completions``), as opencode and aider
speak it: streamed (``stream: true``; a last chunk with the usage when
``stream_options.include_usage`` asks for it) or as one JSON body.

A request that is the agent's own loop plays the script's next :class:`~.server.Turn`: the text,
then the tool calls (``finish_reason`` ``tool_calls``). Side requests consume no turn and get a
small reply of their kind: a session title (opencode's first, tool-less request) or a commit
message (aider's non-streamed request after an edit). They are told apart by their system
prompt, which is how the CLIs themselves phrase them.

aider offers no tools; its edits are text in its "whole" format, which :func:`whole_edit`
writes. A turn with an error ``status`` answers with that HTTP status, ``error_body`` (default: a
rate-limit error) and ``headers``.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from tests.support.model_standin.server import Handler, Reply, Request, Script, Turn

_ids = itertools.count(1)

TITLE = "Stand-in session title"
COMMIT_MESSAGE = "feat: apply the stand-in edit"


def rate_limit_body(message: str = "Rate limit reached for requests") -> dict[str, Any]:
    return {"error": {"message": message, "type": "rate_limit_exceeded", "code": "rate_limit"}}


def whole_edit(path: str, content: str, intro: str = "Here is the file.") -> str:
    """A reply in aider's "whole" edit format: the file's path, then its full text fenced."""
    body = content if content.endswith("\n") else content + "\n"
    return f"{intro}\n\n{path}\n```\n{body}```\n"


def _system_text(body: dict[str, Any]) -> str:
    parts = []
    for message in body.get("messages") or []:
        if isinstance(message, dict) and message.get("role") == "system":
            content = message.get("content")
            if isinstance(content, list):
                content = " ".join(str(c.get("text", "")) for c in content if isinstance(c, dict))
            parts.append(str(content or ""))
    return "\n".join(parts).lower()


def side_request(request: Request) -> str | None:
    """``"title"`` or ``"commit"`` for a side request, None for the agent's own loop."""
    body = request.body if isinstance(request.body, dict) else {}
    if body.get("tools"):
        return None
    system = _system_text(body)
    if "commit message" in system:
        return "commit"
    if "title" in system:
        return "title"
    return None


def _usage(turn: Turn) -> dict[str, Any]:
    return {
        "prompt_tokens": turn.input_tokens,
        "completion_tokens": turn.output_tokens,
        "total_tokens": turn.input_tokens + turn.output_tokens,
        "prompt_tokens_details": {"cached_tokens": turn.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": turn.reasoning_tokens},
    }


def _tool_calls(turn: Turn) -> list[dict[str, Any]]:
    return [
        {
            "id": f"call_{next(_ids):06d}",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments)},
        }
        for name, arguments in turn.tool_calls
    ]


def _finish_reason(turn: Turn) -> str:
    return "tool_calls" if turn.tool_calls else "stop"


def complete(handler: Handler, turn: Turn, model: str) -> None:
    """Answer with one ``chat.completion`` body."""
    message: dict[str, Any] = {"role": "assistant", "content": turn.text or None}
    if turn.tool_calls:
        message["tool_calls"] = _tool_calls(turn)
    handler.send_json(
        200,
        {
            "id": f"chatcmpl-{next(_ids):06d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": _finish_reason(turn)}],
            "usage": _usage(turn),
        },
    )


def stream(handler: Handler, turn: Turn, model: str, *, include_usage: bool) -> None:
    """Answer with ``chat.completion.chunk`` events, then ``[DONE]``."""
    chunk_id = f"chatcmpl-{next(_ids):06d}"
    created = int(time.time())

    def send(choices: list[dict[str, Any]], **extra: Any) -> None:
        handler.send_event(
            {
                "id": chunk_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": choices,
                **extra,
            }
        )

    def delta(value: dict[str, Any], finish: str | None = None) -> None:
        send([{"index": 0, "delta": value, "finish_reason": finish}])

    handler.start_sse()
    delta({"role": "assistant", "content": ""})
    for start in range(0, len(turn.text), 40):
        delta({"content": turn.text[start : start + 40]})
    for index, call in enumerate(_tool_calls(turn)):
        function = call["function"]
        head = {"index": index, "id": call["id"], "type": "function"}
        delta({"tool_calls": [{**head, "function": {"name": function["name"], "arguments": ""}}]})
        text = function["arguments"]
        for start in range(0, len(text), 40):
            piece = {"index": index, "function": {"arguments": text[start : start + 40]}}
            delta({"tool_calls": [piece]})
    delta({}, _finish_reason(turn))
    if include_usage:
        send([], usage=_usage(turn))
    handler.wfile.write(b"data: [DONE]\n\n")
    handler.wfile.flush()


def chat_reply(script: Script) -> Reply:
    def reply(handler: Handler, request: Request) -> None:
        body = request.body if isinstance(request.body, dict) else {}
        model = str(body.get("model") or "standin-model")
        side = side_request(request)
        if side == "title":
            turn = Turn(text=TITLE, input_tokens=3, output_tokens=2)
        elif side == "commit":
            turn = Turn(text=COMMIT_MESSAGE, input_tokens=3, output_tokens=2)
        else:
            turn = script.next_turn()
        if turn.status != 200:
            handler.send_json(turn.status, turn.error_body or rate_limit_body(), turn.headers)
            return
        if body.get("stream"):
            options = body.get("stream_options") or {}
            stream(handler, turn, model, include_usage=bool(options.get("include_usage")))
        else:
            complete(handler, turn, model)

    return reply


def chat_routes(script: Script) -> list[tuple[str, str, Reply]]:
    """Routes for :func:`~.server.serve`: ``POST /v1/chat/completions`` plays ``script``."""

    def models(handler: Handler, request: Request) -> None:
        handler.send_json(200, {"object": "list", "data": []})

    return [("POST", "/v1/chat/completions", chat_reply(script)), ("GET", "/v1/models", models)]
