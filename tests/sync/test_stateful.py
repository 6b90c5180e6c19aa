"""Stateful property: three replicas on one real server, random edits, syncs, offline periods,
claims and stage completions through the product path (server claim, ``claim_mission``, a
session started and finished, release), one replica with a clock an hour behind and one a day
ahead (its edits are refused for skew and re-stamped). After a final full sync every replica and
the server hold identical rows (fields, order, sessions, dependencies, repositories), and no
stage ran twice.

Bounded for CI: derandomized, a few examples of 20 steps (``SOLO_UNICORN_STATEFUL_EXAMPLES`` raises
the number of examples for a longer local run).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from storage import dependencies as deps
from storage import missions as ops
from storage import repositories as repos
from storage import sessions as session_ops
from storage.database import Database
from storage.errors import ConflictError, NotFoundError
from storage.hlc import wall_clock_ms
from storage.identity import Identity
from storage.missions import MissionDraft
from storage.types import utcnow
from sync import replica
from sync.claims import ClaimClient
from tests.support.sync_env import (  # noqa: F401  (drop_test_roles: autouse)
    assert_converged,
    drop_test_roles,
    member_url,
    open_replica,
    sync,
    upgrade_server,
)

STAGES = ("clarify", "plan", "code")
#: Replica -> how far its wall clock is off: one an hour behind, one a day ahead.
SKEWS = {1: 86_400_000, 2: -3_600_000}
WHO = st.integers(0, 2)
PICK = st.integers(0, 30)
LISTS = st.sampled_from(["todo", "doing", "review", "done"])


class Team(RuleBasedStateMachine):
    url: str = ""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.tmp = tempfile.TemporaryDirectory()
        self.dbs: list[Database] = []
        self.ids: list[Identity] = []
        self.offline = [False, False, False]
        self.ran: list[tuple[str, str]] = []
        self.run(self._open())

    def run(self, work: Any) -> Any:
        return self.loop.run_until_complete(work)

    async def _open(self) -> None:
        for i in range(3):
            db, ident = await open_replica(Path(self.tmp.name) / f"r{i}.db", f"r{i}")
            if i == 0:
                await sync(db, self.url, allow_new_organization=True)
            else:
                await sync(db, self.url, join=self.ids[0].organization_id)
            self.dbs.append(db)
            self.ids.append(ident)
        for who, skew in SKEWS.items():
            self.dbs[who].hlc._wall = lambda skew=skew: wall_clock_ms() + skew  # type: ignore[method-assign]

    @property
    def project(self) -> str:
        return self.ids[0].project_id

    async def _pick(self, who: int, n: int) -> str | None:
        known = [m.id for m in await ops.list_missions(self.dbs[who], self.project)]
        return known[n % len(known)] if known else None

    async def _edit(self, who: int, n: int, change: Any) -> None:
        target = await self._pick(who, n)
        if target is None:
            return
        # deleted elsewhere, or a rule of this replica refused it
        with contextlib.suppress(NotFoundError, ConflictError):
            await change(self.dbs[who], target)

    @rule(who=WHO, title=st.text("abcxyz", min_size=1, max_size=6))
    def create(self, who: int, title: str) -> None:
        self.run(ops.create_mission(self.dbs[who], self.project, MissionDraft(title=title)))

    @rule(who=WHO, n=PICK, title=st.text("abc", min_size=1, max_size=4))
    def retitle(self, who: int, n: int, title: str) -> None:
        self.run(self._edit(who, n, lambda db, m: ops.update_mission(db, m, title=title)))

    @rule(who=WHO, n=PICK, priority=st.integers(1, 5))
    def prioritise(self, who: int, n: int, priority: int) -> None:
        self.run(self._edit(who, n, lambda db, m: ops.set_priority(db, m, priority)))

    @rule(who=WHO, n=PICK, to=LISTS)
    def move(self, who: int, n: int, to: str) -> None:
        self.run(self._edit(who, n, lambda db, m: ops.move_mission(db, m, to)))

    @rule(who=WHO, n=PICK, direction=st.sampled_from([-1, 1]))
    def reorder(self, who: int, n: int, direction: int) -> None:
        self.run(self._edit(who, n, lambda db, m: ops.reorder_mission(db, m, direction)))

    @rule(who=WHO, n=PICK, on=PICK, remove=st.booleans())
    def depend(self, who: int, n: int, on: int, remove: bool) -> None:
        async def change(db: Database, mission_id: str) -> None:
            other = await self._pick(who, on)
            if other is None or other == mission_id:
                return
            op = deps.remove_dependency if remove else deps.add_dependency
            await op(db, mission_id, other)

        self.run(self._edit(who, n, change))

    @rule(who=WHO, name=st.sampled_from(["app", "web"]))
    def link_repository(self, who: int, name: str) -> None:
        ident = self.ids[who]
        self.run(
            repos.link_repository(
                self.dbs[who],
                self.project,
                ident.workstation_id,
                name=name,
                main_path=f"/{who}/{name}",
                default_branch="main",
            )
        )

    @rule(who=WHO)
    def toggle_network(self, who: int) -> None:
        self.offline[who] = not self.offline[who]

    @precondition(lambda self: not all(self.offline))
    @rule(who=WHO)
    def sync_one(self, who: int) -> None:
        if not self.offline[who]:
            self.run(sync(self.dbs[who], self.url))

    @rule(who=WHO, n=PICK)
    def run_stage_again(self, who: int, n: int) -> None:
        """Stages are the point: run them often."""
        self.run_stage(who, n)

    @rule(who=WHO, n=PICK)
    def run_stage(self, who: int, n: int) -> None:
        """Claim the mission's current stage on the server, complete it, release. Offline, a
        team replica starts nothing (offline runs are off by default)."""
        if not self.offline[who]:
            self.run(self._run_stage(who, n))

    async def _run_stage(self, who: int, n: int) -> None:
        db, ident = self.dbs[who], self.ids[who]
        target = await self._pick(who, n)
        if target is None:
            return
        org = self.ids[0].organization_id  # the team's (the others joined it)
        url = await member_url(self.url, org)
        claims = ClaimClient(db, url, None, org, ident.workstation_id)
        try:
            before = await ops.get_mission(db, target)
            if (
                before.stage not in STAGES[:-1]
                or before.list not in ("todo", "doing")
                or before.review_status == "pending"
            ):
                return
            epoch = await claims.claim(target)
            mission = await session_ops.claim_mission(
                db, target, ident.workstation_id, lease_seconds=60, server_epoch=epoch
            )
            self.ran.append((target, mission.stage))
            session = await session_ops.create_session(
                db,
                mission,
                code_agent_type="command",
                code_agent_name="script",
                stage=mission.stage,
                worktree_id=None,
                working_directory=None,
                log_path="/dev/null",
                prompt_path=None,
                start_reason="stateful",
            )
            await session_ops.mark_session_running(db, session.id, 4242)
            outcome = session_ops.SessionOutcome(
                status=session_ops.SUCCESS,
                exit_code=0,
                ended_at=utcnow(),
                duration_seconds=0.1,
                end_reason="exited 0",
            )
            await session_ops.finish_session(db, session.id, outcome, max_recovery_attempts=3)
            await claims.release(target, epoch, push=True)
            await sync(db, self.url)
        except (ConflictError, NotFoundError):
            pass  # held elsewhere, or the stage already ran on the server
        finally:
            await claims.close()

    @invariant()
    def no_stage_ran_twice(self) -> None:
        assert len(self.ran) == len(set(self.ran)), self.ran

    def teardown(self) -> None:
        try:
            self.run(self._settle())
        finally:
            for db in self.dbs:
                self.run(db.close())
            self.loop.close()
            self.tmp.cleanup()

    async def _settle(self) -> None:
        for _ in range(5):
            quiet = not any([await replica.pending_count(db) for db in self.dbs])
            for db in self.dbs:
                await sync(db, self.url)
            if quiet and not any([await replica.pending_count(db) for db in self.dbs]):
                break
        await assert_converged(self.url, self.ids[0].organization_id, *self.dbs)
        orders = [
            [(m.id, m.list, m.list_order) for m in await ops.list_missions(db, self.project)]
            for db in self.dbs
        ]
        assert orders[0] == orders[1] == orders[2]


def test_three_replicas_converge_and_no_stage_runs_twice(pg_database: str) -> None:
    asyncio.run(upgrade_server(pg_database))
    Team.url = pg_database
    run_state_machine_as_test(
        Team,
        settings=settings(
            max_examples=int(os.environ.get("SOLO_UNICORN_STATEFUL_EXAMPLES", "3")),
            stateful_step_count=20,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )
