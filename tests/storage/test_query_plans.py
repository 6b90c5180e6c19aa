"""The board's and the dispatcher's hot statements are index searches: no scan of the missions,
no temporary b-tree to sort them (``EXPLAIN QUERY PLAN`` of each statement as it is run)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import event

from storage import board_queries as q
from storage import merge_invariants, quick_reads
from storage import missions as ops
from storage.agent_stats import agent_stats
from storage.database import Database
from storage.identity import Identity
from storage.sessions import dispatchable_missions
from tests.support.board import open_replica, seed_board

Statement = tuple[str, Any]


def _plan(connection: sqlite3.Connection, sql: str, params: Any) -> list[str]:
    return [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", params)]


def _bad(plan: list[str], allowed_scans: Sequence[str] = ()) -> list[str]:
    """The steps that grow with the missions: a scan of a table (one in ``allowed_scans``
    aside) or a temporary b-tree built to sort."""
    return [
        step
        for step in plan
        if "TEMP B-TREE" in step
        or (
            step.startswith("SCAN") and not any(step.startswith(f"SCAN {t}") for t in allowed_scans)
        )
    ]


class Recorder:
    """A board-query runner on the replica file that remembers every statement it ran."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path)
        self.statements: list[Statement] = []

    async def run(self, sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        self.statements.append((sql, params))
        return self.connection.execute(sql, params).fetchall()

    def bad_steps(self) -> list[tuple[str, list[str]]]:
        found = []
        for sql, params in self.statements:
            bad = _bad(_plan(self.connection, sql, params))
            if bad:
                found.append((sql, bad))
        return found


async def _replica(tmp_path: Path) -> tuple[Database, Identity, dict[str, str], Path]:
    path = tmp_path / "replica.db"
    db, identity = await open_replica(path)
    ids = await seed_board(db, identity)
    return db, identity, ids, path


async def test_board_windows_counts_positions_and_id_tails_are_index_searches(
    tmp_path: Path,
) -> None:
    db, identity, ids, path = await _replica(tmp_path)
    try:
        recorder = Recorder(path)
        project = identity.project_id
        counts = await q.list_counts(recorder.run, project)
        assert await q.list_count(recorder.run, project, "todo") == counts["todo"]
        top = await q.card_window(recorder.run, project, "todo", 0, 240)
        assert len(top) >= 3
        found = await q.position_key(recorder.run, project, top[2].id)
        assert found is not None and found[:2] == ("todo", 2)
        around = await q.cards_around(recorder.run, project, "todo", found[2], 1, 2)
        assert [c.id for c in around] == [c.id for c in top[1:3]]
        tail = top[2].id[-6:]
        assert await q.missions_by_id_tail(recorder.run, project, tail) == [top[2].id]
        assert await q.missions_by_id_tail(recorder.run, project, tail.upper()) == [top[2].id]
        assert recorder.bad_steps() == []
        tail_sql, tail_params = recorder.statements[-1]
        assert any(
            "ix_missions_id_tail" in step
            for step in _plan(recorder.connection, tail_sql, tail_params)
        )
        # the replica's own quick read (the CLI) takes the same index
        replica = sqlite3.connect(path)
        assert (
            quick_reads.resolve_mission_id(quick_reads.Replica(replica, {}), top[2].id[-5:])
            == top[2].id
        )
        plan = _plan(
            replica,
            "SELECT id FROM missions WHERE lower(substr(id, -4)) = ? "
            "AND lower(substr(id, -?)) = ? AND deleted = 0 LIMIT 2",
            ("abcd", 5, "xabcd"),
        )
        assert any("ix_missions_id_tail" in step for step in plan) and _bad(plan) == []
        assert len(ids) >= 3
    finally:
        await db.close()


async def _sqlalchemy_statements(db: Database) -> list[Statement]:
    statements: list[Statement] = []

    def executed(_conn: Any, _cursor: Any, sql: str, params: Any, *_rest: Any) -> None:
        statements.append((sql, params))

    event.listen(db.engine.sync_engine, "before_cursor_execute", executed)
    db.recorded = (statements, executed)  # type: ignore[attr-defined]
    return statements


def _stop(db: Database) -> None:
    _statements, executed = db.recorded  # type: ignore[attr-defined]
    event.remove(db.engine.sync_engine, "before_cursor_execute", executed)


async def test_dispatch_pick_id_lookup_and_agent_stats_read_no_scan_of_missions(
    tmp_path: Path,
) -> None:
    db, identity, ids, path = await _replica(tmp_path)
    try:
        some = next(iter(ids.values()))
        statements = await _sqlalchemy_statements(db)
        picked = await dispatchable_missions(db, identity.project_id)
        assert picked, "the seeded board has ready missions"
        assert await ops.resolve_mission_id(db, some[-7:].lower()) == some
        await agent_stats(db, identity.project_id)
        _stop(db)
        connection = sqlite3.connect(path)
        missions = [(sql, p) for sql, p in statements if "missions" in sql]
        assert missions
        plans = [" / ".join(_plan(connection, sql, p)) for sql, p in missions]
        assert any("ix_missions_dispatch" in plan for plan in plans)
        assert any("ix_missions_id_tail" in plan for plan in plans)
        found = {
            sql: bad
            for sql, params in missions
            # agent stats scan the sessions (and group them): never the missions
            if (bad := _bad(_plan(connection, sql, params), allowed_scans=("code_agent_sessions",)))
            and not (
                sql.lstrip().startswith("SELECT coalesce")
                and all("B-TREE FOR GROUP BY" in b or "DISTINCT" in b for b in bad)
            )
        }
        assert found == {}
    finally:
        await db.close()


async def test_kept_counts_follow_inserts_moves_tombstones_and_deletes(tmp_path: Path) -> None:
    db, identity, ids, path = await _replica(tmp_path)
    try:
        project = identity.project_id
        connection = sqlite3.connect(path)

        def counted() -> dict[str, int]:
            rows = connection.execute(
                "SELECT list, count(*) FROM missions WHERE project_id = ? AND deleted = 0 "
                "GROUP BY list",
                (project,),
            )
            return dict(rows.fetchall())

        def kept() -> dict[str, int]:
            rows = connection.execute(
                "SELECT list, live FROM mission_list_counts WHERE project_id = ? AND live != 0",
                (project,),
            )
            return dict(rows.fetchall())

        assert kept() == counted()
        added = await ops.create_mission(db, project, ops.MissionDraft(title="Counted"))
        await ops.move_mission(db, added.id, "review")
        assert kept() == counted()
        await ops.delete_mission(db, added.id)  # a tombstone: deleted = 1
        assert kept() == counted()
        other = next(iter(ids.values()))
        async with db.write() as conn:
            from sqlalchemy import text

            await conn.execute(text("DELETE FROM missions WHERE id = :id"), {"id": other})
        assert kept() == counted()
    finally:
        await db.close()


async def test_the_merge_rules_after_a_pull_read_no_scan_of_missions(tmp_path: Path) -> None:
    """Every pull ends with :func:`storage.merge_invariants.enforce`; it read every live mission
    (a 3 s pull round at 100k missions, so one edit took 3.4 s to reach another board)."""
    db, _identity, _ids, path = await _replica(tmp_path)
    try:
        statements = await _sqlalchemy_statements(db)
        assert await merge_invariants.enforce(db) == {
            "repositories": 0,
            "dependencies": 0,
            "cycles": [],
        }
        _stop(db)
        connection = sqlite3.connect(path)
        missions = [(sql, p) for sql, p in statements if "FROM missions" in sql]
        assert missions, "the cycle check reads the missions its links name"
        found = {
            sql: bad
            for sql, params in missions
            if (bad := _bad(_plan(connection, sql, params), ("mission_dependencies",)))
        }
        assert found == {}
    finally:
        await db.close()
