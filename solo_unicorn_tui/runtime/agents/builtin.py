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
    argv=["gemini", "--skip-trust", "--yolo", "--output-format", "stream-json", RESUME],
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

# codex, aider and opencode: their verified profiles come with their parsers (issue 12, the
# OpenAI-dialect half); until then these are the earlier, unverified definitions.
CODEX = AgentProfile(
    name="codex", type="codex", argv=["codex", "exec", "--full-auto", "{prompt}"], builtin=True
)
AIDER = AgentProfile(
    name="aider",
    type="aider",
    argv=["aider", "--yes-always", "--no-check-update", "--message-file", "{prompt_file}"],
    builtin=True,
)
OPENCODE = AgentProfile(
    name="opencode", type="opencode", argv=["opencode", "run", "{prompt}"], builtin=True
)

BUILTIN_PROFILES: tuple[AgentProfile, ...] = (CLAUDE, CODEX, AIDER, GEMINI, OPENCODE)
