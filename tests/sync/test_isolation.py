"""Two organizations share a server; organization 2's member role attacks organization 1.

Everything runs on the real PostgreSQL server with the credentials a member is given: plain SQL
on every table, the sync functions called with forged arguments, claims, LISTEN.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from storage import missions as ops
from storage.database import Database
from storage.errors import ConflictError
from storage.identity import Identity
from storage.missions import MissionDraft
from storage.models import REPLICATED_TABLES, OutboxEntry
from storage.types import utcnow
from sync import server as srv
from sync.claims import ClaimClient
from sync.connection import connect
from sync.errors import NotAMemberError, OrganizationMismatchError
from sync.protocol import Change
from tests.support.sync_env import (  # noqa: F401  (drop_test_roles: autouse)
    Credentials,
    drop_test_roles,
    member,
    open_replica,
    sync,
    upgrade_server,
)

SYNC_TABLES = ("sync_rows", "sync_sites", "sync_rejections", "mission_claims", "sync_org_seq")
PRIVATE_TABLES = ("sync_members", "sync_server_info", "sync_replicated_tables", "alembic_version")


@dataclass
class Org:
    db: Database
    identity: Identity
    creds: Credentials
    mission_id: str

    @property
    def id(self) -> str:
        return self.identity.organization_id


async def _organization(url: str, path: Path, name: str, *, first: bool) -> Org:
    db, identity = await open_replica(path, name)
    await sync(db, url, allow_new_organization=not first)  # the administrator creates it
    mission = await ops.create_mission(db, identity.project_id, MissionDraft(title=f"{name}'s"))
    await ops.update_mission(db, mission.id, description=f"secret plans of {name}")
    await sync(db, url)  # now as the organization's member role
    return Org(db, identity, await member(url, identity.organization_id), mission.id)


@pytest.fixture
async def orgs(pg_database: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    await upgrade_server(pg_database)
    one = await _organization(pg_database, tmp_path / "one.db", "one", first=True)
    two = await _organization(pg_database, tmp_path / "two.db", "two", first=False)
    # Give organization 1 a row in every sync table: a claim and a rejection too.
    claims = ClaimClient(one.db, one.creds.url, None, one.id, one.identity.workstation_id)
    try:
        await claims.claim(one.mission_id)
    finally:
        await claims.close()
    async with one.db.write() as conn:
        await conn.execute(
            OutboxEntry.__table__.insert().values(
                table_name="missions",
                row_id=one.mission_id,
                organization_id=one.id,
                op="upsert",
                hlc=one.db.hlc.now(),
                values={"priority": 9},
            )
        )
    assert (await sync(one.db, pg_database)).rejections
    yield one, two
    await one.db.close()
    await two.db.close()


async def _as(creds: Credentials) -> asyncpg.Connection:
    return await connect(creds.url, creds.password)


async def _admin_rows(url: str, table: str, org: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        column = "id" if table == "organizations" else "organization_id"
        return await conn.fetchval(f'SELECT count(*) FROM "{table}" WHERE {column} = $1', org)
    finally:
        await conn.close()


async def test_member_reads_no_row_of_the_other_organization(orgs, pg_database: str) -> None:  # type: ignore[no-untyped-def]
    one, two = orgs
    conn = await _as(two.creds)
    try:
        for table in (*REPLICATED_TABLES, *SYNC_TABLES):
            rows = await conn.fetch(f'SELECT * FROM "{table}"')
            leaked = [
                dict(r)
                for r in rows
                if one.id in (r.get("organization_id"), r.get("id")) or one.id in str(dict(r))
            ]
            assert not leaked, f"{table}: {leaked}"
        for table in PRIVATE_TABLES:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.fetch(f'SELECT * FROM "{table}"')
        # The policies filter, they do not just deny: organization 2 sees its own rows.
        titles = [r["title"] for r in await conn.fetch("SELECT title FROM missions")]
        assert titles == ["two's"]
        assert await conn.fetchval("SELECT count(*) FROM sync_org_seq") == 1
    finally:
        await conn.close()
    # ...and organization 1 really has rows in each of those tables.
    for table in ("organizations", "missions", "mission_events", *SYNC_TABLES):
        assert await _admin_rows(pg_database, table, one.id) > 0, table


async def test_member_cannot_insert_update_delete_or_truncate_any_table(
    orgs, pg_database: str
) -> None:  # type: ignore[no-untyped-def]
    _one, two = orgs
    admin = await asyncpg.connect(pg_database)
    try:
        tables = {
            r["relname"]: r["attname"]
            for r in await admin.fetch(
                "SELECT c.relname, a.attname FROM pg_class c JOIN pg_attribute a "
                "ON a.attrelid = c.oid AND a.attnum = 1 "
                "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'"
            )
        }
    finally:
        await admin.close()
    assert set(REPLICATED_TABLES) | set(SYNC_TABLES) | set(PRIVATE_TABLES) <= set(tables)
    conn = await _as(two.creds)
    try:
        for table, column in tables.items():
            for statement in (
                f'INSERT INTO "{table}" DEFAULT VALUES',
                f'UPDATE "{table}" SET "{column}" = "{column}"',
                f'DELETE FROM "{table}"',
                f'TRUNCATE "{table}"',
            ):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.execute(statement)
        for function in ("su_admin_invite", "su_admin_revoke", "su_admin_grant"):
            args = (
                "('x', 'y', 'SCRAM-SHA-256$x', 'z')" if function == "su_admin_invite" else "('x')"
            )
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(f"SELECT {function}{args}")
    finally:
        await conn.close()


async def test_forged_pushes_cannot_change_the_other_organizations_rows(
    orgs, pg_database: str
) -> None:  # type: ignore[no-untyped-def]
    one, two = orgs
    admin = await asyncpg.connect(pg_database)
    before = dict(
        await admin.fetchrow(
            "SELECT title, description, priority, col_clocks::text FROM missions WHERE id = $1",
            one.mission_id,
        )
    )
    sites_before = await admin.fetch("SELECT * FROM sync_sites ORDER BY site_id")
    # A minute ahead: the latest clock the server still takes (further ahead is refused as skew,
    # before any organization check), so each refusal below is the organization's.
    later = f"{int(time.time() * 1000) + 60_000:015d}:000000:site_attacker"

    def change(n: int, table: str, row: str, org: str, values: dict) -> Change:  # type: ignore[type-arg]
        return Change(n, table, row, org, later, values)

    conn = await _as(two.creds)
    try:
        result = await srv.apply_push(
            conn,
            two.db.site_id,
            [
                change(1001, "missions", one.mission_id, one.id, {"title": "pwned", "priority": 5}),
                change(1002, "missions", one.mission_id, two.id, {"title": "pwned", "priority": 5}),
                change(1003, "organizations", one.id, one.id, {"name": "pwned"}),
                change(1004, "sync_members", "x", two.id, {"organization_id": one.id}),
            ],
        )
        reasons = [r.reason for r in result.rejections]
        assert len(reasons) == 4, reasons
        assert "this replica syncs" in reasons[0] and "another organization" in reasons[1]
        assert "this replica syncs" in reasons[2] and "unknown table" in reasons[3]
        # The site id of an organization-1 replica is refused outright.
        with pytest.raises(OrganizationMismatchError, match="another organization"):
            await srv.apply_push(
                conn, one.db.site_id, [change(10_000, "missions", one.mission_id, two.id, {})]
            )
        with pytest.raises(OrganizationMismatchError):
            await srv.reject(
                conn, one.db.site_id, change(10_000, "missions", "x", two.id, {}), "forged"
            )
        # An organization chosen by the caller is ignored for a member.
        assert await srv.use_organization(conn, one.id) == two.id
        await conn.execute("SELECT set_config('solo_unicorn.organization', $1, false)", one.id)
        assert (await srv.whoami(conn)).organization_id == two.id
        result = await srv.apply_push(
            conn,
            two.db.site_id,
            [change(1005, "missions", one.mission_id, one.id, {"title": "pwned"})],
        )
        assert len(result.rejections) == 1
        # Reading through the functions: nothing of organization 1 either.
        assert await srv.site_last_change(conn, one.db.site_id) == 0
        assert await srv.rejections_for(conn, one.db.site_id) == []
        assert await srv.organizations(conn) == [two.id]
        batch = await srv.fetch_changes(conn, 0, 100_000)
        assert one.id not in repr(batch.rows) and batch.rows["missions"]
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="not a replicated"):
            await conn.fetch("SELECT * FROM su_pull_rows(NULL::sync_members, 0, 1000000)")
    finally:
        await conn.close()
    after = dict(
        await admin.fetchrow(
            "SELECT title, description, priority, col_clocks::text FROM missions WHERE id = $1",
            one.mission_id,
        )
    )
    sites_after = await admin.fetch("SELECT * FROM sync_sites ORDER BY site_id")
    await admin.close()
    assert after == before
    assert [r for r in sites_after if r["site_id"] == one.db.site_id] == [
        r for r in sites_before if r["site_id"] == one.db.site_id
    ]
    await sync(one.db, pg_database)
    got = await ops.get_mission(one.db, one.mission_id)
    assert (got.title, got.description) == ("one's", "secret plans of one")


async def test_claims_on_the_other_organizations_missions_are_refused(
    orgs, pg_database: str
) -> None:  # type: ignore[no-untyped-def]
    one, two = orgs
    unclaimed = await ops.create_mission(one.db, one.identity.project_id, MissionDraft(title="u"))
    await sync(one.db, pg_database)
    attacker = ClaimClient(
        two.db, two.creds.url, None, two.id, two.identity.workstation_id, lease_seconds=0.2
    )
    admin = await asyncpg.connect(pg_database)
    try:
        # Held (the fixture's claim), never claimed, released, and expired: refused every time.
        with pytest.raises(ConflictError, match="belongs to another organization"):
            await attacker._server_claim(one.mission_id)
        with pytest.raises(ConflictError, match="belongs to another organization"):
            await attacker._server_claim(unclaimed.id)
        await admin.execute("UPDATE mission_claims SET released = true")
        with pytest.raises(ConflictError, match="belongs to another organization"):
            await attacker._server_claim(one.mission_id)
        await admin.execute(
            "UPDATE mission_claims SET released = false, lease_expires_at = $1",
            utcnow() - timedelta(hours=1),
        )
        with pytest.raises(ConflictError, match="belongs to another organization"):
            await attacker._server_claim(one.mission_id)
        conn = await attacker._connection()
        holder = await admin.fetchrow(
            "SELECT * FROM mission_claims WHERE mission_id = $1", one.mission_id
        )
        assert (
            await srv.renew(conn, one.mission_id, holder["epoch"], holder["workstation_id"], 999)
            is None
        )
        assert (
            await srv.release(conn, one.mission_id, holder["epoch"], holder["workstation_id"])
            is False
        )
        assert await srv.claim_holder(conn, one.mission_id) is None
        after = await admin.fetchrow(
            "SELECT * FROM mission_claims WHERE mission_id = $1", one.mission_id
        )
        assert dict(after) == dict(holder)
        # Organization 1 itself takes its expired claim over as usual.
        own = ClaimClient(one.db, one.creds.url, None, one.id, one.identity.workstation_id)
        try:
            assert await own.claim(one.mission_id) == holder["epoch"] + 1
        finally:
            await own.close()
    finally:
        await attacker.close()
        await admin.close()


async def test_listen_shows_nothing_of_the_other_organization(orgs, pg_database: str) -> None:  # type: ignore[no-untyped-def]
    one, two = orgs
    heard: list[tuple[str, str]] = []
    own_poke = asyncio.Event()
    listener = await _as(two.creds)
    watcher = await _as(one.creds)
    one_heard: list[str] = []
    try:
        me = await srv.whoami(listener)
        assert me.notify_channel and me.notify_channel.startswith("su_")
        assert len(me.notify_channel) >= 35  # 128 random bits: not guessable

        def record(_conn, _pid, channel: str, payload: str) -> None:  # type: ignore[no-untyped-def]
            heard.append((channel, payload))
            if channel == me.notify_channel:
                own_poke.set()

        # Its own channel, the channel name older servers used, and a guess.
        for channel in (me.notify_channel, "solo_unicorn_sync", "su_" + "0" * 32):
            await listener.add_listener(channel, record)
        one_channel = (await srv.whoami(watcher)).notify_channel
        assert one_channel and one_channel != me.notify_channel
        await watcher.add_listener(one_channel, lambda *args: one_heard.append(args[3]))
        # Organization 1 pushes, then organization 2: NOTIFYs arrive in commit order, so once
        # organization 2's own poke is here, anything organization 1 leaked would be too.
        await ops.update_mission(one.db, one.mission_id, title="one, edited")
        await sync(one.db, pg_database)
        await ops.update_mission(two.db, two.mission_id, title="two, edited")
        await sync(two.db, pg_database)
        await asyncio.wait_for(own_poke.wait(), 10)
        assert heard == [(me.notify_channel, "")]
        assert one_heard and set(one_heard) == {""}  # no ids in the payload
    finally:
        await listener.close()
        await watcher.close()


async def test_member_without_a_mapping_can_do_nothing(orgs, pg_database: str) -> None:  # type: ignore[no-untyped-def]
    """A role the administrator unmapped (or any other role of the cluster) gets nothing."""
    _one, two = orgs
    admin = await asyncpg.connect(pg_database)
    try:
        role = urlsplit(two.creds.url).username
        await admin.execute("DELETE FROM sync_members WHERE role_name = $1", role)
    finally:
        await admin.close()
    conn = await _as(two.creds)
    try:
        assert await conn.fetchval("SELECT count(*) FROM missions") == 0
        with pytest.raises(NotAMemberError, match="not a member"):
            await srv.apply_push(conn, two.db.site_id, [])
        with pytest.raises(NotAMemberError):
            await srv.fetch_changes(conn, 0, 10)
    finally:
        await conn.close()
    with pytest.raises(NotAMemberError, match="not a member"):
        await sync(two.db, pg_database)
