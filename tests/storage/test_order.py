"""Board order is the same on every replica: distinct append positions, ties broken by id."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from storage import missions as ops
from storage.board_queries import card_window, position_of, sqlalchemy_runner
from storage.changes import ChangeWriter
from storage.database import Database
from storage.identity import Identity
from storage.ids import new_id
from storage.missions import ORDER_STEP, SITE_OFFSET_SPAN, MissionDraft, site_order_offset
from storage.models import Mission, MissionEvent
from storage.sessions import dispatchable_missions
from sync.protocol import PullBatch
from sync.replica import apply_batch
from tests.support.sync_env import open_replica

MISSIONS = Mission.__table__


async def _rows(db: Database, table) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    async with db.read() as conn:
        return [dict(r) for r in (await conn.execute(select(table))).mappings()]


async def _exchange(a: Database, b: Database) -> None:
    """Give each replica the other's missions and events, merged as a pull would."""
    rows_a = {t.name: await _rows(a, t) for t in (MISSIONS, MissionEvent.__table__)}
    rows_b = {t.name: await _rows(b, t) for t in (MISSIONS, MissionEvent.__table__)}
    await apply_batch(b, PullBatch(rows_a, cursor=0))
    await apply_batch(a, PullBatch(rows_b, cursor=0))


async def _board(db: Database, project_id: str) -> list[str]:
    async with db.read() as conn:
        cards = await card_window(sqlalchemy_runner(conn), project_id, "todo", 0, 1000)
    return [c.id for c in cards]


async def _two_homes(tmp_path: Path) -> tuple[Database, Database, Identity]:
    """Replica A, and replica B made from A's file under a new site id (same organization)."""
    a, ident = await open_replica(tmp_path / "a.db", "alice")
    await ops.create_mission(a, ident.project_id, MissionDraft(title="shared 1"))
    await ops.create_mission(a, ident.project_id, MissionDraft(title="shared 2"))
    await a.close()
    shutil.copy(tmp_path / "a.db", tmp_path / "b.db")
    with sqlite3.connect(tmp_path / "b.db") as raw:
        raw.execute("UPDATE replica_meta SET value = ? WHERE key = 'site_id'", (new_id("site"),))
    a, _ = await open_replica(tmp_path / "a.db", "alice")
    b, _ = await open_replica(tmp_path / "b.db", "alice")
    assert a.site_id != b.site_id
    return a, b, ident


async def test_two_replicas_appending_apart_get_distinct_positions_and_one_order(
    tmp_path: Path,
) -> None:
    a, b, ident = await _two_homes(tmp_path)
    try:
        made_a = [
            await ops.create_mission(a, ident.project_id, MissionDraft(title=f"A{n}"))
            for n in range(3)
        ]
        made_b = [
            await ops.create_mission(b, ident.project_id, MissionDraft(title=f"B{n}"))
            for n in range(3)
        ]
        orders_a = {m.list_order for m in made_a}
        orders_b = {m.list_order for m in made_b}
        assert len(orders_a) == 3 and len(orders_b) == 3
        assert not orders_a & orders_b  # the same base, but each replica's own offset
        await _exchange(a, b)
        board_a, board_b = await _board(a, ident.project_id), await _board(b, ident.project_id)
        assert len(board_a) == 8 and board_a == board_b
        listed_a = [m.id for m in await ops.list_missions(a, ident.project_id, "todo")]
        listed_b = [m.id for m in await ops.list_missions(b, ident.project_id, "todo")]
        assert listed_a == listed_b == board_a
        picked_a = [m.id for m in await dispatchable_missions(a, ident.project_id)]
        picked_b = [m.id for m in await dispatchable_missions(b, ident.project_id)]
        assert picked_a == picked_b
    finally:
        await a.close()
        await b.close()


def test_site_offsets_are_small_distinct_and_exact() -> None:
    offsets = {site_order_offset(f"site_01J{n:023d}") for n in range(500)}
    assert len(offsets) == 500
    assert all(0 < o <= SITE_OFFSET_SPAN < ORDER_STEP for o in offsets)
    for offset in offsets:
        # the offset survives being added to a large list order, so positions stay distinct
        assert (ORDER_STEP * 100_000 + offset) - ORDER_STEP * 100_000 == offset


async def test_reordering_a_tied_card_moves_it_the_way_the_board_shows(tmp_path: Path) -> None:
    db, ident = await open_replica(tmp_path / "r.db", "r")
    try:
        made = [
            await ops.create_mission(db, ident.project_id, MissionDraft(title=f"m{n}"))
            for n in range(3)
        ]
        async with db.write() as conn:
            for m in made:
                await ChangeWriter(db, conn).update(MISSIONS, m.id, {"list_order": 5.0})
        before = await _board(db, ident.project_id)
        assert before == sorted(m.id for m in made)
        moved = await ops.reorder_mission(db, before[2], -1)
        after = await _board(db, ident.project_id)
        assert after == [before[0], before[2], before[1]]
        async with db.read() as conn:
            where = await position_of(sqlalchemy_runner(conn), ident.project_id, moved.id)
        assert where == ("todo", 1)
    finally:
        await db.close()


# --- property: every ordering query breaks list_order ties by id -------------------------------


@pytest.fixture(scope="module")
def replica(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:  # type: ignore[type-arg]
    loop = asyncio.new_event_loop()
    db, ident = loop.run_until_complete(
        open_replica(tmp_path_factory.mktemp("order") / "p.db", "p")
    )
    yield loop, db, ident
    loop.run_until_complete(db.close())
    loop.close()


cards = st.lists(
    st.tuples(
        st.sampled_from([1.0, 2.0, 2.0000000001, 3.0]),  # few values: many ties
        st.sampled_from(["todo", "doing"]),
        st.integers(1, 5),
        st.text(alphabet="0123456789ABCDEFGHJKMNPQRSTVWXYZ", min_size=4, max_size=4),
    ),
    min_size=1,
    max_size=12,
    unique_by=lambda card: card[3],
)


@settings(max_examples=40, deadline=None)
@given(cards, st.randoms(use_true_random=False))
def test_ties_in_list_order_are_broken_by_id_everywhere(replica, cards, rng) -> None:  # type: ignore[no-untyped-def]
    loop, db, ident = replica

    async def check() -> None:
        async with db.write() as conn:
            await conn.execute(delete(MissionEvent.__table__))
            await conn.execute(delete(MISSIONS))
            shuffled = list(cards)
            rng.shuffle(shuffled)  # insertion order must not matter
            for order, list_name, priority, suffix in shuffled:
                await ChangeWriter(db, conn).insert(
                    MISSIONS,
                    {
                        "id": f"mission_{suffix}",
                        "organization_id": ident.organization_id,
                        "project_id": ident.project_id,
                        "title": suffix,
                        "list": list_name,
                        "list_order": order,
                        "priority": priority,
                        "ready": True,
                    },
                )
        ids = {c[3]: f"mission_{c[3]}" for c in cards}
        expect = sorted(cards, key=lambda c: (c[1], c[0], ids[c[3]]))
        listed = await ops.list_missions(db, ident.project_id)
        assert [m.id for m in listed] == [ids[c[3]] for c in expect]
        todo = [ids[c[3]] for c in expect if c[1] == "todo"]
        assert await _board(db, ident.project_id) == todo
        picked = await dispatchable_missions(db, ident.project_id)
        by_pick = sorted(cards, key=lambda c: (-c[2], c[1], c[0], ids[c[3]]))
        assert [m.id for m in picked] == [ids[c[3]] for c in by_pick]

    loop.run_until_complete(check())
