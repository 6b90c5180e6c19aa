"""Agent profiles: how to start each code agent, kept in ``code-agents.json`` in the home folder.

A profile's command is an argv list (never a shell string) whose items may contain the
placeholders ``{prompt}``, ``{prompt_file}``, ``{mission_id}``, ``{worktree}`` (and ``{resume}``).
Built-in profiles (``runtime.agents.builtin``) exist for the common agent CLIs and are available
only when their binary is on PATH;
``agent add`` stores plain-command profiles (any program can act as an agent).

File format::

    {"default": "claude", "agents": [{"name": ..., "type": "command", "argv": [...], ...}]}
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from solo_unicorn_tui.errors import ConfigError, UserError
from solo_unicorn_tui.home import Home
from solo_unicorn_tui.runtime.agents.builtin import BUILTIN_PROFILES
from solo_unicorn_tui.runtime.agents.profile import PLACEHOLDERS, AgentProfile

__all__ = ["BUILTIN_PROFILES", "PLACEHOLDERS", "AgentProfile", "AgentProfiles"]


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
        except RecursionError:
            raise ConfigError(f"{path} is nested too deeply; fix it or move it away") from None
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
