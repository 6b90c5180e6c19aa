"""The real agent CLIs for the conformance tests: found in the project's ``.agent-clis/``
(``scripts/install_agent_clis.sh``) or in ``$SOLO_UNICORN_AGENT_CLIS`` (a folder holding
``node_modules/.bin``). Missing there, the tests skip with how to enable them — except in CI
(``CI=true`` or ``SOLO_UNICORN_REQUIRE_AGENTS=1``), where a missing CLI fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOW_TO = (
    "the real agent CLIs are not installed: run scripts/install_agent_clis.sh (or point "
    "SOLO_UNICORN_AGENT_CLIS at a folder with node_modules/.bin/{name}) to run these tests"
)


def agent_clis_dir() -> Path:
    configured = os.environ.get("SOLO_UNICORN_AGENT_CLIS")
    return Path(configured) if configured else ROOT / ".agent-clis"


def required() -> bool:
    return (
        os.environ.get("CI", "").lower() in ("1", "true", "yes")
        or os.environ.get("SOLO_UNICORN_REQUIRE_AGENTS") == "1"
    )


def agent_bin(name: str) -> Path:
    """The folder holding the CLI ``name`` (skip or fail when it is not installed)."""
    folder = agent_clis_dir() / "node_modules" / ".bin"
    if not (folder / name).exists():
        message = HOW_TO.format(name=name) + f" (looked in {folder})"
        if required():
            pytest.fail(message + "; required in CI")
        pytest.skip(message)
    return folder


@pytest.fixture
def claude_bin() -> Path:
    return agent_bin("claude")


@pytest.fixture
def gemini_bin() -> Path:
    return agent_bin("gemini")


@pytest.fixture(autouse=True)
def _user_home(home):  # type: ignore[no-untyped-def]
    """Every conformance test runs in a temporary solo-unicorn home with the test keyring."""
    return home
