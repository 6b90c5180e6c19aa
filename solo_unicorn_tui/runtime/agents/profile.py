"""An agent profile: how to start one code agent (kept by ``runtime.agent_profiles``)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from solo_unicorn_tui.mcp.wiring import supports_mcp

PLACEHOLDERS = ("{prompt}", "{prompt_file}", "{mission_id}", "{worktree}", "{resume}")
#: An argv item that is exactly this expands to :attr:`AgentProfile.resume_args` when the
#: session continues the agent's previous conversation, and to nothing otherwise.
RESUME = "{resume}"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class AgentProfile(BaseModel):
    name: str
    """Unique name, used by ``--agent`` and shown on the board."""
    type: str = "command"
    """claude, codex, aider, gemini, opencode, or command (any program); picks the output
    parser (``runtime.agents.parsers``)."""
    argv: list[str] = Field(min_length=1)
    """Command and arguments; items may use {prompt} {prompt_file} {mission_id} {worktree};
    an item ``{resume}`` becomes ``resume_args`` when resuming."""
    env: dict[str, str] = {}
    """Extra environment variables for the agent (put no secret values in this file)."""
    pass_env: list[str] = []
    """Variables the agent inherits from this process by name, secrets included (for example
    ``ANTHROPIC_API_KEY``): the one way a secret reaches an agent, because its profile asks."""
    max_concurrency: int = Field(default=1, ge=1)
    """How many sessions of this profile may run at once on this workstation."""
    timeout_seconds: float = Field(default=3600.0, gt=0)
    """A session running longer is stopped (its whole process group) and counts as failed."""
    prompt_stdin: bool = False
    """Send the prompt on the agent's standard input (any size) instead of in an argument."""
    resume: bool = True
    """Continue the agent's own conversation after a rejection or a failure (when it has
    ``resume_args``)."""
    resume_args: list[str] = []
    """What ``{resume}`` becomes when resuming; items may use ``{agent_session_id}``."""
    api_key_env: str | None = None
    """The variable that carries the key stored with ``agent login NAME`` to this agent."""
    isolated_config: bool = False
    """Give the agent a configuration folder of its own under ``sessions/`` (one per mission)
    instead of the user's (gemini: ``GEMINI_CLI_HOME``)."""
    commit_leftovers: bool = True
    """After the session, commit what the agent left uncommitted in the worktree."""
    mcp: bool = True
    """Start each session with the ``solo-unicorn`` MCP server (claude, codex, gemini and
    opencode; aider has no MCP support), so the agent reports by tool calls, not the shell."""
    builtin: bool = Field(default=False, exclude=True)
    verified_version: str | None = Field(default=None, exclude=True)
    """The CLI version this built-in profile was verified against."""
    verified_below: str | None = Field(default=None, exclude=True)
    """The first version outside the verified range (``doctor`` warns from there on)."""

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("use letters, digits, '-', '_' or '.', at most 64 characters")
        return value

    @property
    def executable(self) -> str:
        return self.argv[0]

    def resolve_executable(self) -> str | None:
        """The program's full path, or None when it cannot be found."""
        program = self.argv[0]
        if os.sep in program or (os.altsep and os.altsep in program):
            path = Path(program).expanduser()
            return str(path) if path.is_file() and os.access(path, os.X_OK) else None
        return shutil.which(program)

    @property
    def available(self) -> bool:
        return self.resolve_executable() is not None

    @property
    def gets_mcp(self) -> bool:
        """Whether this profile's sessions get our MCP server: opted in, a CLI that supports it,
        and the program really is that CLI (the MCP flags are the CLI's own; a script that only
        prints that CLI's output format must not be handed them)."""
        return self.mcp and supports_mcp(self.type) and Path(self.argv[0]).name == self.type

    @property
    def can_resume(self) -> bool:
        return self.resume and bool(self.resume_args) and RESUME in self.argv

    def render_argv(
        self, values: Mapping[str, str], *, agent_session_id: str | None = None
    ) -> list[str]:
        """Substitute placeholders in each argv item (no shell: an item stays one argument)."""
        rendered: list[str] = []
        for item in self.argv:
            if item == RESUME:
                if agent_session_id is not None:
                    rendered.extend(
                        a.replace("{agent_session_id}", agent_session_id) for a in self.resume_args
                    )
                continue
            for key, value in values.items():
                item = item.replace("{" + key + "}", value)
            rendered.append(item)
        return rendered
