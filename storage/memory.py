"""Project memory: one markdown text per project that goes into every agent prompt."""

from __future__ import annotations

from storage import validation
from storage.changes import ChangeWriter
from storage.database import Database
from storage.models import Project
from storage.rows import fetch_row

projects = Project.__table__
MEMORY_MAX = 100_000


async def get_memory(db: Database, project_id: str) -> str:
    async with db.read() as conn:
        project = await fetch_row(conn, projects, project_id, "project")
    return project["memory"] or ""


async def set_memory(db: Database, project_id: str, text: str) -> str:
    """Replace the project's memory; an empty text clears it."""
    memory = validation.long_text(text, "memory", MEMORY_MAX) or ""
    async with db.write() as conn:
        await fetch_row(conn, projects, project_id, "project")
        await ChangeWriter(db, conn).update(projects, project_id, {"memory": memory or None})
    return memory
