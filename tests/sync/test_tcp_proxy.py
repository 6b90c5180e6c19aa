"""The fault-injecting TCP proxy, against the real PostgreSQL server (asyncpg through it)."""

from __future__ import annotations

import asyncio
import socket
import time
from urllib.parse import urlsplit

import asyncpg
import pytest

from tests.support.tcp_proxy import FaultProxy

CONNECTION_LOST = (asyncpg.ConnectionDoesNotExistError, ConnectionError, OSError)


@pytest.fixture
async def proxy(pg_server: str):  # type: ignore[no-untyped-def]
    target = urlsplit(pg_server)
    async with FaultProxy(target.hostname or "127.0.0.1", target.port or 5432) as running:
        yield running


async def _connect(proxy: FaultProxy, pg_server: str) -> asyncpg.Connection:
    return await asyncpg.connect(proxy.url_for(pg_server), timeout=10)


async def test_a_query_works_through_the_proxy(proxy: FaultProxy, pg_server: str) -> None:
    conn = await _connect(proxy, pg_server)
    try:
        assert await conn.fetchval("SELECT 40 + 2") == 42
        assert len(proxy.live) == 1
        assert proxy.live[0].bytes_up > 0 and proxy.live[0].bytes_down > 0
    finally:
        await conn.close()
    await proxy.wait_for(lambda: not proxy.live)


async def test_freeze_holds_a_query_until_thawed_and_keeps_the_sockets_open(
    proxy: FaultProxy, pg_server: str
) -> None:
    conn = await _connect(proxy, pg_server)
    direct = await asyncpg.connect(pg_server)
    try:
        pid = conn.get_server_pid()
        link = proxy.live[0]
        link.freeze()
        query = asyncio.create_task(conn.fetchval("SELECT 'after thaw'"))
        await proxy.wait_for(lambda: link.held >= 1)  # the query reached the proxy, no further
        assert not query.done()
        # The server still has the client's backend: nothing was closed.
        state = await direct.fetchval("SELECT state FROM pg_stat_activity WHERE pid = $1", pid)
        assert state == "idle"
        link.thaw()
        assert await asyncio.wait_for(query, 10) == "after thaw"
    finally:
        await direct.close()
        await conn.close()


async def test_cut_gives_the_client_a_connection_error(proxy: FaultProxy, pg_server: str) -> None:
    conn = await _connect(proxy, pg_server)
    proxy.live[0].cut()
    with pytest.raises(CONNECTION_LOST):
        await asyncio.wait_for(conn.fetchval("SELECT 1"), 10)
    assert conn.is_closed()
    # A new connection through the same proxy works again.
    again = await _connect(proxy, pg_server)
    try:
        assert await again.fetchval("SELECT 2") == 2
    finally:
        await again.close()


async def test_cut_while_frozen_fails_the_waiting_query(proxy: FaultProxy, pg_server: str) -> None:
    conn = await _connect(proxy, pg_server)
    link = proxy.live[0]
    link.freeze()
    query = asyncio.create_task(conn.fetchval("SELECT 1"))
    await proxy.wait_for(lambda: link.held >= 1)
    link.cut(reset=False)
    with pytest.raises(CONNECTION_LOST):
        await asyncio.wait_for(query, 10)


async def test_freeze_all_cut_all_and_partition(proxy: FaultProxy, pg_server: str) -> None:
    a, b = await _connect(proxy, pg_server), await _connect(proxy, pg_server)
    proxy.freeze_all()
    queries = [asyncio.create_task(c.fetchval("SELECT 1")) for c in (a, b)]
    await proxy.wait_for(lambda: all(c.held >= 1 for c in proxy.live))
    assert not any(q.done() for q in queries)
    proxy.cut_all()
    for query in queries:
        with pytest.raises(CONNECTION_LOST):
            await asyncio.wait_for(query, 10)
    assert proxy.live == []

    # partition: a connection attempt made meanwhile is frozen too, until heal()
    proxy.partition()
    connecting = asyncio.create_task(_connect(proxy, pg_server))
    await proxy.wait_for(lambda: len(proxy.live) == 1 and proxy.live[0].held >= 1)
    assert not connecting.done()
    proxy.heal()
    c = await asyncio.wait_for(connecting, 10)
    try:
        assert await c.fetchval("SELECT 3") == 3
    finally:
        await c.close()


async def test_delay_slows_every_round_trip(proxy: FaultProxy, pg_server: str) -> None:
    conn = await _connect(proxy, pg_server)
    try:
        proxy.set_delay(0.1)
        started = time.monotonic()
        assert await conn.fetchval("SELECT 5") == 5
        # one chunk up and one down, each held back 0.1 s (a lower bound only: never flaky)
        assert time.monotonic() - started >= 0.2
        proxy.set_delay(0)
        assert await conn.fetchval("SELECT 6") == 6
    finally:
        await conn.close()


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_unreachable_target_resets_the_client() -> None:
    async with FaultProxy("127.0.0.1", _unused_port()) as dead:
        with pytest.raises(CONNECTION_LOST):
            await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{dead.port}/x", timeout=10)
