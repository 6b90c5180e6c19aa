"""Built-in profiles for the agents that speak OpenAI's APIs: Codex, opencode and aider.

Each was run, at the version in :data:`VERIFIED_VERSIONS`, against the local stand-in of its
model API (``tests/agents/``). A profile is an ordinary :class:`AgentProfile` (argv, env, the
provider variables it may inherit); what depends on the session — a private config folder, the
worktree's git folders — is added by :func:`prepare_launch` just before the agent starts:

- **codex** ``exec --json`` with ``--sandbox workspace-write``. In a git worktree the index and
  refs live in the main repository's ``.git`` (``.git/worktrees/NAME``, ``objects``, ``refs``,
  ``logs``), outside the workspace, so Codex could write files but not commit. Those four
  folders are added as writable roots (``--add-dir``), the main ``.git``'s config and hooks stay
  read-only. ``--disable unified_exec`` makes its shell calls appear as ``command_execution``
  items in ``--json`` (with unified exec they do not appear at all). Its provider is defined on
  the command line from ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``, and ``CODEX_HOME`` is a folder
  of the session, never ``~/.codex``. The prompt comes on standard input (``-``).
- **opencode** ``run --format json``; its provider lives in a config file of the session
  (``OPENCODE_CONFIG``, openai-compatible, ``baseURL`` from ``OPENAI_BASE_URL``), the key is
  read from the environment by opencode itself (``{env:OPENAI_API_KEY}``) so it is never written
  to disk. ``--title`` saves the extra title request; model-list fetches, auto-update, sharing,
  LSP downloads and default plugins (npm installs) are off.
- **aider** plain text with ``--no-pretty``, the prompt in ``--message-file``. Its chat history
  goes to the session folder, and ``.aider*`` (the repo-map cache it writes in the worktree) is
  listed in the repository's ``info/exclude``, so nothing of aider's is committed or left dirty.
  ``LITELLM_LOCAL_MODEL_COST_MAP`` stops litellm fetching its price list from GitHub.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from solo_unicorn_tui.runtime.agent_profiles import AgentProfile

VERIFIED_VERSIONS: dict[str, str] = {"codex": "0.171.0", "opencode": "1.18.33", "aider": "0.86.2"}

PromptDelivery = Literal["stdin", "file", "argv"]

#: How each CLI takes the prompt: never as an argv item that could exceed the system limit.
PROMPT_DELIVERY: dict[str, PromptDelivery] = {
    "codex": "stdin",
    "opencode": "stdin",
    "aider": "file",
}

#: The provider variables each CLI may inherit (its key and endpoint, nothing else).
PROVIDER_ENV: dict[str, list[str]] = {
    "codex": ["OPENAI_API_KEY", "OPENAI_BASE_URL"],
    "opencode": ["OPENAI_API_KEY", "OPENAI_BASE_URL"],
    "aider": ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE"],
}

DEFAULT_BASE_URL = "https://api.openai.com/v1"
CODEX_PROVIDER = "solo_unicorn"
OPENCODE_PROVIDER = "solo_unicorn"
OPENCODE_MODEL = "gpt-5.1"
AIDER_MODEL = "openai/gpt-5.1"

CODEX_PROFILE = AgentProfile(
    name="codex",
    type="codex",
    argv=[
        "codex",
        "exec",
        "--json",
        "--sandbox",
        "workspace-write",
        "--disable",
        "unified_exec",
        "-c",
        "check_for_update_on_startup=false",
        "-C",
        "{worktree}",
        "-",
    ],
    pass_env=PROVIDER_ENV["codex"],
    builtin=True,
)

OPENCODE_PROFILE = AgentProfile(
    name="opencode",
    type="opencode",
    argv=[
        "opencode",
        "run",
        "--format",
        "json",
        "--title",
        "{mission_id}",
        "--model",
        f"{OPENCODE_PROVIDER}/{OPENCODE_MODEL}",
    ],
    env={
        "OPENCODE_DISABLE_AUTOUPDATE": "1",
        "OPENCODE_DISABLE_MODELS_FETCH": "1",
        "OPENCODE_DISABLE_SHARE": "1",
        "OPENCODE_DISABLE_LSP_DOWNLOAD": "1",
        "OPENCODE_DISABLE_DEFAULT_PLUGINS": "1",
        "OPENCODE_DISABLE_CLAUDE_CODE": "1",
    },
    pass_env=PROVIDER_ENV["opencode"],
    builtin=True,
)

AIDER_PROFILE = AgentProfile(
    name="aider",
    type="aider",
    argv=[
        "aider",
        "--yes-always",
        "--no-check-update",
        "--no-pretty",
        "--analytics-disable",
        "--no-show-model-warnings",
        "--no-gitignore",
        "--model",
        AIDER_MODEL,
        "--message-file",
        "{prompt_file}",
    ],
    env={"LITELLM_LOCAL_MODEL_COST_MAP": "True"},
    pass_env=PROVIDER_ENV["aider"],
    builtin=True,
)

BUILTIN_OPENAI_PROFILES: tuple[AgentProfile, ...] = (CODEX_PROFILE, OPENCODE_PROFILE, AIDER_PROFILE)


@dataclass
class Launch:
    """What starts one agent process: argv, environment, and the file on its standard input."""

    argv: list[str]
    env: dict[str, str]
    stdin_path: Path | None = None
    files: list[Path] = field(default_factory=list)
    """Files and folders made for this session (kept with the session's log)."""


class LaunchError(Exception):
    """The session's agent cannot be prepared (say why in one line)."""


def session_folder(sessions_dir: Path, session_id: str) -> Path:
    """The private folder of one session's agent state (next to ``{id}.log``)."""
    return sessions_dir / f"{session_id}.agent"


def _git_path(worktree: Path, *args: str) -> Path:
    try:
        out = subprocess.run(
            ["git", "-C", str(worktree), "rev-parse", "--path-format=absolute", *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as error:
        raise LaunchError(f"cannot read the git folders of {worktree}: {error}") from None
    return Path(out)


def git_writable_dirs(worktree: Path) -> list[Path]:
    """The folders ``git add``/``git commit`` write to for ``worktree`` that lie outside it.

    For a linked worktree: its own git dir (index, HEAD) and the shared ``objects``, ``refs`` and
    ``logs`` of the main repository; never the main repository's config or hooks. For a plain
    checkout the ``.git`` inside the worktree (which Codex keeps read-only) — the same three
    shared folders plus the git dir itself.
    """
    git_dir = _git_path(worktree, "--git-dir")
    common = _git_path(worktree, "--git-common-dir")
    (common / "logs").mkdir(exist_ok=True)
    dirs = [git_dir] + [common / name for name in ("objects", "refs", "logs")]
    seen: list[Path] = []
    for path in dirs:
        if path not in seen:
            seen.append(path)
    return seen


def _insert_after(argv: list[str], anchor: str, items: list[str]) -> list[str]:
    index = argv.index(anchor) + 1 if anchor in argv else 1
    return [*argv[:index], *items, *argv[index:]]


def _toml_string(value: str) -> str:
    return json.dumps(value)


def _prepare_codex(argv: list[str], env: dict[str, str], worktree: Path, folder: Path) -> Launch:
    home = folder / "codex-home"
    home.mkdir(parents=True, exist_ok=True)
    env["CODEX_HOME"] = str(home)
    base_url = env.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
    provider = f"model_providers.{CODEX_PROVIDER}"
    options = ["-c", f"model_provider={_toml_string(CODEX_PROVIDER)}"]
    for key, value in (
        ("name", _toml_string("Solo Unicorn (OpenAI API key)")),
        ("base_url", _toml_string(base_url)),
        ("env_key", _toml_string("OPENAI_API_KEY")),
        ("wire_api", _toml_string("responses")),
    ):
        options += ["-c", f"{provider}.{key}={value}"]
    for path in git_writable_dirs(worktree):
        options += ["--add-dir", str(path)]
    return Launch(_insert_after(argv, "exec", options), env, files=[home])


def _opencode_model(argv: list[str]) -> str:
    for flag in ("--model", "-m"):
        if flag in argv[:-1]:
            return argv[argv.index(flag) + 1]
    return f"{OPENCODE_PROVIDER}/{OPENCODE_MODEL}"


def _prepare_opencode(argv: list[str], env: dict[str, str], folder: Path) -> Launch:
    folder.mkdir(parents=True, exist_ok=True)
    provider, _, model = _opencode_model(argv).partition("/")
    config = {
        "$schema": "https://opencode.ai/config.json",
        "autoupdate": False,
        "share": "disabled",
        "permission": {"edit": "allow", "bash": "allow"},
        "provider": {
            OPENCODE_PROVIDER: {
                "npm": "@ai-sdk/openai-compatible",
                "name": "Solo Unicorn (OpenAI-compatible)",
                "options": {
                    "baseURL": env.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL,
                    "apiKey": "{env:OPENAI_API_KEY}",
                },
                "models": {model: {"name": model}} if provider == OPENCODE_PROVIDER else {},
            }
        },
    }
    path = folder / "opencode.json"
    path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    env["OPENCODE_CONFIG"] = str(path)
    return Launch(argv, env, files=[path])


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


def _prepare_aider(argv: list[str], env: dict[str, str], worktree: Path, folder: Path) -> Launch:
    folder.mkdir(parents=True, exist_ok=True)
    if env.get("OPENAI_BASE_URL") and not env.get("OPENAI_API_BASE"):
        env["OPENAI_API_BASE"] = env["OPENAI_BASE_URL"]
    exclude_aider_files(worktree)
    history = [
        "--chat-history-file",
        str(folder / "aider.chat.history.md"),
        "--input-history-file",
        str(folder / "aider.input.history"),
    ]
    return Launch([*argv, *history], env, files=[folder])


def prepare_launch(
    profile: AgentProfile,
    argv: list[str],
    env: Mapping[str, str],
    *,
    worktree: Path,
    folder: Path,
    prompt_file: Path,
) -> Launch:
    """Complete a rendered argv/env for this session's agent (see the module docstring).

    ``folder`` is the session's private folder (:func:`session_folder`). A profile whose type is
    not one of these three, or a custom profile of these types, gets the same treatment by type.
    """
    env = dict(env)
    if profile.type == "codex":
        launch = _prepare_codex(argv, env, worktree, folder)
    elif profile.type == "opencode":
        launch = _prepare_opencode(argv, env, folder)
    elif profile.type == "aider":
        launch = _prepare_aider(argv, env, worktree, folder)
    else:
        return Launch(list(argv), env)
    if PROMPT_DELIVERY.get(profile.type) == "stdin" and "{prompt}" not in profile.argv:
        launch.stdin_path = prompt_file
    return launch


def read_version(executable: str, env: Mapping[str, str] | None = None) -> str | None:
    """The CLI's version as it reports it (``codex-cli 0.171.0`` → ``0.171.0``), or None."""
    try:
        out = subprocess.run(
            [executable, "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            env=dict(env) if env is not None else dict(os.environ),
            stdin=subprocess.DEVNULL,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    words = out.strip().split()
    return words[-1] if words else None
