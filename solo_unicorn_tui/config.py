"""Settings: ``config.json`` in the home folder, overridden by ``SOLO_UNICORN_…`` variables.

Nested settings use ``__`` in variable names (``SOLO_UNICORN_NOTIFICATIONS__BELL=false``).
Secrets never live here: the server password and GitHub token are in the OS keyring
(:mod:`solo_unicorn_tui.secrets`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from solo_unicorn_tui.app_log import DEFAULT_KEEP_DAYS
from solo_unicorn_tui.errors import ConfigError
from solo_unicorn_tui.home import Home


class NotificationSettings(BaseModel):
    bell: bool = True
    """Ring the terminal bell when a session ends or a mission needs review."""
    toast: bool = True
    """Show a toast on the board for the same events."""
    hook: list[str] | None = None
    """A command (argv list) run for each notification; the event is passed as JSON on stdin."""


class RetentionSettings(BaseModel):
    """How long finished work is kept (seeds 000, 001, 003); pruned by ``solo-unicorn gc``
    and the dispatcher's housekeeping. Nothing a mission not yet Done refers to is pruned."""

    sessions_days: float = Field(default=90.0, gt=0)
    """Agent session rows of Done missions, once ended this long ago."""
    logs_days: float = Field(default=30.0, gt=0)
    """Agent session logs (``sessions/{id}.log``) of Done missions, once ended this long ago."""
    fallback_runs_days: float = Field(default=180.0, gt=0)
    """Finished Mission Fallback runs and their items, once started this long ago."""
    tombstones_days: float = Field(default=90.0, gt=0)
    """Deleted rows (tombstones) removed from this replica once deleted this long ago; with a
    server, only after the server confirmed the delete."""
    app_log_days: int = Field(default=DEFAULT_KEEP_DAYS, gt=0)
    """Daily app log files (``logs/``) kept."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SOLO_UNICORN_",
        env_nested_delimiter="__",
        extra="ignore",
        validate_default=True,
    )

    server_url: str | None = None
    """PostgreSQL URL of the shared server (no password: that lives in the keyring)."""
    project_id: str | None = None
    """The project the board opens on; the default project when unset."""
    workspace_dir: Path | None = None
    """Where mission worktrees are created; ``{home}/workspaces`` when unset."""
    theme: str = "textual-dark"
    """The Textual theme of the board."""
    sync_interval_seconds: float = Field(default=30.0, gt=0)
    """How often to pull even without a server notification (the safety net)."""
    worktree_idle_days: float = Field(default=7.0, gt=0)
    """Worktrees unused this long are cleaned up (never with uncommitted work)."""
    max_recovery_attempts: int = Field(default=3, ge=0)
    """How often a failed mission is requeued before it is given up."""
    dispatch_on_start: bool = False
    """Start the background dispatcher when the board opens."""
    allow_offline_runs: bool = False
    """With a server configured but unreachable, still start missions here. Off by default:
    offline, this workstation cannot know whether another one runs the same mission (the
    server's claim wins on reconnect and the offline run is stopped). The board's ``r`` asks
    before such a run; a replica with no server always runs locally."""
    github_api_url: str = "https://api.github.com"
    """GitHub REST API base URL (change for GitHub Enterprise)."""
    notifications: NotificationSettings = NotificationSettings()
    heartbeat_seconds: float = Field(default=45.0, gt=0)
    """How often a running board or ``work`` records that this workstation is alive (synced)."""
    workstation_offline_minutes: float = Field(default=3.0, gt=0)
    """A workstation with no heartbeat for this long shows offline."""
    retention: RetentionSettings = RetentionSettings()
    keymap: dict[str, str] = {}
    """Key binding overrides: binding id → keys (e.g. ``{"new_mission": "ctrl+n"}``)."""

    @field_validator("server_url")
    @classmethod
    def _no_password_in_url(cls, value: str | None) -> str | None:
        if value and "@" in value.split("//", 1)[-1].split("/", 1)[0]:
            userinfo = value.split("//", 1)[-1].split("@", 1)[0]
            if ":" in userinfo:
                raise ValueError(
                    "must not contain a password; store it with 'solo-unicorn server login'"
                )
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings)


def _read_config_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"{path} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}); "
            "fix it or move it away to start from defaults"
        ) from None
    except RecursionError:
        raise ConfigError(
            f"{path} is nested too deeply to be a settings file; fix it or move it away"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object {{...}}, not {type(data).__name__}")
    return data


def load_settings(home: Home) -> Settings:
    """Defaults < config.json < environment variables."""
    file_values = _read_config_file(home.config_file)
    try:
        # Environment beats the file: build from the file, then let env override.
        from_env = Settings()
        env_fields = from_env.model_fields_set
        merged = {**file_values, **{k: getattr(from_env, k) for k in env_fields}}
        return Settings.model_validate(merged) if merged else from_env
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "config"
        raise ConfigError(
            f"setting {where!r} is invalid: {first['msg']} (check {home.config_file} and "
            "SOLO_UNICORN_* variables)"
        ) from None


def save_settings(home: Home, updates: dict[str, Any]) -> None:
    """Write keys into config.json, keeping the others as they are."""
    _write_config_file(home.config_file, updates)


def save_config_value(config_file: Path, key: str, value: Any) -> None:
    """Remember one setting chosen on the board (the theme, the project) in ``config_file``."""
    _write_config_file(config_file, {key: value})


def _write_config_file(path: Path, updates: dict[str, Any]) -> None:
    """Validate, then replace the file atomically: a crash never leaves half a config.json."""
    current = _read_config_file(path)
    current.update(updates)
    Settings.model_validate(current)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(current, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
