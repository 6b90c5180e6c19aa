"""One sync round over an open server connection: confirm, (join,) push, pull.

Joining an organization. A member role belongs to one organization (the administrator's ``server
invite``): a *fresh* replica (never pulled, no missions) adopts it on its first sync. With the
administrator's role, the first replica to sync creates its organization on the server, and a
fresh replica adopts the server's only organization (or the one named with ``join``). Adopting:
its local bootstrap organization (and its default project, flow and actor, when the server
already has a project) are dropped, its user and workstation rows move to the server's
organization, and everything is then pulled. A replica that is not fresh and whose organization
the server does not hold is refused with a clear message (nothing changes locally), unless it is
explicitly allowed to add a new organization."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy import delete, func, select, update

from storage import merge_invariants
from storage.database import Database, get_meta, set_meta
from storage.models import REPLICATED_TABLES, Actor, Flow, Mission, Organization, Project
from sync import replica, server
from sync.errors import NotAMemberError, OrganizationMismatchError
from sync.protocol import Change, PushResult, Rejection

log = logging.getLogger(__name__)

PUSH_BATCH = 1000
PULL_BATCH = 5000

Progress = Callable[[int, int], None]
"""``progress(done, total)`` while pulling."""


@dataclass
class SyncReport:
    pushed: int = 0
    duplicates: int = 0
    pulled: int = 0
    cursor: int = 0
    joined: str | None = None
    rejections: list[Rejection] = field(default_factory=list)
    restamped: int = 0
    """Rows re-stamped at the server's time after a clock-skew refusal (pushed again)."""
    folded: dict[str, Any] = field(default_factory=dict)
    """What :func:`storage.merge_invariants.enforce` fixed after the pull (pushed next round)."""


async def organization_of(db: Database) -> str:
    async with db.read() as conn:
        org = await get_meta(conn, "organization_id")
    if not org:
        raise OrganizationMismatchError("this replica has no organization yet: open it once first")
    return org


async def _is_fresh(db: Database) -> bool:
    async with db.read() as conn:
        if await get_meta(conn, replica.CURSOR_KEY) is not None:
            return False
        missions = Mission.__table__
        count = (await conn.execute(select(func.count()).select_from(missions))).scalar_one()
    return count == 0


async def prepare(
    db: Database,
    conn: asyncpg.Connection,
    *,
    join: str | None = None,
    allow_new_organization: bool = False,
) -> tuple[str, str | None]:
    """Settle which organization this replica syncs; return it and the one joined (if any).

    A member role is bound to one organization by the server: the replica syncs that one (a
    fresh replica adopts it). An administrator chooses, for this session, the organization its
    replica holds (or the one it joins).
    """
    me = await server.whoami(conn)
    if not me.is_admin:
        return await _prepare_member(db, conn, me, join)
    local = await organization_of(db)
    known = await server.organizations(conn)
    chosen = await _choose_as_admin(db, conn, local, known, join, allow_new_organization)
    await server.use_organization(conn, chosen[0])
    return chosen


async def _prepare_member(
    db: Database, conn: asyncpg.Connection, me: server.Identity, join: str | None
) -> tuple[str, str | None]:
    target = me.organization_id
    if target is None:
        raise NotAMemberError(
            f"role {me.role} is not a member of any organization on this server: the "
            "administrator may have revoked it; ask for a new invite"
        )
    if join is not None and join != target:
        raise OrganizationMismatchError(
            f"role {me.role} is a member of organization {target}, not {join}: drop --join or "
            "log in with an invite for that organization"
        )
    local = await organization_of(db)
    if local == target:
        return local, None
    if await _is_fresh(db):
        await adopt_organization(db, conn, local, target)
        return target, target
    raise OrganizationMismatchError(
        f"this replica belongs to organization {local}, but role {me.role} is a member of "
        f"organization {target}; a replica with missions cannot join another organization: "
        "use a fresh SOLO_UNICORN_HOME to join"
    )


async def _choose_as_admin(
    db: Database,
    conn: asyncpg.Connection,
    local: str,
    known: list[str],
    join: str | None,
    allow_new_organization: bool,
) -> tuple[str, str | None]:
    if local in known and join in (None, local):
        return local, None
    if join is None and (allow_new_organization or not known):
        return local, None
    target = join
    if target is None and len(known) == 1:
        target = known[0]
    fresh = await _is_fresh(db)
    if target is not None and target in known and fresh:
        await server.use_organization(conn, target)
        await adopt_organization(db, conn, local, target)
        return target, target
    if join is not None and join not in known:
        raise OrganizationMismatchError(
            f"the sync server holds no organization {join!r} (it holds: {', '.join(known)})"
        )
    raise OrganizationMismatchError(
        f"this replica belongs to organization {local}, which the sync server does not hold "
        f"(it holds: {', '.join(known)}); a replica with missions cannot join another "
        "organization: use a fresh SOLO_UNICORN_HOME to join, or sync with "
        "--new-organization to add this one"
    )


async def adopt_organization(
    db: Database, conn: asyncpg.Connection, local: str, target: str
) -> None:
    """Move a fresh replica into ``target`` (the connection already syncs ``target``)."""
    project_id = await server.first_project(conn)
    outbox = replica.OUTBOX
    async with db.write() as sconn:
        dropped = [Organization.__table__]
        if project_id is not None:
            dropped += [Project.__table__, Flow.__table__, Actor.__table__]
        for table in dropped:
            ids = (
                (await sconn.execute(select(table.c.id).where(table.c.organization_id == local)))
                .scalars()
                .all()
            )
            if table is Organization.__table__:
                ids = [local]
            await sconn.execute(delete(table).where(table.c.id.in_(ids)))
            await sconn.execute(
                delete(outbox).where(outbox.c.table_name == table.name, outbox.c.row_id.in_(ids))
            )
        for table in REPLICATED_TABLES.values():
            await sconn.execute(
                update(table).where(table.c.organization_id == local).values(organization_id=target)
            )
        await sconn.execute(
            update(outbox).where(outbox.c.organization_id == local).values(organization_id=target)
        )
        await set_meta(sconn, "organization_id", target)
        if project_id is not None:
            await set_meta(sconn, "project_id", project_id)
    log.info("replica joined organization %s (was %s)", target, local)


async def confirm(db: Database, conn: asyncpg.Connection) -> None:
    """Drop outbox entries the server committed before a crash cut off its reply."""
    await replica.drop_outbox(db, await server.site_last_change(conn, db.site_id))


def _refused_for_skew(rejection: Rejection) -> bool:
    return "ahead of the server's time" in rejection.reason


async def push(db: Database, conn: asyncpg.Connection, report: SyncReport) -> None:
    """Push the outbox in batches. Changes refused for a clock beyond the server's skew bound
    (recorded like every refusal) are re-stamped once at the server's time and pushed again
    (:func:`sync.replica.restamp_ahead`); every other refused row takes the server's version."""
    restamped = False
    while True:
        changes = await replica.read_outbox(db, PUSH_BATCH)
        if not changes:
            return
        try:
            result = await server.apply_push(conn, db.site_id, changes)
        except server.PERMANENT_ERRORS:
            result = await _push_one_by_one(db, conn, changes)
        await replica.drop_outbox(db, result.acked_change_id)
        report.pushed += result.applied
        report.duplicates += result.duplicates
        report.rejections.extend(result.rejections)
        for rejection in result.rejections:
            log.warning(
                "server rejected change %s (%s %s): %s",
                rejection.change_id,
                rejection.table_name,
                rejection.row_id,
                rejection.reason,
            )
        if result.rejections:
            last = result.rejections[-1]
            async with db.write() as sconn:
                before = int(await get_meta(sconn, replica.REJECTED_KEY) or 0)
                await set_meta(sconn, replica.REJECTED_KEY, str(before + len(result.rejections)))
                await set_meta(
                    sconn,
                    replica.LAST_REJECTION_KEY,
                    f"{last.table_name} {last.row_id}: {last.reason}",
                )
            others = {
                (r.table_name, r.row_id) for r in result.rejections if not _refused_for_skew(r)
            }
            skewed = [
                r
                for r in result.rejections
                if _refused_for_skew(r) and (r.table_name, r.row_id) not in others
            ]
            if skewed and not restamped:
                restamped = True
                by_id = {c.change_id: c for c in changes}
                server_now = await server.now_ms(conn)
                db.hlc.adopt(server_now)
                refused = [by_id[r.change_id] for r in skewed if r.change_id in by_id]
                report.restamped += await replica.restamp_ahead(db, refused, server_now)
                log.warning(
                    "this replica's clock ran ahead of the server's: adopted the server's time "
                    "and re-stamped %d refused changes",
                    len(refused),
                )
                skewed = []
            await take_back_rejected(
                db,
                conn,
                [r for r in result.rejections if (r.table_name, r.row_id) in others] + skewed,
            )


async def take_back_rejected(
    db: Database, conn: asyncpg.Connection, rejections: list[Rejection]
) -> None:
    """Rows whose change the server refused for good take the server's version back.

    The refused values (and their clocks) exist only on this replica; left alone they would
    win every later merge here and this replica would disagree with everyone else for good.
    The reason stays in ``sync_rejections`` on the server and in :data:`LAST_REJECTION_KEY`.
    """
    by_table: dict[str, set[str]] = {}
    for rejection in rejections:
        if rejection.table_name in REPLICATED_TABLES:
            by_table.setdefault(rejection.table_name, set()).add(rejection.row_id)
    for table_name, ids in sorted(by_table.items()):
        rows = await server.rows_by_id(conn, table_name, sorted(ids))
        await replica.take_server_rows(db, table_name, sorted(ids), rows)


async def _push_one_by_one(
    db: Database, conn: asyncpg.Connection, changes: list[Change]
) -> PushResult:
    """A batch hit bad data: apply change by change, refusing (and recording) the bad ones."""
    total = PushResult(acked_change_id=0)
    for change in changes:
        try:
            result = await server.apply_push(conn, db.site_id, [change])
        except server.PERMANENT_ERRORS as error:
            reason = f"the server cannot store this change: {error}"
            result = await server.reject(conn, db.site_id, change, reason)
        total.acked_change_id = max(total.acked_change_id, result.acked_change_id)
        total.applied += result.applied
        total.duplicates += result.duplicates
        total.rejections.extend(result.rejections)
    return total


async def pull(
    db: Database,
    conn: asyncpg.Connection,
    report: SyncReport,
    progress: Progress | None = None,
) -> None:
    cursor = await replica.get_cursor(db)
    total = await server.remaining_changes(conn, cursor) if progress else 0
    done = 0
    while True:
        batch = await server.fetch_changes(conn, cursor, PULL_BATCH)
        if batch.cursor == cursor:
            break
        report.pulled += await replica.apply_batch(db, batch)
        cursor = batch.cursor
        done += batch.count
        if progress:
            progress(min(done, total), total)
    report.cursor = cursor


async def sync_round(
    db: Database,
    conn: asyncpg.Connection,
    *,
    progress: Progress | None = None,
    join: str | None = None,
    allow_new_organization: bool = False,
    settled: bool = False,
) -> SyncReport:
    """One push and pull. ``settled``: a later round on a connection whose first round already
    settled the organization and confirmed the outbox (both skipped)."""
    report = SyncReport()
    if not settled:
        _organization_id, report.joined = await prepare(
            db, conn, join=join, allow_new_organization=allow_new_organization
        )
        await confirm(db, conn)
    await push(db, conn, report)
    await pull(db, conn, report, progress)
    if report.pulled:
        report.folded = await merge_invariants.enforce(db)
    await replica.record_sync(db)
    return report
