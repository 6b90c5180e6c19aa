"""Where the real agent CLIs are for the conformance tests, and what to do when one is missing.

Looked for in ``.agent-clis/`` of the checkout (``scripts/install_agent_clis.sh`` installs
there), then in ``$SOLO_UNICORN_AGENT_CLIS``: ``node_modules/.bin/NAME``,
``aider-venv/bin/NAME`` or ``bin/NAME``. In CI (``CI=true`` or
``SOLO_UNICORN_REQUIRE_AGENTS=1``) a missing CLI fails the test; elsewhere it is skipped with
how to enable it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYOUT = ("node_modules/.bin", "aider-venv/bin", "bin")
# Read at import: the ``home`` fixture clears every SOLO_UNICORN_* variable for the test itself.
_CLIS_DIR = os.environ.get("SOLO_UNICORN_AGENT_CLIS")
_REQUIRED = (
    os.environ.get("CI", "").lower() in ("1", "true", "yes")
    or os.environ.get("SOLO_UNICORN_REQUIRE_AGENTS") == "1"
)


def cli_dirs() -> list[Path]:
    dirs = [ROOT / ".agent-clis"]
    if _CLIS_DIR:
        dirs.append(Path(_CLIS_DIR).expanduser())
    return dirs


def find_cli(name: str) -> Path | None:
    for base in cli_dirs():
        for sub in LAYOUT:
            path = base / sub / name
            if path.is_file() and os.access(path, os.X_OK):
                return path
    return None


def agents_required() -> bool:
    return _REQUIRED


def require_cli(name: str) -> Path:
    """The CLI's path; skip (or, in CI, fail) with how to install it when it is missing."""
    path = find_cli(name)
    if path is not None:
        return path
    where = " or ".join(str(d) for d in cli_dirs())
    message = (
        f"the real {name!r} CLI is not installed (looked in {where}); run "
        "scripts/install_agent_clis.sh, or point SOLO_UNICORN_AGENT_CLIS at a folder holding "
        "node_modules/.bin/ and aider-venv/bin/"
    )
    if agents_required():
        pytest.fail(message)
    pytest.skip(message)
