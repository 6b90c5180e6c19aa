"""Names the schema fixes, importable without SQLAlchemy (command-line parsers use them)."""

from __future__ import annotations

MISSION_LISTS = ("todo", "doing", "review", "done")
