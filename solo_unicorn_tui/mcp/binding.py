"""What one MCP server serves: a project, for a session its mission, and the replica.

An agent CLI waits for the server's handshake before its first model call, so the server answers
it before SQLAlchemy and the ORM are imported (they cost more than the SDK itself):
``solo-unicorn mcp`` finds the project and mission with the standard library's ``sqlite3``
(:func:`quick_binding`), and the replica is opened as a :class:`~storage.database.Database`
when the agent has listed the tools (in the background) or at the first call, whichever comes
first (:meth:`Binding.open`).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.database import Database
    from storage.quick_reads import Replica


class Binding:
    """One replica, one project and, for a session, one mission: the only one whose documents
    the tools may change."""

    def __init__(
        self,
        db: Database | None,
        project_id: str,
        project_name: str,
        mission_id: str | None = None,
        *,
        replica: Path | None = None,
    ) -> None:
        if db is None and replica is None:
            raise ValueError("a binding needs an open database or the replica's path")
        self._db = db
        self._replica = replica
        self._opening = asyncio.Lock()
        self.project_id = project_id
        self.project_name = project_name
        self.mission_id = mission_id

    @property
    def db(self) -> Database:
        if self._db is None:
            raise RuntimeError("the replica is not open yet: await Binding.open() first")
        return self._db

    async def open(self) -> Database:
        """The replica as a :class:`~storage.database.Database`, opened on the first call."""
        async with self._opening:
            if self._db is None:
                from storage.database import Database, sqlite_url

                assert self._replica is not None
                self._db = await Database.open(sqlite_url(self._replica))
        return self._db

    async def close(self) -> None:
        if self._db is not None and self._replica is not None:
            await self._db.close()
            self._db = None


def quick_binding(replica: Replica, path: Path, project_id: str, mission: str | None) -> Binding:
    """The binding of a server for ``project_id`` (for a session, of ``mission``, whose project
    decides: the runner starts agents of any project), read over ``sqlite3``."""
    from storage import quick_reads
    from storage.errors import NotFoundError

    mission_id = None
    if mission:
        mission_id = quick_reads.resolve_mission_id(replica, mission)
        project_id = quick_reads.get_mission(replica, mission_id)["project_id"]
    found = replica.rows(
        "SELECT id, name FROM projects WHERE id = ? AND deleted = 0", (project_id,)
    )
    if not found:
        raise NotFoundError("project", project_id)
    return Binding(None, project_id, found[0]["name"], mission_id, replica=path)
