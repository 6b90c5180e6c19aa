"""An agent's API key in the OS keyring (``agent login NAME``), handed only to that agent."""

from __future__ import annotations

from solo_unicorn_tui import secrets
from solo_unicorn_tui.runtime.agents.profile import AgentProfile


def key_name(profile_name: str) -> str:
    return f"agent-api-key:{profile_name}"


def store_api_key(profile: AgentProfile, key: str) -> None:
    secrets.set_secret(key_name(profile.name), key)


def forget_api_key(profile: AgentProfile) -> None:
    secrets.delete_secret(key_name(profile.name))


def api_key_environment(profile: AgentProfile) -> dict[str, str]:
    """``{api_key_env: key}`` when a key is stored for this profile, else nothing."""
    if not profile.api_key_env:
        return {}
    key = secrets.get_secret(key_name(profile.name))
    return {profile.api_key_env: key} if key else {}
