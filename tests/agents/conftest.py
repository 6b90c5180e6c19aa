"""The real agent CLIs for the conformance tests: found in the project's ``.agent-clis/``
(``scripts/install_agent_clis.sh``) or in ``$SOLO_UNICORN_AGENT_CLIS``, as
``node_modules/.bin/NAME`` (claude, codex, gemini, opencode) or ``aider-venv/bin/NAME``
(aider). Missing there, the tests skip with how to enable them — except in CI (``CI=true`` or
``SOLO_UNICORN_REQUIRE_AGENTS=1``), where a missing CLI fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYOUT = ("node_modules/.bin", "aider-venv/bin", "bin")
# Read at import: the ``home`` fixture clears every SOLO_UNICORN_* variable for the test itself.
_CLIS_DIR = os.environ.get("SOLO_UNICORN_AGENT_CLIS")
HOW_TO = (
    "the real {name!r} CLI is not installed (looked in {where}): run "
    "scripts/install_agent_clis.sh, or point SOLO_UNICORN_AGENT_CLIS at a folder holding "
    "node_modules/.bin/ and aider-venv/bin/, to run these tests"
)


def cli_dirs() -> list[Path]:
    dirs = [ROOT / ".agent-clis"]
    if _CLIS_DIR:
        dirs.insert(0, Path(_CLIS_DIR).expanduser())
    return dirs


def find_cli(name: str) -> Path | None:
    for base in cli_dirs():
        for sub in LAYOUT:
            path = base / sub / name
            if path.is_file() and os.access(path, os.X_OK):
                return path
    return None


def required() -> bool:
    return (
        os.environ.get("CI", "").lower() in ("1", "true", "yes")
        or os.environ.get("SOLO_UNICORN_REQUIRE_AGENTS") == "1"
    )


def agent_cli(name: str) -> Path:
    """The CLI ``name`` (skip, or in CI fail, when it is not installed)."""
    path = find_cli(name)
    if path is not None:
        return path
    message = HOW_TO.format(name=name, where=" or ".join(str(d) for d in cli_dirs()))
    if required():
        pytest.fail(message + "; required in CI")
    pytest.skip(message)


@pytest.fixture
def claude_bin() -> Path:
    return agent_cli("claude")


@pytest.fixture
def gemini_bin() -> Path:
    return agent_cli("gemini")


@pytest.fixture
def codex_bin() -> Path:
    return agent_cli("codex")


@pytest.fixture
def opencode_bin() -> Path:
    return agent_cli("opencode")


@pytest.fixture
def aider_bin() -> Path:
    return agent_cli("aider")


@pytest.fixture(autouse=True)
def _user_home(home):  # type: ignore[no-untyped-def]
    """Every conformance test runs in a temporary solo-unicorn home with the test keyring."""
    return home
