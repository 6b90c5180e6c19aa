"""Gemini API stand-in (what Gemini CLI talks to): ``generateContent`` and
``streamGenerateContent?alt=sse`` under ``/v1beta/models/MODEL:METHOD``.

Requests that offer tools are the agent loop and play the script's next turn. Tool-less requests
are Gemini CLI's helpers (its model router, its next-speaker check): when they ask for JSON
(``responseJsonSchema``) they get an instance of that schema at once, so the CLI never waits on
its own retries; otherwise a short text.
"""

from __future__ import annotations

import json
from typing import Any

from tests.support.model_standin.server import Handler, Reply, Request, Script, Turn

#: Answers for the helper schemas' choice fields: the router picks its cheapest route, the
#: next-speaker check hands the turn back to the user (so a finished agent stops).
PREFERRED = {"next_speaker": "user", "model_choice": "flash"}


def schema_instance(schema: Any, name: str = "") -> Any:
    """A small value that matches a JSON schema (enough for the CLI's helper schemas)."""
    if not isinstance(schema, dict):
        return None
    if schema.get("enum"):
        options = schema["enum"]
        return PREFERRED.get(name) if PREFERRED.get(name) in options else options[0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    kind = str(kind or "object").lower()
    if kind == "object":
        properties = schema.get("properties") or {}
        return {key: schema_instance(value, key) for key, value in properties.items()}
    if kind == "array":
        return []
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    return "stand-in"


def _schema(body: dict[str, Any]) -> Any:
    config = body.get("generationConfig") or {}
    return config.get("responseJsonSchema") or config.get("responseSchema")


def user_texts(body: dict[str, Any]) -> list[str]:
    """Every text part the user side of a request carries."""
    return [
        part["text"]
        for content in body.get("contents", [])
        if content.get("role") == "user"
        for part in content.get("parts", [])
        if isinstance(part, dict) and isinstance(part.get("text"), str)
    ]


def offered_tools(body: dict[str, Any]) -> list[str]:
    """The names of the functions a request offers the model (its ``functionDeclarations``)."""
    return [
        declaration["name"]
        for tool in body.get("tools") or []
        if isinstance(tool, dict)
        for declaration in tool.get("functionDeclarations") or []
        if isinstance(declaration, dict) and isinstance(declaration.get("name"), str)
    ]


def _usage(turn: Turn) -> dict[str, int]:
    usage = {
        "promptTokenCount": turn.input_tokens,
        "candidatesTokenCount": turn.output_tokens,
        "totalTokenCount": turn.input_tokens + turn.output_tokens + turn.reasoning_tokens,
    }
    if turn.cached_tokens:
        usage["cachedContentTokenCount"] = turn.cached_tokens
    if turn.reasoning_tokens:
        usage["thoughtsTokenCount"] = turn.reasoning_tokens
    return usage


def _response(turn: Turn, model: str) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"text": turn.text}] if turn.text else []
    parts += [{"functionCall": {"name": name, "args": args}} for name, args in turn.tool_calls]
    return {
        "candidates": [
            {"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}
        ],
        "usageMetadata": _usage(turn),
        "modelVersion": model,
    }


def error_body(turn: Turn) -> dict[str, Any]:
    if turn.error_body is not None:
        return turn.error_body
    status = {429: "RESOURCE_EXHAUSTED", 401: "UNAUTHENTICATED", 400: "INVALID_ARGUMENT"}
    return {
        "error": {
            "code": turn.status,
            "message": f"stand-in error {turn.status}",
            "status": status.get(turn.status, "INTERNAL"),
        }
    }


def routes(script: Script) -> list[tuple[str, str, Reply]]:
    """The routes of the Gemini dialect, playing ``script``."""

    def models(handler: Handler, request: Request) -> None:
        path = request.path.split("?", 1)[0]
        model, _, method = path.rsplit("/", 1)[-1].partition(":")
        body = request.body if isinstance(request.body, dict) else {}
        if method == "countTokens":
            handler.send_json(200, {"totalTokens": 10})
            return
        if body.get("tools"):
            turn = script.next_turn()
        else:
            schema = _schema(body)
            text = json.dumps(schema_instance(schema)) if schema else "stand-in"
            turn = Turn(text=text, input_tokens=1, output_tokens=1)
        if turn.status != 200:
            handler.send_json(turn.status, error_body(turn), turn.headers)
            return
        if method == "streamGenerateContent":
            handler.start_sse()
            handler.send_event(_response(turn, model))
            return
        handler.send_json(200, _response(turn, model))

    return [("POST", "/v1beta/models/", models)]
