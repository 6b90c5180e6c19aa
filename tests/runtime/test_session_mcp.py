"""Which sessions get the MCP server, and how it joins each CLI's start (no CLI needed here)."""

from __future__ import annotations

import json
from pathlib import Path

from solo_unicorn_tui.home import Home
from solo_unicorn_tui.mcp.wiring import claude_tool_names
from solo_unicorn_tui.runtime.agents import builtin
from solo_unicorn_tui.runtime.agents.launch import add_session_mcp, prepare_launch
from solo_unicorn_tui.runtime.agents.parsers.claude import tool_name


def _home(tmp_path: Path) -> Home:
    home = Home(tmp_path / "home")
    home.ensure()
    return home


def test_claude_gets_one_allowed_tools_list_with_our_tools(tmp_path: Path) -> None:
    home = _home(tmp_path)
    argv = builtin.CLAUDE.render_argv({})
    argv, env = add_session_mcp(
        builtin.CLAUDE,
        argv,
        {},
        home=home,
        session_id="s1",
        mission_id="m1",
        config_dir=tmp_path / "unused",
    )
    assert argv.count("--allowedTools") == 1
    listed = argv[argv.index("--allowedTools") + 1 :]
    assert set(builtin.CLAUDE_ALLOWED_TOOLS) | set(claude_tool_names()) == set(listed)
    config = Path(argv[argv.index("--mcp-config") + 1])
    assert config.is_relative_to(home.sessions_dir) and "--strict-mcp-config" in argv
    server = json.loads(config.read_text())["mcpServers"]["solo-unicorn"]
    assert server["args"][-2:] == ["--mission", "m1"]
    assert env["MCP_CONNECTION_NONBLOCKING"] == "false"


def test_opted_out_and_aider_profiles_start_unchanged(tmp_path: Path) -> None:
    home = _home(tmp_path)
    quiet = builtin.CLAUDE.model_copy(update={"mcp": False})
    for profile in (quiet, builtin.AIDER):
        argv = profile.render_argv({"prompt": "p", "prompt_file": "f", "worktree": "w"})
        kept = add_session_mcp(
            profile, argv, {}, home=home, session_id="s", mission_id="m", config_dir=tmp_path
        )
        assert kept == (argv, {}) and not profile.gets_mcp
    assert not (home.sessions_dir / "mcp").exists()


def test_gemini_server_joins_its_isolated_settings(tmp_path: Path) -> None:
    home = _home(tmp_path)
    config_dir = home.sessions_dir / "agent-config" / "m1" / "gemini"
    argv, env = prepare_launch(
        builtin.GEMINI, builtin.GEMINI.render_argv({}), {}, worktree=tmp_path, config_dir=config_dir
    )
    argv, env = add_session_mcp(
        builtin.GEMINI, argv, env, home=home, session_id="s", mission_id="m1", config_dir=config_dir
    )
    settings = json.loads((config_dir / ".gemini" / "settings.json").read_text())
    assert settings["security"] == builtin.GEMINI_SETTINGS["security"]
    assert settings["mcpServers"]["solo-unicorn"]["trust"] is True
    assert env["GEMINI_CLI_HOME"] == str(config_dir)


def test_claude_mcp_tool_names_read_short_in_the_log() -> None:
    assert tool_name("mcp__solo-unicorn__report_solution") == "solo-unicorn.report_solution"
    assert tool_name("Bash") == "Bash" and tool_name("mcp__odd") == "mcp__odd"


def test_opencode_keeps_its_isolated_provider_next_to_our_server(tmp_path: Path) -> None:
    home = _home(tmp_path)
    config_dir = home.sessions_dir / "agent-config" / "m1" / "opencode"
    env0 = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    argv = builtin.OPENCODE.render_argv({"prompt": "p", "prompt_file": "f", "worktree": "w"})
    argv, env = prepare_launch(
        builtin.OPENCODE, argv, env0, worktree=tmp_path, config_dir=config_dir
    )
    argv, env = add_session_mcp(
        builtin.OPENCODE,
        argv,
        env,
        home=home,
        session_id="s",
        mission_id="m1",
        config_dir=config_dir,
    )
    config = json.loads(Path(env["OPENCODE_CONFIG"]).read_text())
    assert "solo-unicorn" in config["mcp"]
    assert (
        config["provider"][builtin.CODEX_PROVIDER]["options"]["baseURL"] == env0["OPENAI_BASE_URL"]
    )
