"""Property: three replicas edit offline at random and sync in random order; in the end all
replicas and the server hold identical rows (a canonical dump of every replicated table)."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage import missions as ops
from storage.errors import NotFoundError
from storage.missions import MissionDraft
from tests.support.sync_env import (  # noqa: F401  (drop_test_roles: autouse)
    assert_converged,
    drop_test_roles,
    open_replica,
    sync,
    upgrade_server,
)

REPLICA = st.integers(0, 2)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), REPLICA, st.text("abcxyz", min_size=1, max_size=6)),
        st.tuples(st.just("title"), REPLICA, st.integers(0, 20), st.text("abc", max_size=4)),
        st.tuples(
            st.just("move"),
            REPLICA,
            st.integers(0, 20),
            st.sampled_from(["todo", "doing", "review", "done"]),
        ),
        st.tuples(st.just("priority"), REPLICA, st.integers(0, 20), st.integers(1, 5)),
        st.tuples(st.just("delete"), REPLICA, st.integers(0, 20)),
        st.tuples(st.just("sync"), REPLICA),
    ),
    max_size=25,
)


async def _run(url: str, steps: list[tuple]) -> None:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as tmp:
        first, ident = await open_replica(Path(tmp) / "r0.db", "r0")
        org = ident.organization_id
        await sync(first, url, allow_new_organization=True)
        dbs = [first]
        for i in (1, 2):
            db, _ = await open_replica(Path(tmp) / f"r{i}.db", f"r{i}")
            await sync(db, url, join=org)
            dbs.append(db)
        try:
            for step in steps:
                kind, who = step[0], dbs[step[1]]
                if kind == "sync":
                    await sync(who, url)
                    continue
                if kind == "create":
                    await ops.create_mission(who, ident.project_id, MissionDraft(title=step[2]))
                    continue
                known = [m.id for m in await ops.list_missions(who, ident.project_id)]
                if not known:
                    continue
                target = known[step[2] % len(known)]
                try:
                    if kind == "title":
                        await ops.update_mission(who, target, title=step[3] or "t")
                    elif kind == "move":
                        await ops.move_mission(who, target, step[3])
                    elif kind == "priority":
                        await ops.set_priority(who, target, step[3])
                    elif kind == "delete":
                        await ops.delete_mission(who, target)
                except NotFoundError:
                    pass
            for db in [*dbs, *dbs]:
                await sync(db, url)
            await assert_converged(url, org, *dbs)
        finally:
            for db in dbs:
                await db.close()


def test_random_offline_edits_converge(pg_database: str) -> None:
    asyncio.run(upgrade_server(pg_database))

    @settings(
        max_examples=int(os.environ.get("SOLO_UNICORN_SYNC_EXAMPLES", "12")),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(OPS)
    def check(steps: list[tuple]) -> None:  # type: ignore[type-arg]
        asyncio.run(_run(pg_database, steps))

    check()
