"""The board's data layer: every read and write the widgets need, as async calls.

Widgets call these from workers; nothing here touches Textual. Writes go through the storage
domain operations (row + event + outbox in one transaction); reads use the minimal-column
queries in :mod:`storage.board_queries`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from storage import board_queries as q
from storage import missions as ops
from storage import review
from storage.board_queries import BoardFilter, BoardHeader, CardRow, TemplateRow
from storage.database import Database
from storage.identity import list_projects
from storage.models import MISSION_LISTS, Mission, MissionEvent, Project


@dataclass
class MissionDetail:
    mission: Mission
    events: list[MissionEvent]
    blockers: list[tuple[str, str, str]] = field(default_factory=list)


class BoardData:
    """One open replica seen as a board of one project, under one filter."""

    def __init__(
        self,
        db: Database,
        organization_id: str,
        project_id: str,
        *,
        on_close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.db = db
        self.organization_id = organization_id
        self.project_id = project_id
        self.filter = BoardFilter()
        self._on_close = on_close
        self._watch_conn: AsyncConnection | None = None
        self._last_version: int | None = None

    # --- reads -------------------------------------------------------------------------------

    async def counts(self) -> dict[str, int]:
        async with self.db.read() as conn:
            return await q.list_counts(conn, self.project_id, self.filter)

    async def window(self, list_name: str, start: int, limit: int) -> tuple[int, list[CardRow]]:
        """The list's count under the filter and its cards ``start`` … ``start + limit``."""
        async with self.db.read() as conn:
            counts = await q.list_counts(conn, self.project_id, self.filter)
            rows = await q.card_window(conn, self.project_id, list_name, start, limit, self.filter)
        return counts[list_name], rows

    async def position(self, mission_id: str) -> tuple[str, int] | None:
        async with self.db.read() as conn:
            return await q.position_of(conn, self.project_id, mission_id, self.filter)

    async def header(self) -> BoardHeader:
        async with self.db.read() as conn:
            return await q.board_header(conn, self.project_id, self.db.workstation_id)

    async def templates(self) -> list[TemplateRow]:
        async with self.db.read() as conn:
            return await q.fallback_templates(conn, self.project_id)

    async def stages(self) -> list[str]:
        async with self.db.read() as conn:
            return await q.flow_stage_names(conn, self.project_id)

    async def projects(self) -> list[Project]:
        return await list_projects(self.db, self.organization_id)

    async def detail(self, mission_id: str) -> MissionDetail:
        mission = await ops.get_mission(self.db, mission_id)
        events = await ops.list_events(self.db, mission_id)
        async with self.db.read() as conn:
            blocked_by = await q.blockers(conn, mission_id)
        return MissionDetail(mission, events, blocked_by)

    async def changed_elsewhere(self) -> bool:
        """True when any connection but the watcher's committed since the last call."""
        if self._watch_conn is None:
            self._watch_conn = await self.db.engine.connect()
        version = await q.data_version(self._watch_conn)
        await self._watch_conn.rollback()
        changed = self._last_version is not None and version != self._last_version
        self._last_version = version
        return changed

    # --- writes (domain operations) -------------------------------------------------------------

    async def move(self, mission_id: str, to_list: str) -> Mission:
        return await ops.move_mission(self.db, mission_id, to_list)

    async def move_by(self, mission_id: str, from_list: str, step: int) -> Mission | None:
        index = MISSION_LISTS.index(from_list) + step
        if not 0 <= index < len(MISSION_LISTS):
            return None
        return await self.move(mission_id, MISSION_LISTS[index])

    async def reorder(self, mission_id: str, direction: int) -> Mission:
        return await ops.reorder_mission(self.db, mission_id, direction)

    async def toggle_ready(self, mission_id: str) -> Mission:
        return await ops.toggle_ready(self.db, mission_id)

    async def bump_priority(self, mission_id: str, delta: int) -> Mission:
        return await ops.bump_priority(self.db, mission_id, delta)

    async def delete(self, mission_id: str) -> None:
        await ops.delete_mission(self.db, mission_id)

    async def create(self, draft: ops.MissionDraft) -> Mission:
        return await ops.create_mission(self.db, self.project_id, draft)

    async def update(self, mission_id: str, **fields: Any) -> Mission:
        return await ops.update_mission(self.db, mission_id, **fields)

    async def approve(self, mission_id: str) -> Mission:
        return await review.approve(self.db, mission_id)

    async def reject(self, mission_id: str, feedback: str) -> Mission:
        return await review.reject(self.db, mission_id, feedback)

    async def close(self) -> None:
        if self._watch_conn is not None:
            await self._watch_conn.close()
            self._watch_conn = None
        if self._on_close is not None:
            await self._on_close()
