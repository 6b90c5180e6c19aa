"""The built-in agent profiles, each verified against a real CLI version (see AGENT-CLIS.md).

Each is non-interactive, streams machine-readable events, gets only its own provider's
variables, and keeps the CLI's outside traffic (telemetry, auto-update, title calls) off.
"""

from __future__ import annotations

from solo_unicorn_tui.runtime.agents.profile import RESUME, AgentProfile

#: What claude may do without asking in ``--print`` mode: edit files, and run git and our CLI.
CLAUDE_ALLOWED_TOOLS = (
    "Bash(git add:*)",
    "Bash(git commit:*)",
    "Bash(git status:*)",
    "Bash(git diff:*)",
    "Bash(git log:*)",
    "Bash(git rm:*)",
    "Bash(git mv:*)",
    "Bash(solo-unicorn:*)",
    "Write",
    "Edit",
    "MultiEdit",
    "Read",
    "Glob",
    "Grep",
    "LS",
    "TodoWrite",
)

CLAUDE = AgentProfile(
    name="claude",
    type="claude",
    # The prompt comes on standard input: no argument-size limit, and --allowedTools (which
    # takes several values) cannot swallow it.
    argv=[
        "claude",
        "--print",
        "--output-format",
        "stream-json",
        "--verbose",
        RESUME,
        "--allowedTools",
        *CLAUDE_ALLOWED_TOOLS,
    ],
    prompt_stdin=True,
    resume_args=["--resume", "{agent_session_id}"],
    env={
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_ERROR_REPORTING": "1",
    },
    pass_env=["ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"],
    api_key_env="ANTHROPIC_API_KEY",
    builtin=True,
    verified_version="2.1.197",
    verified_below="2.2.0",
)

GEMINI = AgentProfile(
    name="gemini",
    type="gemini",
    # Without a terminal on stdin gemini runs headless and reads the prompt from it.
    # ``auto_edit`` allows its file tools (write_file, replace) and does not offer the shell
    # tool at all; our MCP server is trusted in its settings, and the runner commits the work.
    argv=[
        "gemini",
        "--skip-trust",
        "--approval-mode",
        "auto_edit",
        "--output-format",
        "stream-json",
        RESUME,
    ],
    prompt_stdin=True,
    resume_args=["--resume", "{agent_session_id}"],
    env={"GEMINI_TELEMETRY_ENABLED": "false"},
    pass_env=["GEMINI_API_KEY", "GOOGLE_GEMINI_BASE_URL"],
    api_key_env="GEMINI_API_KEY",
    isolated_config=True,
    builtin=True,
    verified_version="0.61.0",
    verified_below="0.62.0",
)

#: Gemini CLI's settings in its isolated folder: API-key auth, no usage statistics, no updates.
GEMINI_SETTINGS = {
    "security": {"auth": {"selectedType": "gemini-api-key"}},
    "privacy": {"usageStatisticsEnabled": False},
    "telemetry": {"enabled": False},
    "general": {"enableAutoUpdate": False, "enableAutoUpdateNotification": False},
}

DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1"
#: The provider name codex and opencode are configured with (``runtime.agents.launch``).
CODEX_PROVIDER = "solo_unicorn"
OPENCODE_MODEL = "gpt-5.1"
#: opencode's permissions in its isolated config: file edits (``edit`` covers edit, write and
#: apply_patch) and our MCP tools (``solo-unicorn_*``) without a prompt, no shell at all.
OPENCODE_PERMISSION = {"edit": "allow", "bash": "deny", "solo-unicorn_*": "allow"}
AIDER_MODEL = "openai/gpt-5.1"
OPENAI_ENV = ["OPENAI_API_KEY", "OPENAI_BASE_URL"]

CODEX = AgentProfile(
    name="codex",
    type="codex",
    # ``--sandbox workspace-write`` plus the worktree's git folders (added at launch) lets it
    # commit; ``--disable unified_exec`` makes its shell calls appear as ``command_execution``
    # items in ``--json``. ``-`` reads the prompt from standard input; resuming is
    # ``codex exec [OPTIONS] resume ID -``.
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
        RESUME,
        "-",
    ],
    prompt_stdin=True,
    resume_args=["resume", "{agent_session_id}"],
    pass_env=OPENAI_ENV,
    api_key_env="OPENAI_API_KEY",
    isolated_config=True,
    builtin=True,
    verified_version="0.171.0",
    verified_below="0.172.0",
)

OPENCODE = AgentProfile(
    name="opencode",
    type="opencode",
    # ``--title`` saves the extra title request; the prompt comes on standard input.
    argv=[
        "opencode",
        "run",
        "--format",
        "json",
        "--title",
        "{mission_id}",
        "--model",
        f"{CODEX_PROVIDER}/{OPENCODE_MODEL}",
        RESUME,
    ],
    prompt_stdin=True,
    resume_args=["--session", "{agent_session_id}"],
    env={
        "OPENCODE_DISABLE_AUTOUPDATE": "1",
        "OPENCODE_DISABLE_MODELS_FETCH": "1",
        "OPENCODE_DISABLE_SHARE": "1",
        "OPENCODE_DISABLE_LSP_DOWNLOAD": "1",
        "OPENCODE_DISABLE_DEFAULT_PLUGINS": "1",
        "OPENCODE_DISABLE_CLAUDE_CODE": "1",
    },
    pass_env=OPENAI_ENV,
    api_key_env="OPENAI_API_KEY",
    isolated_config=True,
    builtin=True,
    verified_version="1.18.33",
    verified_below="1.19.0",
)

AIDER = AgentProfile(
    name="aider",
    type="aider",
    # Plain text (``--no-pretty``); the prompt in a file. aider has no conversation id to
    # resume (only ``--restore-chat-history`` of a whole file), so a retry starts fresh with
    # the full prompt. ``LITELLM_LOCAL_MODEL_COST_MAP`` stops litellm fetching its price list.
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
    resume=False,
    env={"LITELLM_LOCAL_MODEL_COST_MAP": "True"},
    pass_env=[*OPENAI_ENV, "OPENAI_API_BASE"],
    api_key_env="OPENAI_API_KEY",
    isolated_config=True,
    builtin=True,
    verified_version="0.86.2",
    verified_below="0.87.0",
)

BUILTIN_PROFILES: tuple[AgentProfile, ...] = (CLAUDE, CODEX, AIDER, GEMINI, OPENCODE)
