"""Fixtures for the board's Pilot and snapshot tests: a replica with known missions.

Ids and timestamps are frozen (``freeze_ids_and_time``) and the workstation has a fixed name,
so snapshots hold nothing from the real world.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from solo_unicorn_tui.ui.app import SoloUnicornApp
from solo_unicorn_tui.ui.board_data import BoardData, Writer
from storage import missions as ops
from storage.changes import ChangeWriter
from storage.database import Database, sqlite_url
from storage.identity import Identity, Machine, create_project, ensure_identity
from storage.models import MissionDependency

FIXED_NOW = datetime(2026, 1, 2, 9, 30, tzinfo=UTC)
MACHINE = Machine("tester", "test-host", "linux", "x86_64", "6.0", "0.1.0")

#: (title, list, priority, ready, extra fields)
MISSIONS: list[tuple[str, str, int, bool, dict[str, Any]]] = [
    ("Write the README", "todo", 3, True, {}),
    ("Fix login timeout", "todo", 5, False, {"stage": "plan"}),
    ("Add CSV export", "todo", 2, False, {}),
    ("Refactor the dispatcher", "doing", 4, True, {"agent_session_status": "active"}),
    (
        "Review the sync protocol",
        "review",
        3,
        True,
        {"stage": "plan", "review_status": "pending", "github_pr_number": 42},
    ),
    ("Ship v0.1", "done", 3, False, {"stage": "code"}),
]


def freeze_ids_and_time(monkeypatch: pytest.MonkeyPatch) -> None:
    counter = itertools.count(1)

    def fixed_id(table: str) -> str:
        from storage.ids import PREFIXES

        return f"{PREFIXES[table]}_{next(counter):026d}"

    monkeypatch.setattr("storage.change_rows.new_id_for", fixed_id)
    for module in ("storage.change_rows", "storage.mission_rows", "storage.review"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: FIXED_NOW)


async def seed_board(db: Database, identity: Identity) -> dict[str, str]:
    """Create the known missions; return title → id. One is blocked by another."""
    ids: dict[str, str] = {}
    for title, list_name, priority, ready, extra in MISSIONS:
        mission = await ops.create_mission(
            db,
            identity.project_id,
            ops.MissionDraft(
                title=title,
                description=f"About {title.lower()}.",
                priority=priority,
                ready=ready,
                list=list_name,
            ),
        )
        if extra:
            await ops.update_mission(db, mission.id, **extra)
        ids[title] = mission.id
    async with db.write() as conn:
        await ChangeWriter(db, conn).insert(
            MissionDependency.__table__,
            {
                "organization_id": identity.organization_id,
                "mission_id": ids["Add CSV export"],
                "depends_on_mission_id": ids["Refactor the dispatcher"],
                "dependency_type": "blocks",
            },
        )
    return ids


async def open_replica(path: Path) -> tuple[Database, Identity]:
    db = await Database.open(sqlite_url(path))
    return db, await ensure_identity(db, MACHINE)


async def build_replica(path: Path, *, missions: bool = True) -> dict[str, str]:
    db, identity = await open_replica(path)
    try:
        ids = await seed_board(db, identity) if missions else {}
        if missions:
            await create_project(db, identity.organization_id, "Second project")
    finally:
        await db.close()
    return ids


def app_on_path(path: Path, **kwargs: Any) -> SoloUnicornApp:
    """The app as the CLI builds it: it opens the replica itself, after the first paint."""

    async def open_data() -> BoardData:
        db, identity = await open_replica(path)
        writer = Writer(db, identity.organization_id, identity.project_id, close=db.close)
        return await BoardData.for_writer(writer)

    return quiet(SoloUnicornApp(open_data, **kwargs))


def app_on_db(db: Database, identity: Identity, **kwargs: Any) -> SoloUnicornApp:
    async def open_data() -> BoardData:
        return await BoardData.for_writer(Writer(db, identity.organization_id, identity.project_id))

    return quiet(SoloUnicornApp(open_data, **kwargs))


def quiet(app: SoloUnicornApp) -> SoloUnicornApp:
    app.animation_level = "none"
    return app


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until no worker runs (loads and writes finished) and the screen has refreshed."""
    app = pilot.app
    idle_rounds = 0
    for _ in range(200):
        await pilot.pause()
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:
            # An exclusive worker (a reload) was replaced by a newer one: wait for that instead.
            idle_rounds = 0
            continue
        await pilot.pause()
        board = getattr(app, "board", None)
        pending = board.pending_writes if board is not None else 0
        idle = not pending and not any(worker.is_running for worker in app.workers)
        # Twice in a row: a write's follow-up reload may be scheduled just after the first check.
        idle_rounds = idle_rounds + 1 if idle else 0
        if idle_rounds >= 2:
            break
    for screen in app.screen_stack:
        for inp in screen.query("Input"):
            inp.cursor_blink = False  # type: ignore[attr-defined]
    await pilot.pause()
