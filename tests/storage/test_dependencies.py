"""Dependencies between missions: chain, cycles, blocked ids, counts and events."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from solo_unicorn_tui.workspace import Workspace
from storage import dependencies as deps
from storage.errors import ConflictError, NotFoundError
from storage.missions import (
    MissionDraft,
    create_mission,
    delete_mission,
    get_mission,
    list_events,
    missions,
    move_mission,
)


async def test_chain_of_three(workspace: Workspace) -> None:
    db, pid = workspace.db, workspace.project_id
    a, b, c = [await create_mission(db, pid, MissionDraft(title, ready=True)) for title in "ABC"]
    await deps.add_dependency(db, b.id, a.id)
    updated = await deps.add_dependency(db, c.id, b.id)
    assert updated.dependency_count == 1
    again = await deps.add_dependency(db, c.id, b.id)
    assert again.dependency_count == 1
    assert [e.kind for e in await list_events(db, c.id)] == ["created", "dependency_added"]
    assert [e.kind for e in await list_events(db, b.id)] == [
        "created",
        "dependency_added",
        "blocks",
    ]

    async with db.read() as conn:
        assert await deps.blocked_mission_ids(conn, pid) == {b.id, c.id}
        dispatchable = (
            await conn.execute(
                select(missions.c.title)
                .where(~deps.blocked_condition(), missions.c.deleted.is_(False))
                .order_by(missions.c.title)
            )
        ).scalars()
        assert list(dispatchable) == ["A"]
    assert [m.id for m in await deps.blockers(db, c.id)] == [b.id]

    with pytest.raises(ConflictError, match="would make a cycle") as error:
        await deps.add_dependency(db, a.id, c.id)
    assert str(error.value).count("→") == 3 and "'A'" in str(error.value)
    with pytest.raises(ConflictError, match="cannot depend on itself"):
        await deps.add_dependency(db, a.id, a.id)
    with pytest.raises(NotFoundError):
        await deps.add_dependency(db, a.id, "mission_nope")
    assert (await get_mission(db, a.id)).dependency_count == 0

    await move_mission(db, a.id, "done")
    async with db.read() as conn:
        assert await deps.blocked_mission_ids(conn, pid) == {c.id}
    await move_mission(db, b.id, "done")
    async with db.read() as conn:
        assert await deps.blocked_mission_ids(conn, pid) == set()
    assert await deps.blockers(db, c.id) == []
    assert [m.id for m in await deps.dependencies(db, c.id)] == [b.id]
    assert [m.id for m in await deps.dependents(db, b.id)] == [c.id]


async def test_remove_and_deleted_blocker(workspace: Workspace) -> None:
    db, pid = workspace.db, workspace.project_id
    a = await create_mission(db, pid, MissionDraft("A"))
    b = await create_mission(db, pid, MissionDraft("B"))
    await deps.add_dependency(db, b.id, a.id)
    removed = await deps.remove_dependency(db, b.id, a.id)
    assert removed.dependency_count == 0
    async with db.read() as conn:
        assert await deps.blocked_mission_ids(conn, pid) == set()
    again = await deps.add_dependency(db, b.id, a.id)
    assert again.dependency_count == 1
    await delete_mission(db, a.id)
    async with db.read() as conn:
        assert await deps.blocked_mission_ids(conn, pid) == set()


def _reaches(edges: set[tuple[str, str]], start: str, goal: str) -> bool:
    seen, todo = {start}, [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        for a, b in edges:
            if a == node and b not in seen:
                seen.add(b)
                todo.append(b)
    return False


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_edges_never_make_a_cycle(workspace: Workspace, seed: int) -> None:
    """Each edge is accepted exactly when the accepted graph has no path back (model check)."""
    import random

    rng = random.Random(seed)
    db, pid = workspace.db, workspace.project_id
    ids = [(await create_mission(db, pid, MissionDraft(f"m{n}"))).id for n in range(6)]
    accepted: set[tuple[str, str]] = set()
    for _ in range(20):
        a, b = rng.sample(ids, 2)
        expect_cycle = _reaches(accepted, b, a)
        try:
            await deps.add_dependency(db, a, b)
        except ConflictError:
            assert expect_cycle
        else:
            assert not expect_cycle
            accepted.add((a, b))
    for mission_id in ids:
        waits_on = {m.id for m in await deps.dependencies(db, mission_id)}
        assert waits_on == {b for a, b in accepted if a == mission_id}
        assert (await get_mission(db, mission_id)).dependency_count == len(waits_on)
