"""Running the CLI in tests: the output of a run that must succeed."""

from __future__ import annotations

from typing import Any


def ok(done: Any) -> str:
    """The output of a CLI run that must succeed (its output in the failure message)."""
    assert done.returncode == 0, done.stdout + done.stderr
    return str(done.stdout)
