"""Helpers for sync tests: replicas as separate SQLite files against one real Postgres.

Tests hand :func:`sync` the administrator's URL of a server prepared with
:func:`upgrade_server`. Unless ``SOLO_UNICORN_TEST_SYNC_AS=admin``, the sync then runs as a
**member role** of the replica's organization, as a team member's workstation would: the first
replica of an organization syncs once as the administrator (as a solo user's replica creates its
organization), and every later sync connects as a member role invited for that organization.

Roles are cluster-wide: every role made here is named ``su_<tag>_…`` with a tag derived from the
test database (:func:`role_tag`), and the autouse fixture :func:`drop_test_roles` (import it into
a test module) drops them, and the database's member group, after each test.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from storage.database import Database, create_engine, get_meta, sqlite_url
from storage.identity import Identity, Machine, ensure_identity
from storage.migrate import upgrade_to_head
from sync import admin, engine, replica
from sync import server as srv
from sync.connection import connect
from sync.engine import SyncReport, sync_round

AS_ADMIN = os.environ.get("SOLO_UNICORN_TEST_SYNC_AS") == "admin"


def machine(name: str) -> Machine:
    return Machine(name, f"host-{name}", "linux", "x86_64", "6.0", "0.1.0")


async def open_replica(path: Path, name: str) -> tuple[Database, Identity]:
    db = await Database.open(sqlite_url(path))
    return db, await ensure_identity(db, machine(name))


# --- servers and member roles ---------------------------------------------------------------


@dataclass
class Credentials:
    url: str
    password: str | None


#: admin URL → {organization_id → member credentials}
_MEMBERS: dict[str, dict[str, Credentials]] = {}
#: admin URLs of every server a test prepared (for role clean-up)
_SERVERS: set[str] = set()


def database_of(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]


def role_tag(url: str) -> str:
    """A short tag unique to the test database, put in every role name made for it."""
    return "t" + hashlib.md5(database_of(url).encode()).hexdigest()[:10]


def member_group(url: str) -> str:
    """The member group migration 0003 names for this database."""
    return "su_members_" + hashlib.md5(database_of(url).encode()).hexdigest()[:16]


def track_server(url: str) -> None:
    """Clean up this server's roles after the test (for servers upgraded by a subprocess)."""
    _SERVERS.add(url)


async def upgrade_server(url: str) -> None:
    track_server(url)
    engine_ = create_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1))
    try:
        await upgrade_to_head(engine_)
    finally:
        await engine_.dispose()


async def invite_member(url: str, organization_id: str, label: str = "m") -> Credentials:
    """A new member role of ``organization_id`` (made with the administrator's ``url``)."""
    track_server(url)
    conn = await connect(url, None)
    try:
        made = await admin.invite(conn, url, organization_id, f"{role_tag(url)}_{label}")
    finally:
        await conn.close()
    return Credentials(made.server_url, made.password)


async def member(url: str, organization_id: str) -> Credentials:
    """The member role these tests use for ``organization_id`` (made on first use)."""
    known = _MEMBERS.setdefault(url, {})
    if organization_id not in known:
        known[organization_id] = await invite_member(url, organization_id)
    return known[organization_id]


async def member_url(url: str, organization_id: str) -> str:
    """A URL for syncing ``organization_id`` as a member (the admin URL with AS_ADMIN)."""
    if AS_ADMIN:
        return url
    return (await member(url, organization_id)).url


async def _local_organization(db: Database) -> str:
    async with db.read() as conn:
        value = await get_meta(conn, "organization_id")
    assert value
    return value


async def credentials_for(db: Database, url: str, **kwargs: Any) -> Credentials:
    """Whom this replica's sync connects as: a member of its organization, or the admin when
    there is no such organization yet (the first replica creates it)."""
    if AS_ADMIN or url not in _SERVERS:
        return Credentials(url, None)
    local = await _local_organization(db)
    known_members = _MEMBERS.get(url, {})
    join = kwargs.get("join")
    if join is None and local in known_members:
        return known_members[local]
    conn = await connect(url, None)
    try:
        known = await srv.organizations(conn)
    finally:
        await conn.close()
    fresh = await replica.get_cursor(db) == 0 and not await _has_missions(db)
    if join is not None and join in known:
        return await member(url, join)
    if local in known:
        return await member(url, local)
    if fresh and len(known) == 1 and not kwargs.get("allow_new_organization"):
        return await member(url, known[0])
    return Credentials(url, None)


async def _has_missions(db: Database) -> bool:
    from sqlalchemy import func, select

    from storage.models import Mission

    async with db.read() as conn:
        return bool((await conn.execute(select(func.count()).select_from(Mission))).scalar_one())


async def sync(db: Database, url: str, **kwargs: Any) -> SyncReport:
    who = await credentials_for(db, url, **kwargs)
    conn = await connect(who.url, who.password)
    try:
        return await sync_round(db, conn, **kwargs)
    finally:
        await conn.close()


async def connect_as(db: Database, url: str) -> asyncpg.Connection:
    """A sync connection as this replica's member role (already synced once)."""
    who = await credentials_for(db, url)
    conn = await connect(who.url, who.password)
    if who.url == url:
        await srv.use_organization(conn, await _local_organization(db))
    return conn


async def drop_roles(url: str) -> None:
    """Drop every role made for this test database, and its member group."""
    tag, group = role_tag(url), member_group(url)
    base = url.rsplit("/", 1)[0] + "/postgres"
    conn = await asyncpg.connect(base)
    try:
        names = [
            r[0]
            for r in await conn.fetch(
                "SELECT rolname FROM pg_roles WHERE rolname LIKE $1 OR rolname = $2",
                f"su\\_{tag}\\_%",
                group,
            )
        ]
        for name in sorted(names, key=lambda n: n == group):
            try:
                await conn.execute(f'DROP ROLE IF EXISTS "{name}"')
            except asyncpg.DependentObjectsStillExistError:
                db_conn = await asyncpg.connect(url)
                try:
                    await db_conn.execute(f'DROP OWNED BY "{name}"')
                finally:
                    await db_conn.close()
                await conn.execute(f'DROP ROLE IF EXISTS "{name}"')
    finally:
        await conn.close()


@pytest.fixture(autouse=True)
def drop_test_roles() -> Iterator[None]:
    """Autouse (import it into a module): drop the roles a test made, whatever happened.

    A plain fixture running its own loop in a thread, so it serves sync and async tests alike.
    """
    yield
    servers = sorted(_SERVERS)
    _SERVERS.clear()
    _MEMBERS.clear()

    failures: list[BaseException] = []

    def drop_all() -> None:
        for url in servers:
            try:
                asyncio.run(drop_roles(url))
            except BaseException as error:  # reported below, in the test's thread
                failures.append(error)

    if servers:
        worker = threading.Thread(target=drop_all)
        worker.start()
        worker.join()
    if failures:
        raise failures[0]


# --- comparing replicas -----------------------------------------------------------------------


async def mission_row(db: Database, mission_id: str) -> dict:  # type: ignore[type-arg]
    from sqlalchemy import select

    from storage.models import Mission

    table = Mission.__table__
    async with db.read() as conn:
        return dict(
            (await conn.execute(select(table).where(table.c.id == mission_id))).mappings().one()
        )


async def server_dump(url: str, org: str) -> dict:  # type: ignore[type-arg]
    from sync.dump import dump_server

    conn = await connect(url, None)
    try:
        return await dump_server(conn, org)
    finally:
        await conn.close()


async def assert_converged(url: str, org: str, *dbs: Database) -> None:
    from sync.dump import dump_replica

    expected = await server_dump(url, org)
    assert sum(len(rows) for rows in expected.values()) > 0
    for db in dbs:
        got = await dump_replica(db, org)
        assert got == expected, f"replica {db.site_id} differs from the server"


__all__ = [
    "AS_ADMIN",
    "Credentials",
    "assert_converged",
    "connect_as",
    "drop_test_roles",
    "engine",
    "invite_member",
    "member",
    "member_url",
    "mission_row",
    "open_replica",
    "server_dump",
    "sync",
    "track_server",
    "upgrade_server",
]
