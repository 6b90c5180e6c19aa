"""Sync benchmark: ``.venv/bin/python bench/sync_bench.py [--missions N]``.

Prints, from one run against the local PostgreSQL (``SOLO_UNICORN_BENCH_PG_URL``, default
``postgresql://postgres@127.0.0.1:5432/postgres``; a throwaway database is created and dropped):

1. initial pull of N missions into an empty replica, vs the raw limit measured here: an asyncpg
   fetch of the same rows plus a plain ``sqlite3`` ``executemany`` into the same schema;
2. push of 10k local changes;
3. A→B propagation latency with both replicas online (SyncService on each, p50/p95);
4. time from a server's restart (a private PostgreSQL, ``initdb`` in a temporary folder, killed
   with SIGKILL) to a live replica's first successful sync (target ≤ 2 s);
5. how long a client frozen while holding the organization's lock (its push stopped before
   COMMIT by a fault-injecting TCP proxy) blocks another client's push (target ≤ 5 s).

The replicas connect as a **member role** of the organization (``server invite``), so every
figure goes through row-level security and the server's ``SECURITY DEFINER`` sync functions;
only the seeding and the raw limit use the administrator.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from storage.changes import ChangeWriter, _with_defaults  # noqa: E402
from storage.database import Database, create_engine, sqlite_url  # noqa: E402
from storage.hlc import HybridLogicalClock  # noqa: E402
from storage.identity import Machine, ensure_identity  # noqa: E402
from storage.migrate import upgrade_to_head  # noqa: E402
from storage.models import Mission  # noqa: E402
from sync import admin, engine, replica  # noqa: E402
from sync.connection import connect  # noqa: E402
from sync.merge import UNCLOCKED  # noqa: E402
from sync.service import SyncService  # noqa: E402
from tests.support.private_pg import PrivateServer  # noqa: E402
from tests.support.tcp_proxy import FaultProxy  # noqa: E402

RESTART_TARGET_S = 2.0
FROZEN_TARGET_S = 5.0

BASE_URL = os.environ.get(
    "SOLO_UNICORN_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
MISSIONS = Mission.__table__
#: The member role's password (``server invite`` prints it once; here it is kept in memory).
MEMBER_PASSWORD: list[str | None] = [None]


def machine(name: str) -> Machine:
    return Machine(name, f"bench-{name}", "linux", "x86_64", "6", "0.1.0")


async def seed_server(url: str, org: str, project_id: str, count: int) -> None:
    """Put ``count`` missions on the server as if replicas had pushed them (fast: COPY)."""
    clock = HybridLogicalClock("site_bench")
    columns = [c.name for c in MISSIONS.columns]
    records = []
    for i in range(count):
        stamp = clock.now()
        row = _with_defaults(
            MISSIONS,
            {
                "id": f"mission_bench{i:012d}",
                "organization_id": org,
                "project_id": project_id,
                "title": f"Benchmark mission {i}",
                "description": "A mission seeded for the sync benchmark. " * 3,
                "list_order": float(i),
            },
        )
        clocked = [k for k in row if k not in UNCLOCKED]
        row.update(hlc=stamp, site_id="site_bench", col_clocks=dict.fromkeys(clocked, stamp))
        records.append(tuple(row.get(c) for c in columns))
    conn = await connect(url, None)
    try:
        quoted = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join(f"${i + 1}" for i in range(len(columns)))
        await conn.executemany(f"INSERT INTO missions ({quoted}) VALUES ({marks})", records)
        top = await conn.fetchval("SELECT coalesce(max(last_seq), 0) FROM sync_org_seq")
        await conn.copy_records_to_table(
            "sync_rows",
            records=[
                ("missions", r[columns.index("id")], org, top + i + 1)
                for i, r in enumerate(records)
            ],
            columns=["table_name", "row_id", "organization_id", "server_seq"],
        )
        await conn.execute(
            "UPDATE sync_org_seq SET last_seq = $2 WHERE organization_id = $1", org, top + count
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


async def raw_limit(url: str, org: str, path: Path) -> float:
    """asyncpg fetch of the same rows + sqlite3 executemany into the same (migrated) schema."""
    db = await Database.open(sqlite_url(path))
    await db.close()
    columns = [c.name for c in MISSIONS.columns]
    start = time.perf_counter()
    conn = await connect(url, None, check_schema=False)
    try:
        rows = await conn.fetch("SELECT * FROM missions WHERE organization_id = $1", org)
    finally:
        await conn.close()
    fetched = time.perf_counter()
    lite = sqlite3.connect(path)
    lite.execute("PRAGMA journal_mode=WAL")
    lite.execute("PRAGMA synchronous=FULL")
    placeholders = ", ".join("?" for _ in columns)
    quoted = ", ".join(f'"{c}"' for c in columns)
    with lite:
        lite.executemany(
            f"INSERT INTO missions ({quoted}) VALUES ({placeholders})",
            [tuple(_sqlite_value(r[c]) for c in columns) for r in rows],
        )
    lite.close()
    if os.environ.get("SOLO_UNICORN_BENCH_DEBUG"):
        print(f"raw: fetch {fetched - start:.2f}s, sqlite {time.perf_counter() - fetched:.2f}s")
    return time.perf_counter() - start


async def initial_pull(url: str, org: str, path: Path) -> tuple[float, int]:
    db = await Database.open(sqlite_url(path))
    await ensure_identity(db, machine("fresh"))
    conn = await connect(url, MEMBER_PASSWORD[0])
    ticks = []
    try:
        start = time.perf_counter()
        report = await engine.sync_round(
            db, conn, join=org, progress=lambda done, total: ticks.append(done)
        )
        elapsed = time.perf_counter() - start
    finally:
        await conn.close()
    async with db.read() as sconn:
        count = len((await sconn.execute(select(MISSIONS.c.id))).all())
    await db.close()
    assert report.pulled >= count > 0 and ticks
    return elapsed, count


async def push_changes(url: str, org: str, path: Path, count: int) -> float:
    db = await Database.open(sqlite_url(path))
    async with db.read() as sconn:
        ids = (await sconn.execute(select(MISSIONS.c.id).limit(count))).scalars().all()
    async with db.write() as sconn:
        writer = ChangeWriter(db, sconn)
        for i, mission_id in enumerate(ids):
            await writer.update(MISSIONS, mission_id, {"title": f"Pushed edit {i}"})
    assert await replica.pending_count(db) == count
    conn = await connect(url, MEMBER_PASSWORD[0])
    try:
        start = time.perf_counter()
        report = engine.SyncReport()
        await engine.push(db, conn, report)
        elapsed = time.perf_counter() - start
    finally:
        await conn.close()
    assert report.pushed == count and await replica.pending_count(db) == 0
    await db.close()
    return elapsed


async def latency(url: str, org: str, tmp: Path, samples: int) -> list[float]:
    dbs = []
    for name in ("a", "b"):
        db = await Database.open(sqlite_url(tmp / f"lat-{name}.db"))
        await ensure_identity(db, machine(name))
        conn = await connect(url, MEMBER_PASSWORD[0])
        await engine.sync_round(db, conn, join=org)
        await conn.close()
        dbs.append(db)
    a, b = dbs
    arrived = asyncio.Event()
    sa = SyncService(a, url, MEMBER_PASSWORD[0], interval_seconds=60)
    sb = SyncService(
        b, url, MEMBER_PASSWORD[0], interval_seconds=60, on_change=lambda _n: arrived.set()
    )
    tasks = [asyncio.create_task(s.run()) for s in (sa, sb)]
    async with a.read() as sconn:
        target = (await sconn.execute(select(MISSIONS.c.id).limit(1))).scalar_one()
    while sa.status.state != "synced" or sb.status.state != "synced":
        await asyncio.sleep(0.05)
    results = []
    try:
        for i in range(samples):
            arrived.clear()
            title = f"latency probe {i}"
            start = time.perf_counter()
            async with a.write() as sconn:
                await ChangeWriter(a, sconn).update(MISSIONS, target, {"title": title})
            sa.sync_now()
            while True:
                await asyncio.wait_for(arrived.wait(), 10)
                arrived.clear()
                async with b.read() as sconn:
                    got = (
                        await sconn.execute(select(MISSIONS.c.title).where(MISSIONS.c.id == target))
                    ).scalar_one()
                if got == title:
                    break
            results.append(time.perf_counter() - start)
            await asyncio.sleep(0.05)
    finally:
        for service in (sa, sb):
            service.stop()
        await asyncio.gather(*tasks)
        for db in dbs:
            await db.close()
    return results


async def _joined(url: str, org: str, path: Path, name: str) -> Database:
    db = await Database.open(sqlite_url(path))
    await ensure_identity(db, machine(name))
    conn = await connect(url, MEMBER_PASSWORD[0])
    try:
        await engine.sync_round(db, conn, join=org)
    finally:
        await conn.close()
    return db


async def restart_to_sync(tmp: Path) -> float:
    """A private server killed (SIGKILL) and restarted: seconds from the restart (accepting
    connections) to the live replica's first successful sync round."""
    server = PrivateServer()
    try:
        server.init()
        await server.start()
        url = await server.create_database("bench")
        sa_engine = create_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1))
        await upgrade_to_head(sa_engine)
        await sa_engine.dispose()
        db = await Database.open(sqlite_url(tmp / "restart.db"))
        await ensure_identity(db, machine("restart"))
        synced: list[float] = []

        def seen(status: Any) -> None:
            if status.state == "synced":
                synced.append(time.monotonic())

        service = SyncService(db, url, None, interval_seconds=60, on_status=seen)
        task = asyncio.create_task(service.run())
        try:
            while not synced:
                await asyncio.sleep(0.02)
            server.kill()
            while service.status.state != "offline":
                await asyncio.sleep(0.02)
            await asyncio.sleep(1.0)  # a few failed reconnects
            synced.clear()
            ready = await server.start()
            while not synced:
                await asyncio.sleep(0.01)
            return synced[0] - ready
        finally:
            service.stop()
            await task
            await db.close()
    finally:
        server.stop()
        server.remove()


async def frozen_block(url: str, org: str, tmp: Path) -> float:
    """A's push frozen before COMMIT (the organization's lock held): seconds B's push waits."""
    from urllib.parse import urlsplit

    from sync import server

    a = await _joined(url, org, tmp / "frozen-a.db", "frozen-a")
    b = await _joined(url, org, tmp / "frozen-b.db", "frozen-b")
    for db in (a, b):
        async with db.write() as sconn:
            target = (await sconn.execute(select(MISSIONS.c.id).limit(1))).scalar_one()
            await ChangeWriter(db, sconn).update(MISSIONS, target, {"title": f"by {db.site_id}"})
    parts = urlsplit(url)
    try:
        async with FaultProxy(parts.hostname or "127.0.0.1", parts.port or 5432) as proxy:
            conn_a = await connect(proxy.url_for(url), MEMBER_PASSWORD[0])
            frozen = asyncio.Event()

            async def freeze() -> None:
                proxy.freeze_all()
                frozen.set()

            push_a = asyncio.create_task(
                server.apply_push(
                    conn_a, a.site_id, await replica.read_outbox(a, 100), before_commit=freeze
                )
            )
            await asyncio.wait_for(frozen.wait(), 10)
            conn_b = await connect(url, MEMBER_PASSWORD[0])
            try:
                start = time.perf_counter()
                report = engine.SyncReport()
                await engine.push(b, conn_b, report)
                blocked = time.perf_counter() - start
            finally:
                await conn_b.close()
            assert report.pushed >= 1
            proxy.thaw_all()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(push_a, 10)
            conn_a.terminate()
    finally:
        await a.close()
        await b.close()
    return blocked


async def main(count: int, pushes: int, samples: int) -> None:
    name = f"su_bench_{os.getpid()}"
    roles: list[str] = []
    superuser = await asyncpg.connect(BASE_URL)
    await superuser.execute(f'CREATE DATABASE "{name}"')
    url = BASE_URL.rsplit("/", 1)[0] + "/" + name
    try:
        sa_engine = create_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1))
        await upgrade_to_head(sa_engine)
        await sa_engine.dispose()
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            origin = await Database.open(sqlite_url(tmp / "origin.db"))
            ident = await ensure_identity(origin, machine("origin"))
            conn = await connect(url, None)
            await engine.sync_round(origin, conn)
            await conn.close()
            await origin.close()
            org = ident.organization_id
            await seed_server(url, org, ident.project_id, count)
            conn = await connect(url, None)
            try:
                invite = await admin.invite(conn, url, org, "bench")
            finally:
                await conn.close()
            roles.append(invite.role)
            MEMBER_PASSWORD[0] = invite.password
            member = invite.server_url

            raw = await raw_limit(url, org, tmp / "raw.db")
            pulled, rows = await initial_pull(member, org, tmp / "pull.db")
            pushed = await push_changes(member, org, tmp / "pull.db", pushes)
            lat = await latency(member, org, tmp, samples)
            frozen = await frozen_block(member, org, tmp)
            restart = await restart_to_sync(tmp)
    finally:
        await superuser.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        group = "su_members_" + hashlib.md5(name.encode()).hexdigest()[:16]
        for role in [*roles, group]:
            await superuser.execute(f'DROP ROLE IF EXISTS "{role}"')
        await superuser.close()
    lat_ms = sorted(x * 1000 for x in lat)
    p50 = statistics.median(lat_ms)
    p95 = lat_ms[min(len(lat_ms) - 1, round(0.95 * len(lat_ms)) - 1)]
    print(f"{'measure':44} {'result':>14} {'raw/target':>16}")
    print(f"{'raw limit: asyncpg fetch + sqlite3 executemany':44} {raw:>13.2f}s {'':>16}")
    print(
        f"{f'initial pull of {rows} missions':44} {pulled:>13.2f}s "
        f"{f'{pulled / raw:.2f}x raw (≤2x)':>16}"
    )
    print(
        f"{f'push of {pushes} local changes':44} {pushed:>13.2f}s {f'{pushes / pushed:,.0f}/s':>16}"
    )
    print(
        f"{f'A→B propagation, {len(lat_ms)} edits':44} "
        f"{f'p50 {p50:.0f} ms':>14} {f'p95 {p95:.0f} ms (≤500)':>16}"
    )
    for label, value, target in (
        ("server restart → first successful sync", restart, RESTART_TARGET_S),
        ("frozen client blocks another's push", frozen, FROZEN_TARGET_S),
    ):
        verdict = "pass" if value <= target else "FAIL"
        print(f"{label:44} {value:>13.2f}s {f'≤{target:.0f} s {verdict}':>16}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--missions", type=int, default=100_000)
    parser.add_argument("--pushes", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.missions, args.pushes, args.samples))
