"""Bounded waits: a client frozen while holding its organization's lock cannot hold it long.

A's push runs ``su_push`` (the organization's advisory lock taken) and then its network
freezes before COMMIT reaches the server (the fault proxy holds it). B's push must still get
through within the bound: the server ends A's idle transaction
(``idle_in_transaction_session_timeout``, set on every sync connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from storage import missions as ops
from storage.missions import MissionDraft
from sync import replica, server
from sync.connection import connect
from tests.support.sync_env import (  # noqa: F401  (drop_test_roles: autouse)
    credentials_for,
    drop_test_roles,
    open_replica,
    sync,
    upgrade_server,
)
from tests.support.tcp_proxy import FaultProxy

BOUND_S = 5.0

pytestmark = pytest.mark.postgres


async def test_a_frozen_push_does_not_block_another_clients_push(
    pg_database: str, tmp_path: Path
) -> None:
    await upgrade_server(pg_database)
    a, ida = await open_replica(tmp_path / "a.db", "a")
    b, _ = await open_replica(tmp_path / "b.db", "b")
    await sync(a, pg_database)
    await sync(b, pg_database)
    await ops.create_mission(a, ida.project_id, MissionDraft(title="from a"))
    await ops.create_mission(b, ida.project_id, MissionDraft(title="from b"))
    target = urlsplit(pg_database)
    who = await credentials_for(a, pg_database)
    async with FaultProxy(target.hostname or "127.0.0.1", target.port or 5432) as proxy:
        conn_a = await connect(proxy.url_for(who.url), who.password)
        if who.url == pg_database:
            await server.use_organization(conn_a, ida.organization_id)
        frozen = asyncio.Event()

        async def freeze_before_commit() -> None:
            proxy.freeze_all()
            frozen.set()

        push_a = asyncio.create_task(
            server.apply_push(
                conn_a,
                a.site_id,
                await replica.read_outbox(a, 100),
                before_commit=freeze_before_commit,
            )
        )
        await asyncio.wait_for(frozen.wait(), 10)
        started = time.monotonic()
        report = await asyncio.wait_for(sync(b, pg_database), 30)  # before: waits for ever
        blocked = time.monotonic() - started
        assert report.pushed >= 1
        assert blocked <= BOUND_S, f"B waited {blocked:.1f} s behind the frozen client"
        proxy.thaw_all()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(push_a, 10)
        conn_a.terminate()
    # A's batch was never committed; its next sync pushes it, and both converge.
    await sync(a, pg_database)
    await sync(b, pg_database)
    titles = sorted(m.title for m in await ops.list_missions(b, ida.project_id))
    assert titles == ["from a", "from b"]
    for db in (a, b):
        await db.close()
