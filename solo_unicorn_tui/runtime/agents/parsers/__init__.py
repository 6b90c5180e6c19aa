"""One output parser per agent type, looked up by name and imported only when used.

Each module named in :data:`PARSERS` defines ``Parser`` (an :class:`OutputParser`). A type with
no parser of its own, or whose module is not there, reads its output as plain text.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from solo_unicorn_tui.mcp.wiring import SERVER_NAME
from solo_unicorn_tui.runtime.agents.events import OutputParser

#: agent type → module under this package.
PARSERS: dict[str, str] = {
    "claude": "claude",
    "gemini": "gemini",
    "codex": "codex",
    "opencode": "opencode",
    "aider": "aider",
    "command": "plain",
}


def parser_for(agent_type: str) -> OutputParser:
    """A fresh parser for one session of an agent of this type."""
    name = PARSERS.get(agent_type, "plain")
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{name}":
            raise
        module = importlib.import_module(f"{__name__}.plain")
    parser: OutputParser = module.Parser()
    return parser


def our_tool_name(name: str, prefix: str) -> str:
    """A tool of our MCP server as the log shows it for every CLI, ``solo-unicorn.TOOL`` (codex's
    form), from a CLI's own name for it: ``prefix`` with ``{server}`` is how that CLI names the
    tools of a server (gemini ``mcp_{server}_``, opencode ``{server}_``). Other names stay."""
    head = prefix.format(server=SERVER_NAME)
    if name.startswith(head) and len(name) > len(head):
        return f"{SERVER_NAME}.{name[len(head) :]}"
    return name


def json_object(line: str) -> dict[str, Any] | None:
    """The JSON object a line holds, or None (not JSON, or JSON but not an object)."""
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def short(text: str, limit: int = 160) -> str:
    """One line of at most ``limit`` characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


_ARGUMENT_KEYS = (
    "command",
    "cmd",
    "file_path",
    "filePath",
    "path",
    "absolute_path",
    "pattern",
    "url",
    "query",
    "prompt",
    "description",
)


def tool_summary(arguments: Any) -> str:
    """The one argument a person wants to see: the command run, the file written…"""
    if isinstance(arguments, str):
        return short(arguments)
    if not isinstance(arguments, dict):
        return ""
    for key in _ARGUMENT_KEYS:
        value = arguments.get(key)
        if isinstance(value, list):
            value = " ".join(str(v) for v in value)
        if isinstance(value, str) and value.strip():
            return short(value)
    return short(json.dumps(arguments, ensure_ascii=False)) if arguments else ""


def field_dict(data: dict[str, Any], key: str) -> dict[str, Any]:
    """``data[key]`` when it is an object, else an empty one (agents' JSON is untrusted)."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def field_list(data: dict[str, Any], key: str) -> list[Any]:
    """``data[key]`` when it is a list, else an empty one."""
    value = data.get(key)
    return value if isinstance(value, list) else []


def as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
