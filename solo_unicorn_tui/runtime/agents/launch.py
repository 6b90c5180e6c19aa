"""What a built-in agent CLI needs around its argv just before it starts, one mechanism for all.

The runner renders a profile's argv and environment, then :func:`prepare_launch` adds what
depends on the mission and its worktree. A profile with ``isolated_config`` gets a configuration
folder of its own (``sessions/agent-config/{mission}/{type}``, kept across the mission's
sessions so a later one can resume the agent's conversation), never the user's:

- **gemini** ``GEMINI_CLI_HOME`` with API-key auth, telemetry and updates off
  (:data:`~.builtin.GEMINI_SETTINGS`).
- **codex** ``CODEX_HOME``, and its provider defined on the command line from
  ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``. Whatever the configuration: in a git worktree the
  index and refs live in the main repository's ``.git`` (``.git/worktrees/NAME``, ``objects``,
  ``refs``, ``logs``), outside the ``workspace-write`` sandbox, so Codex could write files but
  not commit; those four folders are added as writable roots (``--add-dir``), the main
  ``.git``'s config and hooks stay read-only.
- **opencode** ``OPENCODE_CONFIG``: an openai-compatible provider whose ``baseURL`` is
  ``OPENAI_BASE_URL``; the key is read from the environment by opencode itself
  (``{env:OPENAI_API_KEY}``), so it is never written to disk.
- **aider** its chat and input history files go to the folder. Whatever the configuration,
  ``.aider*`` (the repo-map cache aider writes in the worktree) is listed in the repository's
  ``info/exclude``, so nothing of aider's is committed or left dirty.

Other types start as rendered.

:func:`add_session_mcp` then gives a profile with :attr:`~.profile.AgentProfile.gets_mcp` our
MCP server for that one session (``mcp.wiring``); for claude the tool names join the profile's
own ``--allowedTools`` list.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from solo_unicorn_tui.home import Home
from solo_unicorn_tui.mcp.wiring import claude_tool_names, write_session_mcp_config
from solo_unicorn_tui.runtime.agents.builtin import (
    CODEX_PROVIDER,
    DEFAULT_OPENAI_BASE_URL,
    GEMINI_SETTINGS,
    OPENCODE_MODEL,
    OPENCODE_PERMISSION,
)
from solo_unicorn_tui.runtime.agents.profile import AgentProfile


class LaunchError(Exception):
    """The session's agent cannot be prepared (the message says why, in one line)."""


def agent_config_dir(sessions_dir: Path, mission_id: str, agent_type: str) -> Path:
    """An agent's own configuration folder for one mission."""
    return sessions_dir / "agent-config" / mission_id / agent_type


def prepare_launch(
    profile: AgentProfile,
    argv: list[str],
    env: Mapping[str, str],
    *,
    worktree: Path,
    config_dir: Path,
) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that start this session's agent (see the module docstring)."""
    argv, env = list(argv), dict(env)
    isolated = profile.isolated_config
    if isolated:
        config_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    match profile.type:
        case "gemini" if isolated:
            settings = config_dir / ".gemini" / "settings.json"
            if not settings.exists():
                _write_private(settings, json.dumps(GEMINI_SETTINGS, indent=2) + "\n")
            env["GEMINI_CLI_HOME"] = str(config_dir)
        case "codex":
            options: list[str] = []
            if isolated:
                options += _codex_home(env, config_dir)
            for path in git_writable_dirs(worktree):
                options += ["--add-dir", str(path)]
            argv = _insert_after(argv, "exec", options)
        case "opencode" if isolated:
            env["OPENCODE_CONFIG"] = str(_opencode_config(argv, env, config_dir))
        case "aider":
            exclude_aider_files(worktree)
            if env.get("OPENAI_BASE_URL") and not env.get("OPENAI_API_BASE"):
                env["OPENAI_API_BASE"] = env["OPENAI_BASE_URL"]
            if isolated:
                argv += [
                    "--chat-history-file",
                    str(config_dir / "aider.chat.history.md"),
                    "--input-history-file",
                    str(config_dir / "aider.input.history"),
                ]
    return argv, env


def mcp_session_dir(sessions_dir: Path, session_id: str) -> Path:
    """Where one session's MCP config files go."""
    return sessions_dir / "mcp" / session_id


def add_session_mcp(
    profile: AgentProfile,
    argv: list[str],
    env: Mapping[str, str],
    *,
    home: Home,
    session_id: str,
    mission_id: str,
    config_dir: Path,
) -> tuple[list[str], dict[str, str]]:
    """``argv`` and ``env`` with our MCP server configured for this session only.

    Run after :func:`prepare_launch` (gemini's isolated settings exist by then and get our
    server merged in). A profile without :attr:`~.profile.AgentProfile.gets_mcp` is unchanged.
    """
    argv, env = list(argv), dict(env)
    if not profile.gets_mcp:
        return argv, env
    session_dir = mcp_session_dir(home.sessions_dir, session_id)
    session_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    isolated = config_dir if profile.type == "gemini" and profile.isolated_config else None
    try:
        mcp = write_session_mcp_config(
            profile.type, home, session_dir, mission_id, config_dir=isolated
        )
    except ValueError as error:
        raise LaunchError(f"cannot configure the MCP server: {error}") from None
    earlier = env.get("OPENCODE_CONFIG")
    env.update(mcp.env)
    if profile.type == "opencode" and earlier and mcp.files:
        _merge_opencode(Path(earlier), mcp.files[0])
    options = list(mcp.argv)
    if profile.type == "claude":
        # claude 2.1.197 --print connects MCP servers in the background by default, so the
        # first model turn finds our tools "still connecting"; "false" makes it wait for them.
        env.setdefault("MCP_CONNECTION_NONBLOCKING", "false")
        options = _claude_mcp_options(argv, options)
        if "--allowedTools" in argv:
            argv = _extend_allowed_tools(argv, claude_tool_names())
        else:
            options += ["--allowedTools", *claude_tool_names()]
    if profile.type == "codex":
        return _insert_after(argv, "exec", options), env
    return _insert_after_program(argv, options), env


def _merge_opencode(earlier: Path, ours: Path) -> None:
    """OPENCODE_CONFIG names one file: the isolated config (its provider and permissions) plus
    our ``mcp`` and the permission for its tools."""
    try:
        base = json.loads(earlier.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise LaunchError(f"cannot read {earlier}: {error}") from None
    added = json.loads(ours.read_text(encoding="utf-8"))
    base["mcp"] = added["mcp"]
    permission = base.get("permission")
    base["permission"] = {
        **(permission if isinstance(permission, dict) else {}),
        **added["permission"],
    }
    _write_private(ours, json.dumps(base, indent=2) + "\n")


def _claude_mcp_options(argv: list[str], options: list[str]) -> list[str]:
    """``--mcp-config FILE --strict-mcp-config`` without the ``--allowedTools`` part."""
    if "--allowedTools" in options:
        options = options[: options.index("--allowedTools")]
    return options


def _extend_allowed_tools(argv: list[str], names: list[str]) -> list[str]:
    """Add ``names`` to the end of the (last) ``--allowedTools`` value list in ``argv``."""
    start = len(argv) - 1 - argv[::-1].index("--allowedTools")
    end = start + 1
    while end < len(argv) and not argv[end].startswith("-"):
        end += 1
    present = set(argv[start + 1 : end])
    return [*argv[:end], *(n for n in names if n not in present), *argv[end:]]


def _insert_after_program(argv: list[str], items: list[str]) -> list[str]:
    return [argv[0], *items, *argv[1:]]


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def _git_path(worktree: Path, *args: str) -> Path:
    try:
        done = subprocess.run(
            ["git", "-C", str(worktree), "rev-parse", "--path-format=absolute", *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
    except subprocess.CalledProcessError as error:
        raise LaunchError(
            f"cannot read the git folders of {worktree}: {error.stderr.strip()[:200]}"
        ) from None
    except (OSError, subprocess.SubprocessError) as error:
        raise LaunchError(f"cannot read the git folders of {worktree}: {error}") from None
    return Path(done.stdout.strip())


def git_writable_dirs(worktree: Path) -> list[Path]:
    """The folders ``git add``/``git commit`` write to for ``worktree`` that lie outside it.

    For a linked worktree: its own git dir (index, HEAD) and the shared ``objects``, ``refs`` and
    ``logs`` of the main repository; never the main repository's config or hooks. For a plain
    checkout the same three folders plus its ``.git`` (which Codex keeps read-only).
    """
    git_dir = _git_path(worktree, "--git-dir")
    common = _git_path(worktree, "--git-common-dir")
    (common / "logs").mkdir(exist_ok=True)
    found: list[Path] = []
    for path in [git_dir, *(common / name for name in ("objects", "refs", "logs"))]:
        if path not in found:
            found.append(path)
    return found


def _insert_after(argv: list[str], anchor: str, items: list[str]) -> list[str]:
    index = argv.index(anchor) + 1 if anchor in argv else 1
    return [*argv[:index], *items, *argv[index:]]


def _codex_home(env: dict[str, str], folder: Path) -> list[str]:
    """``CODEX_HOME`` in ``folder``; the ``-c`` options defining its provider."""
    home = folder / "codex-home"
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    env["CODEX_HOME"] = str(home)
    provider = f"model_providers.{CODEX_PROVIDER}"
    options = ["-c", f"model_provider={json.dumps(CODEX_PROVIDER)}"]
    for key, value in (
        ("name", "Solo Unicorn (OpenAI API key)"),
        ("base_url", env.get("OPENAI_BASE_URL") or DEFAULT_OPENAI_BASE_URL),
        ("env_key", "OPENAI_API_KEY"),
        ("wire_api", "responses"),
    ):
        options += ["-c", f"{provider}.{key}={json.dumps(value)}"]
    return options


def _opencode_config(argv: list[str], env: Mapping[str, str], folder: Path) -> Path:
    model = f"{CODEX_PROVIDER}/{OPENCODE_MODEL}"
    for flag in ("--model", "-m"):
        if flag in argv[:-1]:
            model = argv[argv.index(flag) + 1]
    provider, _, name = model.partition("/")
    config = {
        "$schema": "https://opencode.ai/config.json",
        "autoupdate": False,
        "share": "disabled",
        # Its own undo snapshots (a git copy of the worktree per step) cost seconds per step;
        # the mission branch is the record here.
        "snapshot": False,
        "permission": OPENCODE_PERMISSION,
        "provider": {
            CODEX_PROVIDER: {
                "npm": "@ai-sdk/openai-compatible",
                "name": "Solo Unicorn (OpenAI-compatible)",
                "options": {
                    "baseURL": env.get("OPENAI_BASE_URL") or DEFAULT_OPENAI_BASE_URL,
                    "apiKey": "{env:OPENAI_API_KEY}",
                },
                "models": {name: {"name": name}} if provider == CODEX_PROVIDER else {},
            }
        },
    }
    path = folder / "opencode.json"
    _write_private(path, json.dumps(config, indent=2) + "\n")
    return path


EXCLUDE_LINE = ".aider*"


def exclude_aider_files(worktree: Path) -> Path:
    """List ``.aider*`` in the repository's ``info/exclude`` (once); return that file."""
    exclude = _git_path(worktree, "--git-path", "info/exclude")
    exclude.parent.mkdir(parents=True, exist_ok=True)
    text = exclude.read_text(encoding="utf-8") if exclude.exists() else ""
    if EXCLUDE_LINE not in text.splitlines():
        prefix = "" if not text or text.endswith("\n") else "\n"
        with exclude.open("a", encoding="utf-8") as f:
            f.write(f"{prefix}# aider's files (added by solo-unicorn)\n{EXCLUDE_LINE}\n")
    return exclude
