"""The OpenAI Responses dialect (``POST /v1/responses``, SSE), as Codex speaks it.

A request that offers tools plays the script's next :class:`~.server.Turn`: a reasoning item
when the turn has reasoning tokens, the text as ``output_text`` deltas, then each tool call as a
``function_call`` item whose arguments stream as deltas (a string of arguments makes a freeform
``custom_tool_call``, as codex's ``exec`` cell takes JavaScript), and ``response.completed``
with the usage. ``Turn.output_tokens`` is the wire's ``output_tokens``, which already includes the
reasoning tokens (``output_tokens_details.reasoning_tokens``), as OpenAI reports them.

Every request plays a turn: Codex sends no side requests in ``exec`` mode, and with its default
model it sends no ``tools`` list (its tools come in an ``additional_tools`` input item: the
``exec`` cell, in which the nested tools, ours too, are ``tools.NAME``). A turn
with an error ``status`` answers with that HTTP status, its ``error_body`` (default: a
rate-limit error) and its ``headers`` (e.g. ``x-ratelimit-reset-requests``).
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from tests.support.model_standin.server import Handler, Reply, Request, Script, Turn

_ids = itertools.count(1)


def _id(prefix: str) -> str:
    return f"{prefix}_{next(_ids):06d}"


def rate_limit_body(message: str = "Rate limit reached for requests") -> dict[str, Any]:
    return {"error": {"message": message, "type": "rate_limit_exceeded", "code": "rate_limit"}}


def tool_names(request: Request) -> list[str]:
    """The names of the tools a request offers (function tools and built-in ones)."""
    tools = request.body.get("tools") if isinstance(request.body, dict) else None
    names = []
    for tool in tools or []:
        if isinstance(tool, dict):
            names.append(str(tool.get("name") or tool.get("type")))
    return names


def function_outputs(request: Request) -> list[str]:
    """The outputs of earlier tool calls that a request sends back (``function_call_output``)."""
    items = request.body.get("input") if isinstance(request.body, dict) else None
    found = []
    for item in items or []:
        if isinstance(item, dict) and item.get("type") in (
            "function_call_output",
            "custom_tool_call_output",
        ):
            output = item.get("output")
            found.append(output if isinstance(output, str) else json.dumps(output))
    return found


def _usage(turn: Turn) -> dict[str, Any]:
    return {
        "input_tokens": turn.input_tokens,
        "input_tokens_details": {"cached_tokens": turn.cached_tokens},
        "output_tokens": turn.output_tokens,
        "output_tokens_details": {"reasoning_tokens": turn.reasoning_tokens},
        "total_tokens": turn.input_tokens + turn.output_tokens,
    }


def _response(response_id: str, model: str, status: str, output: list[Any]) -> dict[str, Any]:
    return {
        "id": response_id,
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "model": model,
        "output": output,
    }


def stream_turn(handler: Handler, turn: Turn, model: str) -> None:
    """Write one turn as the Responses SSE stream."""
    sequence = itertools.count()
    response_id = _id("resp")

    def send(kind: str, **data: Any) -> None:
        handler.send_event({"type": kind, "sequence_number": next(sequence), **data}, event=kind)

    handler.start_sse()
    send("response.created", response=_response(response_id, model, "in_progress", []))
    send("response.in_progress", response=_response(response_id, model, "in_progress", []))
    done: list[dict[str, Any]] = []
    if turn.reasoning_tokens:
        item = {
            "id": _id("rs"),
            "type": "reasoning",
            "summary": [
                {"type": "summary_text", "text": f"Thought for {turn.reasoning_tokens} tokens"}
            ],
        }
        send("response.output_item.added", output_index=len(done), item={**item, "summary": []})
        send("response.output_item.done", output_index=len(done), item=item)
        done.append(item)
    if turn.text:
        index = len(done)
        item_id = _id("msg")
        empty = {"id": item_id, "type": "message", "role": "assistant", "content": []}
        send(
            "response.output_item.added",
            output_index=index,
            item={**empty, "status": "in_progress"},
        )
        part = {"type": "output_text", "text": "", "annotations": []}
        send(
            "response.content_part.added",
            item_id=item_id,
            output_index=index,
            content_index=0,
            part=part,
        )
        for start in range(0, len(turn.text), 40):
            send(
                "response.output_text.delta",
                item_id=item_id,
                output_index=index,
                content_index=0,
                delta=turn.text[start : start + 40],
            )
        send(
            "response.output_text.done",
            item_id=item_id,
            output_index=index,
            content_index=0,
            text=turn.text,
        )
        full = {**part, "text": turn.text}
        send(
            "response.content_part.done",
            item_id=item_id,
            output_index=index,
            content_index=0,
            part=full,
        )
        item = {**empty, "status": "completed", "content": [full]}
        send("response.output_item.done", output_index=index, item=item)
        done.append(item)
    for name, arguments in turn.tool_calls:
        index = len(done)
        # A freeform tool (codex's exec) takes its input as text; a function tool JSON arguments.
        freeform = isinstance(arguments, str)
        kind, field, events = (
            ("custom_tool_call", "input", "custom_tool_call_input")
            if freeform
            else ("function_call", "arguments", "function_call_arguments")
        )
        text = arguments if isinstance(arguments, str) else json.dumps(arguments)
        item_id = _id("ctc" if freeform else "fc")
        item = {
            "id": item_id,
            "type": kind,
            "call_id": _id("call"),
            "name": name,
            field: "",
            "status": "in_progress",
        }
        send("response.output_item.added", output_index=index, item=item)
        for start in range(0, len(text), 40):
            send(
                f"response.{events}.delta",
                item_id=item_id,
                output_index=index,
                delta=text[start : start + 40],
            )
        send(f"response.{events}.done", item_id=item_id, output_index=index, **{field: text})
        item = {**item, field: text, "status": "completed"}
        send("response.output_item.done", output_index=index, item=item)
        done.append(item)
    completed = _response(response_id, model, "completed", done)
    completed["usage"] = _usage(turn)
    send("response.completed", response=completed)


def responses_reply(script: Script) -> Reply:
    def reply(handler: Handler, request: Request) -> None:
        body = request.body if isinstance(request.body, dict) else {}
        model = str(body.get("model") or "standin-model")
        turn = script.next_turn()
        if turn.status != 200:
            handler.send_json(turn.status, turn.error_body or rate_limit_body(), turn.headers)
            return
        stream_turn(handler, turn, model)

    return reply


def responses_routes(script: Script) -> list[tuple[str, str, Reply]]:
    """Routes for :func:`~.server.serve`: ``POST /v1/responses`` plays ``script``."""

    def models(handler: Handler, request: Request) -> None:
        handler.send_json(200, {"object": "list", "data": [], "models": []})

    return [("POST", "/v1/responses", responses_reply(script)), ("GET", "/v1/models", models)]
