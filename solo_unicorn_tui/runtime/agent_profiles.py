"""Agent profiles: how to start each code agent, kept in ``code-agents.json`` in the home folder.

A profile's command is an argv list (never a shell string) whose items may contain the
placeholders ``{prompt}``, ``{prompt_file}``, ``{mission_id}`` and ``{worktree}``. Built-in
profiles exist for the common agent CLIs and are available only when their binary is on PATH;
``agent add`` stores plain-command profiles (any program can act as an agent).

File format::

    {"default": "claude", "agents": [{"name": ..., "type": "command", "argv": [...], ...}]}
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator

from solo_unicorn_tui.errors import ConfigError, UserError
from solo_unicorn_tui.home import Home

PLACEHOLDERS = ("{prompt}", "{prompt_file}", "{mission_id}", "{worktree}")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class AgentProfile(BaseModel):
    name: str
    """Unique name, used by ``--agent`` and shown on the board."""
    type: str = "command"
    """claude, codex, aider, gemini, opencode, or command (any program)."""
    argv: list[str] = Field(min_length=1)
    """Command and arguments; items may use {prompt} {prompt_file} {mission_id} {worktree}."""
    env: dict[str, str] = {}
    """Extra environment variables for the agent (put no secret values in this file)."""
    pass_env: list[str] = []
    """Variables the agent inherits from this process by name, secrets included (for example
    ``ANTHROPIC_API_KEY``): the one way a secret reaches an agent, because its profile asks."""
    max_concurrency: int = Field(default=1, ge=1)
    """How many sessions of this profile may run at once on this workstation."""
    timeout_seconds: float = Field(default=3600.0, gt=0)
    """A session running longer is stopped (its whole process group) and counts as failed."""
    builtin: bool = Field(default=False, exclude=True)

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

    def render_argv(self, values: Mapping[str, str]) -> list[str]:
        """Substitute placeholders in each argv item (no shell: an item stays one argument)."""
        rendered = []
        for item in self.argv:
            for key, value in values.items():
                item = item.replace("{" + key + "}", value)
            rendered.append(item)
        return rendered


BUILTIN_PROFILES: tuple[AgentProfile, ...] = (
    AgentProfile(
        name="claude",
        type="claude",
        argv=["claude", "--print", "--permission-mode", "acceptEdits", "{prompt}"],
        builtin=True,
    ),
    AgentProfile(
        name="codex", type="codex", argv=["codex", "exec", "--full-auto", "{prompt}"], builtin=True
    ),
    AgentProfile(
        name="aider",
        type="aider",
        argv=["aider", "--yes-always", "--no-check-update", "--message-file", "{prompt_file}"],
        builtin=True,
    ),
    AgentProfile(
        name="gemini",
        type="gemini",
        argv=["gemini", "--yolo", "--prompt", "{prompt}"],
        builtin=True,
    ),
    AgentProfile(
        name="opencode", type="opencode", argv=["opencode", "run", "{prompt}"], builtin=True
    ),
)


class AgentProfiles:
    """The profiles in force: built-ins, overridden or extended by ``code-agents.json``."""

    def __init__(self, path: Path, custom: list[AgentProfile], default: str | None) -> None:
        self.path = path
        self.custom = custom
        self.default_name = default

    @classmethod
    def load(cls, home: Home) -> AgentProfiles:
        path = home.agents_file
        if not path.exists():
            return cls(path, [], None)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ConfigError(
                f"{path} is not valid JSON (line {error.lineno}: {error.msg}); "
                "fix it or move it away"
            ) from None
        except OSError as error:
            raise ConfigError(f"cannot read {path}: {error.strerror}") from None
        if not isinstance(data, dict) or not isinstance(data.get("agents", []), list):
            raise ConfigError(f'{path} must hold {{"default": NAME, "agents": [...]}}')
        custom = []
        for index, item in enumerate(data.get("agents", [])):
            try:
                custom.append(AgentProfile.model_validate(item))
            except ValidationError as error:
                first = error.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise ConfigError(
                    f"{path}: agent #{index + 1} field {where!r}: {first['msg']}"
                ) from None
        default = data.get("default")
        return cls(path, custom, default if isinstance(default, str) else None)

    def save(self) -> None:
        data = {
            "default": self.default_name,
            "agents": [p.model_dump(mode="json") for p in self.custom],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        tmp.replace(self.path)

    def all(self) -> list[AgentProfile]:
        """Every profile, custom ones first; a custom profile hides a built-in of the same name."""
        names = {p.name for p in self.custom}
        return [*self.custom, *(p for p in BUILTIN_PROFILES if p.name not in names)]

    def get(self, name: str) -> AgentProfile:
        for profile in self.all():
            if profile.name == name:
                return profile
        known = ", ".join(p.name for p in self.all())
        raise UserError(
            f"no agent profile named {name!r} (known: {known}); see 'solo-unicorn agent list'"
        )

    def default(self) -> AgentProfile | None:
        """The default profile: the configured one, else the first available one."""
        if self.default_name:
            try:
                return self.get(self.default_name)
            except UserError:
                pass
        return next((p for p in self.all() if p.available), None)

    def add(self, profile: AgentProfile, *, make_default: bool = False) -> None:
        self.custom = [p for p in self.custom if p.name != profile.name] + [profile]
        if make_default or not self.default_name:
            self.default_name = profile.name

    def remove(self, name: str) -> None:
        if not any(p.name == name for p in self.custom):
            if any(p.name == name for p in BUILTIN_PROFILES):
                raise UserError(f"{name!r} is a built-in profile and cannot be removed")
            raise UserError(f"no agent profile named {name!r}; see 'solo-unicorn agent list'")
        self.custom = [p for p in self.custom if p.name != name]
        if self.default_name == name:
            self.default_name = None
