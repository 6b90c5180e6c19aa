"""Secrets in the OS keyring, never in config files, logs or the database."""

from __future__ import annotations

import contextlib
import os

import keyring
from keyring.errors import KeyringError, NoKeyringError

from solo_unicorn_tui.errors import UserError

SERVICE = "solo-unicorn"
SERVER_PASSWORD = "server-password"
GITHUB_TOKEN = "github-token"
#: Environment fallbacks for machines without a keyring backend (CI, containers).
ENV_FALLBACK = {
    SERVER_PASSWORD: "SOLO_UNICORN_SERVER_PASSWORD",
    GITHUB_TOKEN: "SOLO_UNICORN_GITHUB_TOKEN",
}


def keyring_backend_name() -> str:
    backend = keyring.get_keyring()
    return f"{type(backend).__module__}.{type(backend).__name__}"


def keyring_usable() -> bool:
    return keyring.get_keyring().priority > 0


def get_secret(name: str) -> str | None:
    env_value = os.environ.get(ENV_FALLBACK.get(name, ""), "")
    if env_value:
        return env_value
    try:
        return keyring.get_password(SERVICE, name)
    except NoKeyringError:
        return None
    except KeyringError as error:
        raise UserError(f"cannot read {name} from the OS keyring: {error}") from None


def stored_secret(name: str) -> bool:
    """Whether the keyring (not the environment) holds ``name``."""
    try:
        return keyring.get_password(SERVICE, name) is not None
    except KeyringError:
        return False


def set_secret(name: str, value: str) -> None:
    try:
        keyring.set_password(SERVICE, name, value)
    except NoKeyringError:
        raise UserError(
            "no OS keyring is available to store the secret; install one (for example "
            "'pip install keyrings.alt' or a Secret Service daemon), or set "
            f"{ENV_FALLBACK.get(name, 'the environment variable')} instead"
        ) from None
    except KeyringError as error:
        raise UserError(f"cannot store {name} in the OS keyring: {error}") from None


def delete_secret(name: str) -> None:
    with contextlib.suppress(KeyringError, NoKeyringError):
        keyring.delete_password(SERVICE, name)
