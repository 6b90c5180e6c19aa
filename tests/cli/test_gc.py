"""``solo-unicorn gc`` prunes only what is old and finished; ``--dry-run`` only counts it."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

from solo_unicorn_tui.workspace import Workspace
from storage import fallback
from storage import missions as mission_ops
from storage.changes import ChangeWriter
from storage.metrics import daily_metrics
from storage.models import CodeAgentSession, MissionFallbackItem, MissionFallbackRun
from storage.rows import fetch_row
from storage.types import utcnow
from tests.support.cli_run import ok
from tests.support.history import backdate, mission_at, session_at

DAY = timedelta(days=1)


async def test_gc_prunes_only_old_finished_work_and_dry_run_only_counts(
    workspace: Workspace, cli
) -> None:  # type: ignore[no-untyped-def]
    ws, now = workspace, utcnow()
    logs = ws.home.sessions_dir
    done = await mission_at(ws.db, ws.project_id, "Shipped", now - 200 * DAY, done_at=now - DAY)
    open_ = await mission_at(ws.db, ws.project_id, "Still in review", now - 300 * DAY)
    ancient = await session_at(ws.db, done, now - 100 * DAY, log_dir=logs)  # row and log go
    stale_log = await session_at(ws.db, done, now - 40 * DAY, log_dir=logs)  # only the log
    recent = await session_at(ws.db, done, now - 10 * DAY, log_dir=logs)  # stays
    kept_open = await session_at(ws.db, open_, now - 200 * DAY, log_dir=logs)  # not Done: stays
    # Pruned by another replica's gc (the tombstone synced here): only its file is left to go.
    synced = await session_at(ws.db, done, now - 95 * DAY, log_dir=logs)
    async with ws.db.write() as conn:
        await ChangeWriter(ws.db, conn).tombstone(CodeAgentSession.__table__, synced.id)

    template = await fallback.add_template(
        ws.db, ws.project_id, fallback.TemplateDraft(name="Tidy up")
    )
    finished = await fallback.launch_template(ws.db, template.id, now=now - 200 * DAY)
    await mission_ops.move_mission(ws.db, finished.id, "done")
    pending = await fallback.launch_template(ws.db, template.id, now=now - 200 * DAY)  # in Todo
    await fallback.launch_template(ws.db, template.id, now=now - 10 * DAY)  # too young

    app_log = ws.home.logs_dir / "2026-01-01.log"
    app_log.write_text("old\n")
    month_ago = (now - 31 * DAY).timestamp()
    os.utime(app_log, (month_ago, month_ago))
    files = {s.id: Path(s.log_path or "") for s in (ancient, stale_log, recent, kept_open, synced)}
    await ws.db.close()

    expected = {
        "sessions": 1,
        "session_logs": 3,
        "fallback_runs": 1,
        "fallback_items": 1,
        "app_logs": 1,
    }
    dry = json.loads(ok(cli("gc", "--dry-run", "--json")))
    assert {k: dry[k] for k in expected} == expected and dry["dry_run"]
    assert all(path.exists() for path in files.values()) and app_log.exists()

    done_run = json.loads(ok(cli("gc", "--json")))
    assert {k: done_run[k] for k in expected} == expected
    assert done_run["bytes_freed"] == dry["bytes_freed"] > 0
    assert not any(files[s.id].exists() for s in (ancient, stale_log, synced))
    assert files[recent.id].exists() and files[kept_open.id].exists()
    assert not app_log.exists()

    again = json.loads(ok(cli("gc", "--json")))
    assert all(again[k] == 0 for k in expected)

    from storage.database import Database, sqlite_url

    db = await Database.open(sqlite_url(ws.home.replica))
    try:
        async with db.read() as conn:
            rows = {
                s: await conn.execute(
                    CodeAgentSession.__table__.select().where(CodeAgentSession.id == s)
                )
                for s in files
            }
            state = {s: r.mappings().one() for s, r in rows.items()}
            assert state[ancient.id]["deleted"]  # a tombstone: it syncs
            assert not state[stale_log.id]["deleted"] and state[stale_log.id]["log_path"] is None
            assert state[recent.id]["log_path"] and state[kept_open.id]["log_path"]
            gone = (
                await conn.execute(
                    MissionFallbackRun.__table__.select().where(MissionFallbackRun.deleted)
                )
            ).all()
            assert len(gone) == 1
            item = await fetch_row(
                conn, MissionFallbackItem.__table__, pending.fallback_item_id or "", "item"
            )
            # The run whose mission is still in Todo is as old, and stays.
            assert item["status"] == "accepted"
            await fetch_row(
                conn, MissionFallbackRun.__table__, item["mission_fallback_run_id"], "run"
            )
        # What was pruned still counts in the daily figures.
        days = await daily_metrics(db, ws.project_id, days=366)
        assert sum(d.sessions for d in days) == 5
        assert sum(d.fallback_generated for d in days) == 3
    finally:
        await db.close()


async def test_gc_removes_old_tombstones_of_a_solo_replica(workspace: Workspace, cli) -> None:  # type: ignore[no-untyped-def]
    """No server: a row deleted longer ago than ``tombstones_days`` (90) leaves the replica,
    with its mission's timeline; a younger tombstone and live rows stay."""
    from sqlalchemy import select

    from storage.database import Database, sqlite_url
    from storage.models import Mission, MissionEvent

    ws, now = workspace, utcnow()
    old = await mission_ops.create_mission(ws.db, ws.project_id, mission_ops.MissionDraft("Old"))
    young = await mission_ops.create_mission(
        ws.db, ws.project_id, mission_ops.MissionDraft("Young")
    )
    kept = await mission_ops.create_mission(ws.db, ws.project_id, mission_ops.MissionDraft("Kept"))
    for mission in (old, young):
        await mission_ops.delete_mission(ws.db, mission.id)
    await backdate(ws.db, Mission.__table__, old.id, updated_at=now - 91 * DAY)
    events = MissionEvent.__table__
    async with ws.db.read() as conn:
        old_events = (
            await conn.execute(select(events.c.id).where(events.c.mission_id == old.id))
        ).all()
    assert len(old_events) == 2  # created, deleted
    await ws.db.close()

    dry = json.loads(ok(cli("gc", "--dry-run", "--json")))
    assert dry["tombstones"] == 3
    done_run = json.loads(ok(cli("gc", "--json")))
    assert done_run["tombstones"] == 3
    assert json.loads(ok(cli("gc", "--json")))["tombstones"] == 0

    db = await Database.open(sqlite_url(ws.home.replica))
    try:
        missions = Mission.__table__
        async with db.read() as conn:
            left = dict((await conn.execute(select(missions.c.title, missions.c.deleted))).all())
            timeline = (
                await conn.execute(select(events.c.mission_id).where(events.c.mission_id == old.id))
            ).all()
        assert left == {"Young": True, "Kept": False} and kept.id and timeline == []
    finally:
        await db.close()
