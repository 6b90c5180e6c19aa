"""Sync benchmark: ``.venv/bin/python bench/sync_bench.py [--missions N]``.

Prints, from one run against the local PostgreSQL (``SOLO_UNICORN_BENCH_PG_URL``, default
``postgresql://postgres@127.0.0.1:5432/postgres``; a throwaway database is created and dropped):

1. initial pull of N missions into an empty replica, vs the raw limit measured here: an asyncpg
   fetch of the same rows plus a plain ``sqlite3`` ``executemany`` into the same schema;
2. push of 10k local changes;
2b. the push floor measured in the same run: reading the same outbox with ``sqlite3`` plus one
   asyncpg transaction that sends the same changes (``executemany`` into a temporary table);
3. A→B propagation with two real ``solo-unicorn sync --watch`` processes: each edit is a real
   ``solo-unicorn mission update`` process on replica A (nobody calls ``sync_now()``: the write
   pokes A's sync loop through the wake FIFO), timed from the edit being visible in A's replica
   file to it being visible in B's (both read with ``sqlite3`` in a tight loop), p50/p95;
4. time from a server's restart (a private PostgreSQL, ``initdb`` in a temporary folder, killed
   with SIGKILL) to a live replica's first successful sync (target ≤ 2 s);
5. how long a client frozen while holding the organization's lock (its push stopped before
   COMMIT by a fault-injecting TCP proxy) blocks another client's push (target ≤ 5 s).

The replicas connect as a **member role** of the organization (``server invite``), so every
figure goes through row-level security and the server's ``SECURITY DEFINER`` sync functions;
only the seeding and the raw limit use the administrator.

``--json`` prints the figures as JSON on stdout for ``bench/run_all.py`` (the table goes to
stderr); ``--quick`` is 5000 missions, 2000 pushes, 15 edits and no restart/frozen figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import signal
import sqlite3
import statistics
import subprocess
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


async def push_changes(
    url: str, org: str, path: Path, count: int, admin_url: str
) -> tuple[float, float]:
    """The push of ``count`` changes, and its floor (measured just before, same outbox)."""
    db = await Database.open(sqlite_url(path))
    async with db.read() as sconn:
        ids = (await sconn.execute(select(MISSIONS.c.id).limit(count))).scalars().all()
    async with db.write() as sconn:
        writer = ChangeWriter(db, sconn)
        for i, mission_id in enumerate(ids):
            await writer.update(MISSIONS, mission_id, {"title": f"Pushed edit {i}"})
    assert await replica.pending_count(db) == count
    floor = await push_floor(admin_url, path)
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
    return elapsed, floor


async def push_floor(url: str, path: Path) -> float:
    """The same outbox read with ``sqlite3`` and sent in one asyncpg transaction."""
    start = time.perf_counter()
    lite = sqlite3.connect(path)
    rows = lite.execute(
        'SELECT change_id, table_name, row_id, organization_id, hlc, "values" FROM sync_outbox'
        " ORDER BY change_id"
    ).fetchall()
    lite.close()
    conn = await connect(url, None, check_schema=False)
    try:
        async with conn.transaction():
            await conn.execute(
                "CREATE TEMP TABLE bench_push (change_id bigint, table_name text, row_id text,"
                " organization_id text, hlc text, values jsonb) ON COMMIT DROP"
            )
            await conn.executemany("INSERT INTO bench_push VALUES ($1, $2, $3, $4, $5, $6)", rows)
    finally:
        await conn.close()
    assert rows
    return time.perf_counter() - start


CLI = [sys.executable, "-m", "solo_unicorn_tui.cli.main"]


def _process_env(home: Path, url: str, source: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOLO_UNICORN_")}
    env.update(
        SOLO_UNICORN_HOME=str(home),
        SOLO_UNICORN_SERVER_URL=url,
        SOLO_UNICORN_SERVER_PASSWORD=MEMBER_PASSWORD[0] or "",
        PYTHONPATH=str(source),
    )
    return env


class _Probe:
    """A read-only connection to a replica file, kept open for the whole run: a probe every
    millisecond that opened the file each time (and so parsed its schema) kept a core busy,
    and so slowed the very processes it timed."""

    def __init__(self, path: Path) -> None:
        self.lite = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)

    def pending(self) -> int:
        return int(self.lite.execute("SELECT count(*) FROM sync_outbox").fetchone()[0])

    def title_of(self, mission_id: str) -> str | None:
        found = self.lite.execute("SELECT title FROM missions WHERE id = ?", (mission_id,))
        row = found.fetchone()
        return row[0] if row else None

    def close(self) -> None:
        self.lite.close()


async def latency_processes(
    url: str, org: str, tmp: Path, samples: int, source: Path = ROOT, tag: str = ""
) -> list[float]:
    """A→B with two real ``sync --watch`` processes and real CLI writes (no ``sync_now()``),
    both running the source at ``source`` (``--baseline``: another checkout)."""
    homes = [tmp / f"watch-a{tag}", tmp / f"watch-b{tag}"]
    for home in homes:
        home.mkdir()
        db = await _joined(url, org, home / "replica.db", home.name)
        await db.close()
    a_db, b_db = (home / "replica.db" for home in homes)
    lite = sqlite3.connect(a_db)
    target = lite.execute("SELECT id FROM missions ORDER BY id LIMIT 1").fetchone()[0]
    lite.close()
    logs = [home / "watch.log" for home in homes]
    watchers = []
    for home, log in zip(homes, logs, strict=True):
        with log.open("w") as out:
            watchers.append(
                subprocess.Popen(
                    [*CLI, "sync", "--watch"],
                    env=_process_env(home, url, source),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=source,
                )
            )
    results = []
    debug = bool(os.environ.get("SOLO_UNICORN_BENCH_DEBUG"))
    probe_a, probe_b = _Probe(a_db), _Probe(b_db)
    try:
        for watcher, log in zip(watchers, logs, strict=True):
            deadline = time.monotonic() + 60
            while "synced" not in log.read_text():
                if watcher.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"sync --watch did not sync: {log.read_text()[-300:]}")
                await asyncio.sleep(0.05)
        for i in range(samples + 1):  # the first edit warms both sides up and is not counted
            title = f"latency probe {i}"
            writer = subprocess.Popen(
                [*CLI, "mission", "update", target, "--title", title, "--json"],
                env=_process_env(homes[0], url, source),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                cwd=source,
            )
            seen_a: float | None = None
            pushed_a: float | None = None
            deadline = time.monotonic() + 30
            while True:
                now = time.perf_counter()
                if seen_a is None and probe_a.title_of(target) == title:
                    seen_a = now
                if debug and seen_a is not None and pushed_a is None and not probe_a.pending():
                    pushed_a = now
                if seen_a is not None and probe_b.title_of(target) == title:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"edit {i} did not reach B within 30 s")
                await asyncio.sleep(0.001)
            if i:
                results.append(time.perf_counter() - seen_a)
                if debug:
                    print(
                        f"edit {i}: {results[-1] * 1000:.0f} ms, A pushed after "
                        f"{((pushed_a or 0) - seen_a) * 1000:.0f} ms",
                        file=sys.stderr,
                    )
            if writer.wait(30) != 0:
                raise RuntimeError(f"mission update failed: {writer.stderr.read()[-300:]}")  # type: ignore[union-attr]
            await asyncio.sleep(0.2)  # typing cadence: one edit after another, not a burst
    finally:
        probe_a.close()
        probe_b.close()
        for watcher in watchers:
            watcher.send_signal(signal.SIGTERM)
        for watcher in watchers:
            try:
                watcher.wait(10)
            except subprocess.TimeoutExpired:
                watcher.kill()
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


async def main(
    count: int, pushes: int, samples: int, quick: bool, as_json: bool, baseline: Path | None
) -> int:
    name = f"su_bench_{os.getpid()}"
    roles: list[str] = []
    superuser = await asyncpg.connect(BASE_URL)
    await superuser.execute(f'CREATE DATABASE "{name}"')
    url = BASE_URL.rsplit("/", 1)[0] + "/" + name
    frozen = restart = None
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
            pushed, floor = await push_changes(member, org, tmp / "pull.db", pushes, url)
            before = (
                await latency_processes(member, org, tmp, samples, baseline.resolve(), "-before")
                if baseline is not None
                else None
            )
            lat = await latency_processes(member, org, tmp, samples)
            if not quick:
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
    figures: list[dict[str, Any]] = [
        {
            "figure": f"initial pull of {rows} missions",
            "value": pulled,
            "unit": "s",
            "floor": raw,
            "floor_name": "asyncpg fetch + sqlite3 executemany",
            "ratio": pulled / raw,
            "target": 2.0,
            "pass": pulled / raw <= 2.0,
        },
        {
            "figure": f"push of {pushes} local changes",
            "value": pushed,
            "unit": "s",
            "floor": floor,
            "floor_name": "outbox read + one asyncpg transaction",
            "ratio": pushed / floor,
            "target": 2.0,
            "pass": pushed / floor <= 2.0,
        },
        {
            "figure": f"A→B propagation p50, {len(lat_ms)} CLI edits, 2 sync --watch",
            "value": p50,
            "unit": "ms",
            "floor": None,
            "ratio": None,
            "target": None,
            "pass": None,
        },
        {
            "figure": f"A→B propagation p95, {len(lat_ms)} CLI edits, 2 sync --watch",
            "value": p95,
            "unit": "ms",
            "floor": None,
            "ratio": None,
            "target": 100.0,
            "pass": p95 <= 100.0,
        },
    ]
    if before:
        old = sorted(x * 1000 for x in before)
        figures.append(
            {
                "figure": f"A→B propagation p50 / p95, baseline source {baseline}",
                "value": statistics.median(old),
                "unit": "ms",
                "floor": old[min(len(old) - 1, round(0.95 * len(old)) - 1)],
                "floor_name": "p95",
                "ratio": None,
                "target": None,
                "pass": None,
            }
        )
    for label, value, target in (
        ("server restart → first successful sync", restart, RESTART_TARGET_S),
        ("frozen client blocks another's push", frozen, FROZEN_TARGET_S),
    ):
        if value is not None:
            figures.append(
                {
                    "figure": label,
                    "value": value,
                    "unit": "s",
                    "floor": None,
                    "ratio": None,
                    "target": target,
                    "pass": value <= target,
                }
            )
    out = sys.stderr if as_json else sys.stdout
    print(f"{'measure':58} {'result':>12} {'floor':>9} {'ratio':>7} {'target':>8}", file=out)
    for f in figures:
        unit = f["unit"]
        floor_text = f"{f['floor']:.2f}{unit}" if f["floor"] is not None else ""
        ratio_text = f"{f['ratio']:.2f}×" if f["ratio"] is not None else ""
        if f["target"] is None:
            target_text, verdict = "", "info"
        else:
            target_text = f"≤{f['target']:g}{'×' if f['ratio'] is not None else unit}"
            verdict = "pass" if f["pass"] else "FAIL"
        print(
            f"{f['figure']:58} {f['value']:>10.2f}{unit:2} {floor_text:>9} {ratio_text:>7} "
            f"{target_text:>8} {verdict}",
            file=out,
        )
    if as_json:
        print(json.dumps(figures))
    return 0 if all(f["pass"] is not False for f in figures) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--missions", type=int, default=None, help="default 100000 (quick 5000)")
    parser.add_argument("--pushes", type=int, default=None, help="default 10000 (quick 2000)")
    parser.add_argument("--samples", type=int, default=None, help="default 50 (quick 15)")
    parser.add_argument("--quick", action="store_true", help="small sizes, no restart/frozen")
    parser.add_argument("--json", action="store_true", help="figures as JSON on stdout")
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="SRC",
        help="also measure propagation with another checkout's source (before), same run",
    )
    args = parser.parse_args()
    sys.exit(
        asyncio.run(
            main(
                args.missions or (5000 if args.quick else 100_000),
                args.pushes or (2000 if args.quick else 10_000),
                args.samples or (15 if args.quick else 50),
                args.quick,
                args.json,
                args.baseline,
            )
        )
    )
