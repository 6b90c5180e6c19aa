"""Exclusive, leased mission claims for the runtime.

Online, a claim is the server function ``su_claim`` (one atomic ``INSERT … ON CONFLICT DO UPDATE
… WHERE``): it wins only if nobody holds the mission or the holder's lease has expired (by the
server's ``now()``, never a workstation clock), and a mission of another organization is refused
outright, whatever its lease, and each win increments the mission's claim epoch (a fencing
token: writes that depend on the claim carry it). Offline, a local claim is allowed and
remembered; on reconnect :meth:`ClaimClient.reconcile` asks the server: if another replica holds
the mission, the server's claim wins and this replica records a ``claim_conflict`` event on the
mission, so nothing is dropped silently.

Usage::

    claims = ClaimClient(db, url, password, organization_id, workstation_id)
    epoch = await claims.claim(mission_id)      # raises ConflictError when held elsewhere
    await claims.renew(mission_id, epoch)       # while the session runs (raises if lost)
    await claims.release(mission_id, epoch)     # at its end
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import delete, select

from storage import missions as ops
from storage import sessions as session_ops
from storage.changes import ChangeWriter, ClaimFence
from storage.database import Database, get_meta, set_meta
from storage.errors import ConflictError, NotFoundError
from storage.models import Mission, ReplicaMeta
from storage.types import utcnow
from sync import engine, server
from sync.connection import CONNECTION_ERRORS, connect
from sync.errors import (
    OfflineRunRefusedError,
    OrganizationMismatchError,
    ServerUnreachableError,
)

log = logging.getLogger(__name__)

OFFLINE_PREFIX = "offline_claim:"
#: A release that fails on any of these leaves the server claim to expire by its lease.
RELEASE_ERRORS: tuple[type[BaseException], ...] = (ServerUnreachableError, *CONNECTION_ERRORS)
DEFAULT_LEASE_SECONDS = 120.0
#: How often a running offline claim asks the server whether another workstation took it.
OFFLINE_RECHECK_SECONDS = 2.0
OFFLINE_REFUSED = (
    "the sync server is unreachable, so no new mission starts here (another workstation may "
    "run it): set allow_offline_runs to run missions offline"
)


class StaleClaimError(ConflictError):
    """The server's mission moved past what this replica saw (the stage already ran)."""


@dataclass(frozen=True)
class ClaimConflict:
    mission_id: str
    holder_workstation_id: str
    server_epoch: int


class ClaimClient:
    def __init__(
        self,
        db: Database,
        server_url: str | None,
        password: str | None,
        organization_id: str,
        workstation_id: str,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        allow_offline: bool = False,
    ) -> None:
        self.db = db
        self.server_url = server_url
        self.password = password
        self.organization_id = organization_id
        self.workstation_id = workstation_id
        self.lease_seconds = lease_seconds
        self.allow_offline = allow_offline
        self._conn: asyncpg.Connection | None = None
        self._offline: set[str] = set()
        #: Releases that failed (connection lost): (mission, epoch), retried on reconnect.
        self._unreleased: set[tuple[str, int]] = set()

    async def close(self) -> None:
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()
        self._conn = None

    async def _connection(self) -> asyncpg.Connection:
        if self.server_url is None:
            raise ServerUnreachableError("no sync server configured")
        if self._conn is None or self._conn.is_closed():
            conn = await connect(self.server_url, self.password)
            try:
                bound = await server.use_organization(conn, self.organization_id)
            except BaseException:
                await conn.close()
                raise
            if bound != self.organization_id:
                await conn.close()
                raise OrganizationMismatchError(
                    f"this replica claims for organization {self.organization_id}, but the "
                    f"server role is a member of organization {bound}: run 'solo-unicorn sync'"
                )
            self._conn = conn
            await self._retry_releases(conn)
        return self._conn

    async def _retry_releases(self, conn: asyncpg.Connection) -> None:
        """Free the server claims whose release was cut off, their writes pushed first; else
        they hold the mission (this workstation's own next stage too) until the lease ends."""
        if not self._unreleased:
            return
        try:
            await engine.confirm(self.db, conn)
            await engine.push(self.db, conn, engine.SyncReport())
            for mission_id, epoch in sorted(self._unreleased):
                await server.release(conn, mission_id, epoch, self.workstation_id)
                self._unreleased.discard((mission_id, epoch))
        except CONNECTION_ERRORS as error:
            conn.terminate()
            self._conn = None
            raise ServerUnreachableError(f"release failed: {error}") from None

    async def _local_view(self, mission_id: str) -> dict[str, str | None]:
        """What this replica saw of the mission: the server refuses the claim if it moved on.

        Empty for a mission this replica does not hold (the server then checks the holder only).
        """
        try:
            mission = await ops.get_mission(self.db, mission_id)
        except NotFoundError:
            return {}
        newest = await session_ops.list_sessions(self.db, mission_id=mission_id, limit=None)
        return {
            "stage": mission.stage,
            "list": mission.list,
            "last_session_id": max((s.id for s in newest), default=None),
        }

    async def _server_claim(self, mission_id: str, *, check_view: bool = True) -> int:
        """Claim on the server; ``check_view`` sends what this replica saw (offline claims,
        reconciled later, ran on their own view and are settled by the holder check alone).

        A refusal as stale triggers one sync round. If this replica learned nothing from it (the
        server only lagged behind this replica's own unpushed writes, now pushed), the claim is
        tried once more; if it did learn something, the mission moved on elsewhere: raise, so
        the caller decides again on the caught-up state.
        """
        view = await self._local_view(mission_id) if check_view else {}
        conn = await self._connection()
        try:
            reply = await server.claim(
                conn, mission_id, self.workstation_id, self.db.site_id, self.lease_seconds, view
            )
            if reply.stale is not None:
                await engine.sync_round(self.db, conn)
                fresh = await self._local_view(mission_id)
                if fresh == view:
                    reply = await server.claim(
                        conn,
                        mission_id,
                        self.workstation_id,
                        self.db.site_id,
                        self.lease_seconds,
                        fresh,
                    )
        except CONNECTION_ERRORS as error:
            await self.close()
            raise ServerUnreachableError(f"claim failed: {error}") from None
        if reply.stale is not None:
            theirs = reply.stale
            raise StaleClaimError(
                f"mission {mission_id} has moved on on the server (stage {theirs.get('stage')}, "
                f"list {theirs.get('list')}; this replica saw stage {view.get('stage')}): pulled "
                "the server's version, nothing started"
            )
        if reply.refused:
            raise ConflictError(reply.refused)
        if not reply.claimed or reply.epoch is None:
            raise ConflictError(
                f"mission {mission_id} is claimed by workstation "
                f"{reply.holder_workstation_id or '?'} until {reply.lease_expires_at or '?'}"
            )
        return int(reply.epoch)

    async def claim(self, mission_id: str, *, offline_ok: bool = False) -> int:
        """Take the claim; return its epoch.

        With the server unreachable: claim locally (reconciled later) when offline runs are
        allowed or ``offline_ok``, else raise :class:`OfflineRunRefusedError`.
        """
        record = await self._offline_record(mission_id)
        if record is not None and record["ended"]:
            with contextlib.suppress(ServerUnreachableError):
                await self._settle(mission_id, record)
        try:
            epoch = await self._server_claim(mission_id)
        except ServerUnreachableError:
            if not (self.allow_offline or offline_ok):
                raise OfflineRunRefusedError(OFFLINE_REFUSED) from None
            return await self._claim_offline(mission_id)
        await self._record_local(mission_id, epoch)
        return epoch

    def renew_interval(self, mission_id: str) -> float:
        """Seconds between renewals: a running offline claim asks the server more often."""
        if mission_id in self._offline:
            return min(self.lease_seconds / 3, OFFLINE_RECHECK_SECONDS)
        return self.lease_seconds / 3

    async def renew(self, mission_id: str, epoch: int) -> int:
        """Extend the lease; return the epoch now in force (an offline claim that the server
        granted gets the server's). Raise ConflictError if the claim was lost (expired and
        taken, or an offline claim that another workstation's server claim overtook)."""
        record = await self._offline_record(mission_id)
        if record is not None and record["epoch"] == epoch:
            try:
                outcome = await self._settle(mission_id, record)
            except ServerUnreachableError:
                return epoch
            if isinstance(outcome, ClaimConflict):
                raise ConflictError(
                    f"the offline claim on mission {mission_id} lost: workstation "
                    f"{outcome.holder_workstation_id} holds it on the server"
                )
            return outcome if outcome is not None else epoch
        try:
            conn = await self._connection()
            ok = await server.renew(
                conn, mission_id, epoch, self.workstation_id, self.lease_seconds
            )
        except ServerUnreachableError:
            return epoch
        except CONNECTION_ERRORS:
            await self.close()
            return epoch
        if ok is None:
            raise ConflictError(f"the claim on mission {mission_id} (epoch {epoch}) was lost")
        return epoch

    async def release(self, mission_id: str, epoch: int, *, push: bool = False) -> None:
        """Free the claim. ``push``: at a run's end, its writes reach the server first, so
        whoever claims next sees that the stage ran (the server refuses a stale view)."""
        with contextlib.suppress(NotFoundError):
            mission = await ops.get_mission(self.db, mission_id)
            if mission.claimed_by_workstation_id not in (None, self.workstation_id):
                return  # lost to another workstation (recorded): its claim stays as it is
        record = await self._offline_record(mission_id)
        if record is not None and record["epoch"] == epoch:
            # Still to be checked with the server: a run that ended may yet have lost.
            await self._write_record(mission_id, {**record, "ended": True})
            self._offline.discard(mission_id)
        else:
            try:
                conn = await self._connection()
                if push:
                    await engine.confirm(self.db, conn)
                    await engine.push(self.db, conn, engine.SyncReport())
                await server.release(conn, mission_id, epoch, self.workstation_id)
            except RELEASE_ERRORS:
                await self.close()
                self._unreleased.add((mission_id, epoch))
        fence = ClaimFence.of(mission_id, epoch, self.workstation_id)
        await self._set_mission_claim(mission_id, None, None, None, fence=fence)

    async def _offline_record(self, mission_id: str) -> dict[str, Any] | None:
        async with self.db.read() as conn:
            value = await get_meta(conn, OFFLINE_PREFIX + mission_id)
        if not value:
            return None
        record: dict[str, Any] = {"seen": 0, "ended": False, **json.loads(value)}
        return record

    async def _write_record(self, mission_id: str, record: dict[str, Any]) -> None:
        async with self.db.write() as conn:
            await set_meta(conn, OFFLINE_PREFIX + mission_id, json.dumps(record))

    async def _claim_offline(self, mission_id: str) -> int:
        mission = await ops.get_mission(self.db, mission_id)
        if (
            mission.claimed_by_workstation_id not in (None, self.workstation_id)
            and mission.claim_expires_at is not None
            and mission.claim_expires_at > utcnow()
        ):
            raise ConflictError(
                f"mission {mission_id} is claimed by workstation "
                f"{mission.claimed_by_workstation_id} (as last synced)"
            )
        seen = mission.claim_epoch or 0
        epoch = seen + 1
        await self._write_record(mission_id, {"epoch": epoch, "seen": seen, "ended": False})
        self._offline.add(mission_id)
        await self._record_local(mission_id, epoch)
        log.info("offline claim on %s (epoch %s), to reconcile on reconnect", mission_id, epoch)
        return epoch

    async def _record_local(self, mission_id: str, epoch: int) -> None:
        expires = utcnow() + timedelta(seconds=self.lease_seconds)
        await self._set_mission_claim(mission_id, self.workstation_id, epoch, expires)

    async def _set_mission_claim(
        self,
        mission_id: str,
        holder: str | None,
        epoch: int | None,
        expires: datetime | None,
        *,
        fence: ClaimFence | None = None,
    ) -> None:
        values: dict[str, object] = {
            "claimed_by_workstation_id": holder,
            "claim_expires_at": expires,
        }
        if epoch is not None:
            values["claim_epoch"] = epoch
        async with self.db.write() as conn:
            writer = ChangeWriter(self.db, conn, fence=fence)
            await writer.update(Mission.__table__, mission_id, values)

    async def reconcile(self) -> list[ClaimConflict]:
        """After reconnecting: settle every offline claim; return the ones that lost (each
        recorded as a ``claim_conflict`` event). Stops at the first unreachable server."""
        table = ReplicaMeta.__table__
        async with self.db.read() as conn:
            keys = (
                (
                    await conn.execute(
                        select(table.c.key).where(table.c.key.like(OFFLINE_PREFIX + "%"))
                    )
                )
                .scalars()
                .all()
            )
        conflicts: list[ClaimConflict] = []
        for key in keys:
            mission_id = key.removeprefix(OFFLINE_PREFIX)
            record = await self._offline_record(mission_id)
            if record is None:
                continue
            try:
                outcome = await self._settle(mission_id, record)
            except ServerUnreachableError:
                break
            if isinstance(outcome, ClaimConflict):
                conflicts.append(outcome)
        return conflicts

    async def _settle(self, mission_id: str, record: dict[str, Any]) -> int | ClaimConflict | None:
        """Ask the server about one offline claim: the conflict when another workstation's
        claim overtook it, else the server epoch it became (None for a run that ended)."""
        conn = await self._connection()
        try:
            holder = await server.claim_holder(conn, mission_id)
        except CONNECTION_ERRORS as error:
            await self.close()
            raise ServerUnreachableError(f"claim check failed: {error}") from None
        if (
            holder is not None
            and holder["workstation_id"] != self.workstation_id
            and int(holder["epoch"]) > int(record["seen"])
        ):
            return await self._lose(mission_id, holder, ended=bool(record["ended"]))
        if record["ended"]:
            await self._drop_record(mission_id)
            return None
        try:
            epoch = await self._server_claim(mission_id, check_view=False)
        except ConflictError:
            conn = await self._connection()
            holder = await server.claim_holder(conn, mission_id)
            if holder is None:
                log.warning("offline claim on %s dropped: the server refuses it here", mission_id)
                await self._drop_record(mission_id)
                return None
            return await self._lose(mission_id, holder, ended=False)
        await self._record_local(mission_id, epoch)
        await self._drop_record(mission_id)
        return epoch

    async def _drop_record(self, mission_id: str) -> bool:
        """Forget an offline claim; False when another process already did (it settled it)."""
        self._offline.discard(mission_id)
        table = ReplicaMeta.__table__
        async with self.db.write() as conn:
            done = await conn.execute(
                delete(table).where(table.c.key == OFFLINE_PREFIX + mission_id)
            )
        return bool(done.rowcount)

    async def _lose(
        self, mission_id: str, holder: dict[str, Any], *, ended: bool
    ) -> ClaimConflict | None:
        conflict = ClaimConflict(mission_id, holder["workstation_id"], int(holder["epoch"]))
        self._offline.discard(mission_id)
        outcome = "its run had already ended" if ended else "its run is stopped"
        table = ReplicaMeta.__table__
        async with self.db.write() as sconn:
            taken = await sconn.execute(
                delete(table).where(table.c.key == OFFLINE_PREFIX + mission_id)
            )
            if not taken.rowcount:
                return conflict  # another process on this replica settled it (and recorded it)
            writer = ChangeWriter(self.db, sconn)
            await writer.update(
                Mission.__table__,
                mission_id,
                {
                    "claimed_by_workstation_id": conflict.holder_workstation_id,
                    "claim_epoch": conflict.server_epoch,
                    "claim_expires_at": None,
                },
            )
            row = (
                (await sconn.execute(select(Mission.__table__).where(Mission.id == mission_id)))
                .mappings()
                .one()
            )
            await writer.event(
                dict(row),
                "claim_conflict",
                f"offline claim lost: workstation {conflict.holder_workstation_id} holds the "
                f"mission on the server (epoch {conflict.server_epoch}); {outcome}",
                origin="sync",
                payload={
                    "holder_workstation_id": conflict.holder_workstation_id,
                    "server_epoch": conflict.server_epoch,
                    "local_workstation_id": self.workstation_id,
                    "run_ended": ended,
                },
            )
        log.warning(
            "offline claim on %s lost to workstation %s", mission_id, conflict.holder_workstation_id
        )
        return conflict
