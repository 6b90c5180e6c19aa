"""Bad input: unreachable server, refused credentials, wrong schema, another organization.

Each gives a clear one-line error and leaves the replica untouched.
"""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import update

from storage import missions as ops
from storage.missions import MissionDraft
from storage.models import OutboxEntry
from sync import replica
from sync.connection import connect, map_connect_error
from sync.dump import dump_replica
from sync.errors import (
    OrganizationMismatchError,
    ServerAuthError,
    ServerSchemaError,
    ServerUnreachableError,
)
from tests.support.sync_env import (  # noqa: F401  (drop_test_roles: autouse)
    drop_test_roles,
    open_replica,
    server_dump,
    sync,
    upgrade_server,
)


@pytest.fixture
async def server(pg_database: str) -> str:
    await upgrade_server(pg_database)
    return pg_database


@pytest.fixture
async def solo(tmp_path: Path):  # type: ignore[no-untyped-def]
    db, identity = await open_replica(tmp_path / "solo.db", "solo")
    await ops.create_mission(db, identity.project_id, MissionDraft(title="keep me"))
    yield db, identity
    await db.close()


async def _snapshot(db, org):  # type: ignore[no-untyped-def]
    return (
        await dump_replica(db, org),
        await replica.pending_count(db),
        await replica.get_cursor(db),
    )


async def test_unreachable_server_is_a_clear_error_and_replica_untouched(solo) -> None:  # type: ignore[no-untyped-def]
    db, identity = solo
    before = await _snapshot(db, identity.organization_id)
    with pytest.raises(ServerUnreachableError, match=r"cannot reach the sync server .*:1/"):
        await sync(db, "postgresql://postgres@127.0.0.1:1/nothing")
    assert await _snapshot(db, identity.organization_id) == before


async def test_unknown_role_is_refused_with_login_hint(pg_database: str) -> None:  # type: ignore[no-untyped-def]
    """A real authentication failure from this server (it trusts 127.0.0.1, so a wrong password
    cannot fail here; an unknown role does)."""
    url = pg_database.replace("postgres@", "no_such_role_su@", 1)
    with pytest.raises(ServerAuthError, match="server login"):
        await connect(url, "whatever")


def test_wrong_password_maps_to_login_hint() -> None:
    error = asyncpg.InvalidPasswordError('password authentication failed for user "bob"')
    mapped = map_connect_error(error, "postgresql://bob@db.example:5432/board")
    assert isinstance(mapped, ServerAuthError)
    assert "postgresql://bob@db.example:5432/board" in str(mapped)
    assert "solo-unicorn server login" in str(mapped)
    assert "\n" not in str(mapped)


async def test_server_without_schema(solo, pg_database: str) -> None:  # type: ignore[no-untyped-def]
    db, identity = solo
    before = await _snapshot(db, identity.organization_id)
    with pytest.raises(ServerSchemaError, match="server upgrade"):
        await sync(db, pg_database)
    assert await _snapshot(db, identity.organization_id) == before


@pytest.mark.parametrize(
    ("version", "message"), [("0001", "older .*server upgrade"), ("9999", "newer .*update")]
)
async def test_server_schema_too_old_or_new(solo, server: str, version: str, message: str) -> None:  # type: ignore[no-untyped-def]
    db, identity = solo
    conn = await asyncpg.connect(server)
    await conn.execute("UPDATE alembic_version SET version_num = $1", version)
    await conn.close()
    before = await _snapshot(db, identity.organization_id)
    with pytest.raises(ServerSchemaError, match=message):
        await sync(db, server)
    assert await _snapshot(db, identity.organization_id) == before


async def test_server_with_another_organization_refuses_a_used_replica(
    solo, server: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    other, other_id = await open_replica(tmp_path / "other.db", "other")
    await sync(other, server)
    await other.close()
    db, identity = solo
    before = await _snapshot(db, identity.organization_id)
    with pytest.raises(OrganizationMismatchError, match="does not hold"):
        await sync(db, server)
    assert await _snapshot(db, identity.organization_id) == before
    assert other_id.organization_id != identity.organization_id


async def test_change_for_another_organization_is_rejected_and_acknowledged(
    solo, server: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    db, identity = solo
    bad = await ops.create_mission(db, identity.project_id, MissionDraft(title="smuggled"))
    outbox = OutboxEntry.__table__
    async with db.write() as conn:
        await conn.execute(
            update(outbox).where(outbox.c.row_id == bad.id).values(organization_id="org_other")
        )
    report = await sync(db, server)
    assert [r.row_id for r in report.rejections] == [bad.id]
    assert "organization 'org_other'" in report.rejections[0].reason
    assert await replica.pending_count(db) == 0
    dump = await server_dump(server, identity.organization_id)
    assert not any(bad.id in row for row in dump["missions"])
    assert any("keep me" in row for row in dump["missions"])
    conn = await asyncpg.connect(server)
    try:
        reasons = await conn.fetch("SELECT row_id, reason FROM sync_rejections")
    finally:
        await conn.close()
    assert [r["row_id"] for r in reasons] == [bad.id]


async def test_server_rejects_writes_to_rows_of_another_organization(
    server: str, tmp_path: Path
) -> None:
    a, ida = await open_replica(tmp_path / "a.db", "a")
    mission = await ops.create_mission(a, ida.project_id, MissionDraft(title="A's"))
    await sync(a, server)
    intruder, idi = await open_replica(tmp_path / "i.db", "intruder")
    await ops.create_mission(intruder, idi.project_id, MissionDraft(title="mine"))
    await sync(intruder, server, allow_new_organization=True)
    # The intruder forges an update of A's mission, labelled with its own organization.
    async with intruder.write() as conn:
        await conn.execute(
            OutboxEntry.__table__.insert().values(
                table_name="missions",
                row_id=mission.id,
                organization_id=idi.organization_id,
                op="upsert",
                hlc=intruder.hlc.now(),
                values={"title": "pwned"},
            )
        )
    report = await sync(intruder, server)
    assert len(report.rejections) == 1
    assert "exists on the server in another organization" in report.rejections[0].reason
    await sync(a, server)
    assert (await ops.get_mission(a, mission.id)).title == "A's"
    # Each replica sees only its own organization's rows.
    ours = await server_dump(server, idi.organization_id)
    assert all(mission.id not in row for row in ours["missions"])
    await a.close()
    await intruder.close()


async def test_change_the_server_cannot_store_is_rejected_not_stuck(solo, server: str) -> None:  # type: ignore[no-untyped-def]
    db, identity = solo
    mission = await ops.create_mission(db, identity.project_id, MissionDraft(title="ok"))
    await sync(db, server)
    async with db.write() as conn:
        await conn.execute(
            OutboxEntry.__table__.insert().values(
                table_name="missions",
                row_id=mission.id,
                organization_id=identity.organization_id,
                op="upsert",
                hlc=db.hlc.now(),
                values={"priority": 9},
            )
        )
    after = await ops.create_mission(db, identity.project_id, MissionDraft(title="after"))
    report = await sync(db, server)
    assert len(report.rejections) == 1 and "priority" in report.rejections[0].reason
    assert await replica.pending_count(db) == 0
    dump = await server_dump(server, identity.organization_id)
    assert any(after.id in row for row in dump["missions"])
