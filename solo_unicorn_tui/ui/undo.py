"""The board's undo stack: each triage action remembers how to put the mission back.

Before an action writes, the stack reads the mission's undoable fields (``storage.undo``); ``z``
writes the newest of those points back through the normal write path, so an undo syncs like any
edit. Recording and undoing share one lock: two quick presses each remember the state the other
left, and an undo never runs between an action's read and its write.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from solo_unicorn_tui.ui.board_data import BoardData

T = TypeVar("T")
LIMIT = 50


@dataclass(frozen=True)
class UndoEntry:
    mission_id: str
    title: str
    action: str
    """What was done, as the notice names it: "move", "reorder", "approval"…"""
    point: dict[str, Any]


@dataclass(frozen=True)
class Undone:
    """What ``z`` did: where the mission is now (the board selects it) and the notice."""

    id: str
    list: str | None
    message: str


class UndoStack:
    def __init__(self, limit: int = LIMIT) -> None:
        self._entries: deque[UndoEntry] = deque(maxlen=limit)
        self._lock = asyncio.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    async def record(
        self,
        data: BoardData,
        mission_id: str,
        title: str,
        action: str,
        operation: Callable[[], Awaitable[T]],
    ) -> T:
        """Run ``operation`` and remember the state before it, when it changed anything."""
        async with self._lock:
            before = await data.undo_point(mission_id)
            result = await operation()
            after = await data.undo_point(mission_id)
            if after != before:
                self._entries.append(UndoEntry(mission_id, title, action, before))
        return result

    async def undo(self, data: BoardData) -> Undone | None:
        """Put the newest remembered mission back; None when there is nothing to undo.

        A refused undo (the mission is running now) stays on the stack for a later try.
        """
        async with self._lock:
            if not self._entries:
                return None
            entry = self._entries.pop()
            try:
                mission = await data.restore(entry.mission_id, entry.point, action=entry.action)
            except BaseException:
                self._entries.append(entry)
                raise
        where = "" if mission.deleted else f" (now in {mission.list.title()})"
        return Undone(
            mission.id,
            None if mission.deleted else mission.list,
            f"Undid the {entry.action} of “{entry.title}”{where}",
        )
