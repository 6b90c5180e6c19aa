"""Give one agent session our MCP server: the per-session config each CLI reads, and the prompt.

:func:`write_session_mcp_config` writes what a CLI needs under the home's ``sessions/`` folder
(never the user's own agent configuration) and returns the arguments and variables that point
the CLI at it, with our tools allowed without a prompt:

- claude: ``--mcp-config FILE --strict-mcp-config --allowedTools mcp__solo-unicorn__…``
- codex: ``-c mcp_servers.solo-unicorn.command=…`` (and ``args``, ``env``, approval ``approve``,
  ``required``: without it codex 0.171 starts the first turn before the server has answered,
  and the model does not see our tools, which it names ``mcp__solo_unicorn__TOOL``)
- gemini: ``mcpServers`` (with ``trust``) in ``.gemini/settings.json`` of its isolated home
  (``GEMINI_CLI_HOME``: the profile's folder, or one in the session folder)
- opencode: ``OPENCODE_CONFIG`` → a config file with ``mcp`` and ``permission``
  ``solo-unicorn_*`` allowed (merged over the user's)

Verified against claude 2.1.197, codex 0.171.0, gemini 0.61.0 and opencode 1.18.33. Nothing
here imports the MCP SDK.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, NamedTuple

from solo_unicorn_tui.home import HOME_ENV, Home

SERVER_NAME = "solo-unicorn"
MISSION_ENV = "SOLO_UNICORN_MISSION_ID"
MCP_KINDS = ("claude", "codex", "gemini", "opencode")
#: Seconds a CLI waits for the server to answer ``initialize`` (it imports the SDK first).
STARTUP_TIMEOUT_SECONDS = 60
TOOL_NAMES = (
    "mission_context",
    "report_solution",
    "report_tasks",
    "report_clarification",
    "ask_question",
    "propose_mission",
    "list_missions",
    "show_mission",
)


class SessionMcp(NamedTuple):
    """What to add to an agent's start: arguments (before the prompt), variables, files made."""

    argv: list[str]
    env: dict[str, str]
    files: list[Path]


def supports_mcp(kind: str) -> bool:
    """Whether sessions of this agent type get the MCP server (aider has no MCP support)."""
    return kind in MCP_KINDS


def claude_tool_names() -> list[str]:
    """Our tools as claude names them (``mcp__SERVER__TOOL``), for ``--allowedTools``."""
    return [f"mcp__{SERVER_NAME}__{name}" for name in TOOL_NAMES]


def server_command(mission_id: str) -> list[str]:
    """How to start ``solo-unicorn mcp`` with this interpreter (absolute, no PATH lookup)."""
    script = Path(sys.executable).parent / "solo-unicorn"
    if script.is_file() and os.access(script, os.X_OK):
        start = [str(script)]
    else:
        start = [sys.executable, "-m", "solo_unicorn_tui.cli.main"]
    return [*start, "mcp", "--mission", mission_id]


def server_env(home: Home, mission_id: str) -> dict[str, str]:
    """Only our two variables (gemini refuses to pass e.g. ``PYTHONPATH`` to a server)."""
    return {HOME_ENV: str(home.root), MISSION_ENV: mission_id}


def tools_prompt() -> str:
    """The prompt paragraph for a session with the MCP server (``render_prompt(tools_note=…)``)."""
    return (
        f"Report through the `{SERVER_NAME}` MCP tools, not the shell (do not run "
        "`solo-unicorn` commands): `report_solution` stores your solution (markdown), "
        "`report_tasks` your tasks (markdown or a list), `report_clarification` what you "
        "understood and the answers you found; `ask_question` asks a person when you cannot "
        "go on without an answer (the mission waits for it: end your session after asking; the "
        "answer comes in the next prompt); `mission_context` re-reads this mission; "
        "`propose_mission` suggests a follow-up mission, which a person triages; "
        "`list_missions` and `show_mission` read the board. Each tool answers with what it "
        "stored, or with one line saying what to fix."
    )


def _private(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def _toml(value: Any) -> str:
    """A TOML value for ``codex -c key=VALUE`` (JSON strings and arrays are valid TOML)."""
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items())
        return "{" + inner + "}"
    return json.dumps(value)


def _under(folder: Path, home: Home) -> Path:
    folder = Path(folder).absolute()
    if not folder.is_relative_to(home.sessions_dir.absolute()):
        raise ValueError(f"{folder} is not under {home.sessions_dir}: never the user's config")
    return folder


def write_session_mcp_config(
    kind: str,
    home: Home | Path,
    session_dir: Path,
    mission_id: str,
    *,
    config_dir: Path | None = None,
) -> SessionMcp:
    """Write ``kind``'s per-session MCP config in ``session_dir`` (inside ``home/sessions``).

    ``config_dir`` is the agent's own isolated configuration folder when its profile has one
    (gemini's ``GEMINI_CLI_HOME``, also under ``sessions/``): gemini reads MCP servers only from
    settings files, and ignores a system settings file not owned by root, so our server goes
    into the settings of that folder (merged, other settings kept). Returns empty values for an
    agent type without MCP support, so the runner can call it for every profile.
    """
    home = home if isinstance(home, Home) else Home(Path(home))
    session_dir = _under(session_dir, home)
    config_dir = _under(config_dir, home) if config_dir is not None else None
    if not supports_mcp(kind):
        return SessionMcp([], {}, [])
    command, *args = server_command(mission_id)
    env = server_env(home, mission_id)
    if kind == "claude":
        config: dict[str, Any] = {
            "mcpServers": {
                SERVER_NAME: {"type": "stdio", "command": command, "args": args, "env": env}
            }
        }
        path = _private(session_dir / "claude-mcp.json", json.dumps(config, indent=2) + "\n")
        argv = [
            "--mcp-config",
            str(path),
            "--strict-mcp-config",
            "--allowedTools",
            *claude_tool_names(),
        ]
        return SessionMcp(argv, {"MCP_TIMEOUT": str(STARTUP_TIMEOUT_SECONDS * 1000)}, [path])
    if kind == "codex":
        key = f"mcp_servers.{SERVER_NAME}"
        values: dict[str, Any] = {
            "command": command,
            "args": args,
            "env": env,
            "startup_timeout_sec": STARTUP_TIMEOUT_SECONDS,
            "default_tools_approval_mode": "approve",
            "required": True,
        }
        argv = []
        for name, value in values.items():
            argv += ["-c", f"{key}.{name}={_toml(value)}"]
        return SessionMcp(argv, {}, [])
    if kind == "gemini":
        return _gemini(session_dir, config_dir, command, args, env)
    # opencode
    config = {
        "$schema": "https://opencode.ai/config.json",
        "mcp": {
            SERVER_NAME: {
                "type": "local",
                "command": [command, *args],
                "environment": env,
                "enabled": True,
                "timeout": STARTUP_TIMEOUT_SECONDS * 1000,
            }
        },
        "permission": {f"{SERVER_NAME}_*": "allow"},
    }
    path = _private(session_dir / "opencode.json", json.dumps(config, indent=2) + "\n")
    return SessionMcp([], {"OPENCODE_CONFIG": str(path)}, [path])


def _gemini(
    session_dir: Path, config_dir: Path | None, command: str, args: list[str], env: dict[str, str]
) -> SessionMcp:
    folder = config_dir or session_dir / "gemini-home"
    path = folder / ".gemini" / "settings.json"
    settings: dict[str, Any] = {}
    if path.is_file():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            loaded = None
        if isinstance(loaded, dict):
            settings = loaded
    servers = settings.get("mcpServers")
    settings["mcpServers"] = {
        **(servers if isinstance(servers, dict) else {}),
        SERVER_NAME: {
            "command": command,
            "args": args,
            "env": env,
            "trust": True,
            "timeout": STARTUP_TIMEOUT_SECONDS * 1000,
            "description": "The Solo Unicorn board: report on your mission",
        },
    }
    _private(path, json.dumps(settings, indent=2) + "\n")
    return SessionMcp([], {"GEMINI_CLI_HOME": str(folder)}, [path])
