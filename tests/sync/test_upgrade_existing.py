"""An existing single-role server (schema 0002, one organization, everyone on one role) keeps
working after ``server upgrade``: its role becomes the administrator, mapped to the organization
it already syncs, and the upgrade says how to move a team to member roles."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg

from storage import missions as ops
from storage.database import create_engine
from storage.migrate import downgrade_to, head_revision
from storage.missions import MissionDraft
from sync import server as srv
from sync.connection import connect
from sync.engine import sync_round
from tests.support.sync_env import (  # noqa: F401  (drop_test_roles: autouse)
    assert_converged,
    drop_test_roles,
    open_replica,
    upgrade_server,
)


async def _admin_sync(db, url: str):  # type: ignore[no-untyped-def]
    conn = await connect(url, None)
    try:
        return await sync_round(db, conn)
    finally:
        await conn.close()


async def _downgrade(url: str, revision: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1))
    try:
        await downgrade_to(engine, revision)
    finally:
        await engine.dispose()


def test_single_role_server_keeps_working_after_upgrade(
    cli, home, pg_database: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    async def before() -> tuple[str, str]:
        await upgrade_server(pg_database)
        a, ida = await open_replica(tmp_path / "a.db", "a")
        await ops.create_mission(a, ida.project_id, MissionDraft(title="from the old days"))
        await _admin_sync(a, pg_database)
        await a.close()
        await _downgrade(pg_database, "0002")
        conn = await asyncpg.connect(pg_database)
        try:
            assert await conn.fetchval("SELECT version_num FROM alembic_version") == "0002"
            assert await conn.fetchval("SELECT to_regclass('sync_members')") is None
        finally:
            await conn.close()
        return ida.organization_id, ida.project_id

    org, project = asyncio.run(before())
    done = cli("server", "upgrade", env={"SOLO_UNICORN_SERVER_URL": pg_database})
    assert done.returncode == 0, done.stderr
    assert f"upgraded from 0002 to schema {head_revision()}" in done.stdout
    assert f"keeps syncing organization {org} as before" in done.stdout
    assert "solo-unicorn server invite ORG --name WHO" in done.stdout

    async def after() -> None:
        conn = await connect(pg_database, None)
        try:
            me = await srv.whoami(conn)
            assert (me.is_admin, me.organization_id) == (True, org)
            assert me.notify_channel and me.notify_channel.startswith("su_")
        finally:
            await conn.close()
        a, _ = await open_replica(tmp_path / "a.db", "a")
        await ops.create_mission(a, project, MissionDraft(title="after the upgrade"))
        assert (await _admin_sync(a, pg_database)).pushed > 0
        b, _ = await open_replica(tmp_path / "b.db", "b")
        report = await _admin_sync(b, pg_database)
        assert report.joined == org
        titles = {m.title for m in await ops.list_missions(b, project)}
        assert titles == {"from the old days", "after the upgrade"}
        await _admin_sync(a, pg_database)
        await assert_converged(pg_database, org, a, b)
        await a.close()
        await b.close()

    asyncio.run(after())
