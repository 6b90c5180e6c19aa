"""Per-session MCP wiring: the files and arguments for each CLI, checked by shape, by starting the
configured command with the SDK client, and by the real CLIs reading them (when installed:
``.agent-clis/`` of the checkout or ``$SOLO_UNICORN_AGENT_CLIS``, as the conformance tests)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from solo_unicorn_tui.home import Home
from solo_unicorn_tui.mcp.wiring import (
    SERVER_NAME,
    TOOL_NAMES,
    claude_tool_names,
    supports_mcp,
    tools_prompt,
    write_session_mcp_config,
)
from storage import missions as ops
from storage.mission_context import mission_context, render_prompt, shell_note
from tests.mcp.conftest import ANSWER_TIMEOUT, Board

ROOT = Path(__file__).resolve().parents[2]
#: Read at import: the home fixture clears SOLO_UNICORN_* variables for each test.
AGENT_CLIS = Path(os.environ.get("SOLO_UNICORN_AGENT_CLIS") or ROOT / ".agent-clis")
CLI_TIMEOUT = 180


def _cli(name: str) -> Path:
    path = AGENT_CLIS / "node_modules" / ".bin" / name
    if not path.exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{name} is not installed in {path.parent}; required in CI")
        pytest.skip(
            f"{name} is not installed in {path.parent}: run scripts/install_agent_clis.sh or "
            "point SOLO_UNICORN_AGENT_CLIS at a folder with node_modules/.bin to run this test"
        )
    return path


def _cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A minimal environment with a throw-away HOME: the user's own config is never read."""
    home = tmp_path / "agent-home"
    (home / ".codex").mkdir(parents=True, exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        **extra,
    }


def _run(
    argv: list[str | Path], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _session(home: Home) -> Path:
    return home.sessions_dir / "01SESSION"


def _codex_values(argv: list[str]) -> dict[str, Any]:
    """``-c key=VALUE`` pairs parsed as codex parses them (TOML)."""
    assert argv[::2] == ["-c"] * (len(argv) // 2)
    values = {}
    for item in argv[1::2]:
        key, _, value = item.partition("=")
        prefix = f"mcp_servers.{SERVER_NAME}."
        assert key.startswith(prefix), key
        values[key.removeprefix(prefix)] = tomllib.loads(f"v = {value}")["v"]
    return values


def test_each_cli_gets_the_same_server_for_this_session_only(home: Home) -> None:
    session = _session(home)
    mission = "mission_01ABC"
    claude = write_session_mcp_config("claude", home, session, mission)
    codex = write_session_mcp_config("codex", home, session, mission)
    gemini = write_session_mcp_config("gemini", home, session, mission)
    opencode = write_session_mcp_config("opencode", home, session, mission)

    for made in (claude, gemini, opencode):
        for path in made.files:
            assert path.is_relative_to(home.sessions_dir)
            assert stat.S_IMODE(path.stat().st_mode) == 0o600

    (claude_file,) = claude.files
    config = json.loads(claude_file.read_text())
    server = config["mcpServers"][SERVER_NAME]
    assert Path(server["command"]).is_absolute()
    assert server["args"][-3:] == ["mcp", "--mission", mission]
    assert server["env"]["SOLO_UNICORN_HOME"] == str(home.root)
    assert claude.argv == [
        "--mcp-config",
        str(claude_file),
        "--strict-mcp-config",
        "--allowedTools",
        *claude_tool_names(),
    ]
    assert claude_tool_names() == [f"mcp__solo-unicorn__{name}" for name in TOOL_NAMES]

    assert codex.files == [] and codex.env == {}
    values = _codex_values(codex.argv)
    assert (values["command"], values["args"], values["env"]) == (
        server["command"],
        server["args"],
        server["env"],
    )
    assert values["default_tools_approval_mode"] == "approve"
    assert values["required"] is True  # else codex's first turn may start before our tools

    assert set(gemini.env) == {"GEMINI_CLI_HOME"}
    (gemini_file,) = gemini.files
    assert gemini_file == Path(gemini.env["GEMINI_CLI_HOME"]) / ".gemini" / "settings.json"
    entry = json.loads(gemini_file.read_text())["mcpServers"][SERVER_NAME]
    assert entry["trust"] is True
    assert (entry["command"], entry["args"], entry["env"]) == (
        server["command"],
        server["args"],
        server["env"],
    )

    (opencode_file,) = opencode.files
    assert opencode.env == {"OPENCODE_CONFIG": str(opencode_file)}
    entry = json.loads(opencode_file.read_text())["mcp"][SERVER_NAME]
    assert entry["type"] == "local" and entry["enabled"] is True
    assert entry["command"] == [server["command"], *server["args"]]
    assert entry["environment"] == server["env"]
    permission = json.loads(opencode_file.read_text())["permission"]
    assert permission == {f"{SERVER_NAME}_*": "allow"}  # the user's other rules are kept

    assert not supports_mcp("aider")
    assert write_session_mcp_config("aider", home, session, mission) == ([], {}, [])


def test_gemini_keeps_the_settings_already_in_its_isolated_home(home: Home) -> None:
    folder = home.sessions_dir / "agent-config" / "mission_01ABC" / "gemini"
    settings = folder / ".gemini" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(
        json.dumps(
            {
                "security": {"auth": {"selectedType": "gemini-api-key"}},
                "mcpServers": {"theirs": {"command": "x"}},
            }
        )
    )
    made = write_session_mcp_config(
        "gemini", home, _session(home), "mission_01ABC", config_dir=folder
    )
    assert made.env == {"GEMINI_CLI_HOME": str(folder)} and made.files == [settings]
    merged = json.loads(settings.read_text())
    assert merged["security"] == {"auth": {"selectedType": "gemini-api-key"}}
    assert set(merged["mcpServers"]) == {"theirs", SERVER_NAME}


def test_config_outside_the_sessions_folder_is_refused(home: Home, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not under"):
        write_session_mcp_config("claude", home, tmp_path / "elsewhere", "m")
    with pytest.raises(ValueError, match="not under"):
        write_session_mcp_config(
            "gemini", home, _session(home), "m", config_dir=Path.home() / ".gemini"
        )


async def test_the_configured_command_serves_the_mission(board: Board) -> None:
    """Started exactly as the config says (command, args, env only), the server answers."""
    made = write_session_mcp_config("claude", board.home, _session(board.home), board.mission.id)
    server = json.loads(made.files[0].read_text())["mcpServers"][SERVER_NAME]
    params = StdioServerParameters(
        command=server["command"], args=server["args"], env=server["env"], cwd="/"
    )
    async with (
        stdio_client(params) as (read, write),
        ClientSession(read, write, read_timeout_seconds=ANSWER_TIMEOUT) as session,
    ):
        await session.initialize()
        result = await session.call_tool("report_solution", {"text": "from the config"})
        assert not result.is_error, result
    assert (await ops.get_mission(board.ws.db, board.mission.id)).solution == "from the config"


async def test_the_prompt_tells_the_agent_to_use_the_tools(board: Board) -> None:
    context = await mission_context(board.ws.db, board.mission.id)
    plain = render_prompt(context)
    assert "solo-unicorn mission update" in plain
    with_tools = render_prompt(context, tools_note=tools_prompt())
    assert "solo-unicorn mission update" not in with_tools
    for name in ("report_solution", "report_tasks", "report_clarification", "propose_mission"):
        assert f"`{name}`" in with_tools
    assert with_tools.replace(tools_prompt(), "") == plain.replace(shell_note(board.mission.id), "")


# --- the real CLIs read the files ---------------------------------------------------------


def test_codex_reads_the_overrides(home: Home, tmp_path: Path) -> None:
    codex = _cli("codex")
    made = write_session_mcp_config("codex", home, _session(home), "mission_01ABC")
    env = _cli_env(tmp_path, CODEX_HOME=str(tmp_path / "agent-home" / ".codex"))
    out = _run([codex, "mcp", "list", "--json", *made.argv], env, tmp_path).stdout
    (listed,) = json.loads(out)
    assert listed["name"] == SERVER_NAME and listed["enabled"] is True
    transport = listed["transport"]
    values = _codex_values(made.argv)
    assert (transport["command"], transport["args"], transport["env"]) == (
        values["command"],
        values["args"],
        values["env"],
    )
    assert listed["startup_timeout_sec"] == values["startup_timeout_sec"]


def test_claude_loads_the_server_from_its_session_file(board: Board, tmp_path: Path) -> None:
    """claude's first stream-json line names the MCP servers it loaded (before any model call;
    without credentials it then stops with "Not logged in")."""
    claude = _cli("claude")
    made = write_session_mcp_config("claude", board.home, _session(board.home), board.mission.id)
    env = _cli_env(tmp_path, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1", **made.env)
    result = subprocess.run(
        [str(claude), "--print", "--output-format", "stream-json", "--verbose", *made.argv],
        input="say hi",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    init = json.loads(result.stdout.splitlines()[0])
    assert init["type"] == "system" and init["subtype"] == "init", result.stdout[:500]
    assert [s["name"] for s in init["mcp_servers"]] == [SERVER_NAME]


def test_gemini_connects_to_the_server(board: Board, tmp_path: Path) -> None:
    gemini = _cli("gemini")
    made = write_session_mcp_config("gemini", board.home, _session(board.home), board.mission.id)
    # Sessions run with --skip-trust; `mcp list` connects only in a trusted folder.
    env = _cli_env(tmp_path, GEMINI_CLI_TRUST_WORKSPACE="true", **made.env)
    result = _run([gemini, "mcp", "list"], env, tmp_path)
    out = result.stdout + result.stderr
    listed = [line for line in out.splitlines() if SERVER_NAME in line]
    assert len(listed) == 1 and listed[0].endswith("- Connected"), out


def test_opencode_accepts_the_config(board: Board, tmp_path: Path) -> None:
    opencode = _cli("opencode")
    made = write_session_mcp_config("opencode", board.home, _session(board.home), board.mission.id)
    out = _run([opencode, "debug", "config"], _cli_env(tmp_path, **made.env), tmp_path).stdout
    assert "invalid" not in out.lower()
    resolved = json.loads(out[out.index("{") :])
    expected = json.loads(made.files[0].read_text())["mcp"][SERVER_NAME]
    assert resolved["mcp"][SERVER_NAME] == expected
    assert resolved["permission"][f"{SERVER_NAME}_*"] == "allow"
