"""The board's data layer: every read and write the widgets need, as async calls.

Reads go through a :class:`~storage.replica_reader.ReplicaReader` (stdlib ``sqlite3`` on its own
thread) with the minimal-column queries of :mod:`storage.board_queries`, so the first cards need
neither SQLAlchemy nor Alembic. Writes go through the storage domain operations (row + event +
outbox in one transaction) on the full :class:`~storage.database.Database`, which is opened in
the background (``connect``) while the board is already on screen; a write made before it is
ready simply waits for it. Nothing here touches Textual, and the SQL is all in ``storage``: this
module only calls it (screens, dialogs and widgets call this module, never storage's database).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storage import board_queries as q
from storage.board_queries import BoardFilter, BoardHeaderData, CandidateRow, CardRow
from storage.replica_reader import ReplicaReader

if TYPE_CHECKING:
    from solo_unicorn_tui.runtime.review_material import ReviewMaterial
    from storage.database import Database
    from storage.fallback import FallbackArea, FallbackCheck
    from storage.metrics import DayMetrics
    from storage.missions import MissionDraft
    from storage.models import (
        Actor,
        CodeAgentSession,
        Flow,
        GithubPrComment,
        GithubPullRequest,
        Mission,
        MissionEvent,
        MissionFallbackItem,
        MissionMessage,
    )


@dataclass
class Writer:
    """The open replica for writes, and the settings that came with it."""

    db: Database
    organization_id: str
    project_id: str
    settings: Any = None
    close: Callable[[], Awaitable[None]] | None = None
    workspace: Any = None
    """The whole workspace (home, settings, identity) when opened by the app: runs the runtime."""


@dataclass
class MissionDetail:
    mission: Mission
    events: list[MissionEvent]
    blockers: list[tuple[str, str, str]] = field(default_factory=list)
    branch: str | None = None
    """The mission's branch, when it has a worktree on this workstation."""
    target: str | None = None
    behind: int | None = None
    """Commits on the target branch that the mission's branch does not have (None: unknown)."""
    ahead: int | None = None
    """Commits on the mission's branch that the target does not have yet (None: unknown)."""
    sessions: int = 0
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    cached_input_tokens: int | None = None
    session_entries: list[SessionEntry] = field(default_factory=list)
    """The mission's sessions, newest first, each with its own usage."""
    messages: list[MissionMessage] = field(default_factory=list)
    """The mission's thread: agents' questions and people's answers, oldest first."""


@dataclass
class ProjectSettings:
    """What the project settings screen edits: flows, actors, the defaults, the memory."""

    flows: list[Flow]
    actors: list[Actor]
    default_flow_id: str | None
    default_actor_id: str | None
    memory: str
    project_name: str = ""


@dataclass
class ProjectDefaults:
    """A project's defaults as the project defaults dialog edits them (ids, not names)."""

    project_id: str
    name: str
    default_flow_id: str | None
    default_actor_id: str | None
    default_agent_name: str | None
    pr_mode_default: str
    flows: list[tuple[str, str]] = field(default_factory=list)
    """The flows the project may default to, as (id, name)."""
    actors: list[tuple[str, str]] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)
    """The agent profiles of this workstation."""
    workstation_agent: str | None = None
    """What runs when the project names no agent: this workstation's default profile."""


@dataclass
class MissionChoices:
    """The flows and actors a mission may name, as (id, name), and the project's defaults."""

    flows: list[tuple[str, str]]
    actors: list[tuple[str, str]]
    default_flow: str | None = None
    default_actor: str | None = None
    agents: list[tuple[str, str]] = field(default_factory=list)
    """The agent profiles of this workstation, as (name, name)."""
    default_agent: str | None = None
    """What runs a stage that names no agent: the project's default, else this workstation's."""


@dataclass
class Review:
    """What the review view shows, and where on this workstation it came from."""

    material: ReviewMaterial
    branch: str | None = None
    """The mission's branch, when it has a worktree here."""
    target: str = "main"
    log_path: str | None = None
    """The newest session log of the mission on this workstation."""
    pull_request: GithubPullRequest | None = None
    """The mission's newest pull request, as the last refresh saw it."""
    comments: list[GithubPrComment] = field(default_factory=list)
    """Its review comments, review bodies and conversation comments, oldest first."""


@dataclass(frozen=True)
class RepoSettings:
    """A repository's worktree set-up, as the set-up dialog edits it."""

    repo_id: str
    name: str
    copy_files: list[str]
    setup_script: list[str] | None
    cleanup_script: list[str] | None


@dataclass(frozen=True)
class SessionEntry:
    """One agent session as the session-log screen lists it."""

    session_id: str
    mission_id: str
    mission_title: str
    agent_name: str
    stage: str
    status: str
    started_at: datetime | None
    log_path: str
    input_tokens: int | None = None
    cached_input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None

    @property
    def usage(self) -> str | None:
        """``12,000 in (8,000 cached) / 500 out · $0.04``; None when the agent reported none."""
        known = (self.input_tokens, self.cached_input_tokens, self.output_tokens, self.cost_usd)
        if all(value is None for value in known):
            return None
        tokens = "tokens unknown"
        if self.input_tokens is not None or self.output_tokens is not None:
            tokens = f"{self.input_tokens or 0:,} in"
            if self.cached_input_tokens:
                tokens += f" ({self.cached_input_tokens:,} cached)"
            tokens += f" / {self.output_tokens or 0:,} out"
        cost = "cost unknown" if self.cost_usd is None else f"${self.cost_usd:.2f}"
        return f"{tokens} · {cost}"


@dataclass(frozen=True)
class WelcomeState:
    """What the welcome board shows: how far this machine is on the way to a first run."""

    repositories: list[str]
    """This project's repositories with a checkout here."""
    agents: list[tuple[str, str]]
    """(profile name, program path) of every agent profile whose program is on this machine."""
    default_agent: str | None
    agents_known: bool = True
    """False while the replica is still opening (the agent profiles are read after)."""
    agents_error: str = ""


@dataclass
class WindowRequest:
    list_name: str
    start: int
    limit: int
    follow: str | None = None
    margin: int = 60
    anchor: tuple[int, tuple[float, str]] | None = None
    """A card's index and key (``list_order``, ``id``) the list holds: the window is read
    around it by keyset (no OFFSET) when it falls inside."""


#: Cards at the end of a list read with each window that does not reach it: a card moved
#: there lands among real cards at once (no lone card, then a load of its neighbours).
TAIL = 30


@dataclass
class Window:
    count: int
    start: int
    rows: list[CardRow]
    selected: int | None = None
    tail: list[CardRow] = field(default_factory=list)
    """The list's last cards (at most :data:`TAIL`) when ``rows`` does not reach its end."""


class BoardData:
    """One replica seen as a board of one project, under one filter."""

    def __init__(
        self,
        reader: ReplicaReader,
        *,
        organization_id: str,
        project_id: str,
        workstation_id: str | None = None,
        connect: Callable[[], Awaitable[Writer]] | None = None,
        writer: Writer | None = None,
    ) -> None:
        self.reader = reader
        self.organization_id = organization_id
        self.project_id = project_id
        self.workstation_id = workstation_id
        self.filter = BoardFilter()
        self._connect = connect
        self._writer = writer
        self._connecting: asyncio.Task[Writer] | None = None
        self._last_version: int | None = None
        self._had_a_mission = False

    @classmethod
    async def for_writer(cls, writer: Writer) -> BoardData:
        """A board over an already open replica (``writer.close`` runs when the board closes)."""
        reader = await ReplicaReader.open(str(writer.db.engine.url.database))
        return cls(
            reader,
            organization_id=writer.organization_id,
            project_id=writer.project_id,
            workstation_id=writer.db.workstation_id,
            writer=writer,
        )

    # --- the write side, opened in the background ------------------------------------------

    @property
    def connected(self) -> bool:
        return self._writer is not None

    async def connect(self) -> Writer:
        if self._writer is not None:
            return self._writer
        if self._connect is None:
            raise RuntimeError("this board has no way to open the replica for writing")
        if self._connecting is None:
            self._connecting = asyncio.ensure_future(self._connect())
        self._writer = await asyncio.shield(self._connecting)
        self.workstation_id = self._writer.db.workstation_id
        return self._writer

    async def _db(self) -> Database:
        return (await self.connect()).db

    # --- reads -------------------------------------------------------------------------------

    async def windows(self, requests: list[WindowRequest]) -> dict[str, Window]:
        """Several lists' windows (the board's initial load and reloads).

        A request that follows a card finds its index first and centres the window on it when
        the card is in that list.
        """
        run, found = self.reader.run, {}
        for request in requests:
            selected = None
            anchor = request.anchor
            if request.follow is not None:
                position = await q.position_key(run, self.project_id, request.follow, self.filter)
                if position is not None and position[0] == request.list_name:
                    selected = position[1]
                    start = request.start
                    if not start <= selected < start + request.limit // 2:
                        start = max(0, selected - request.margin)
                    request = WindowRequest(request.list_name, start, request.limit)
                    anchor = (selected, position[2])
            count = await q.list_count(run, self.project_id, request.list_name, self.filter)
            rows = await self._rows(request, anchor)
            tail = []
            if request.start + len(rows) < count:
                name = request.list_name
                tail = await q.last_cards(run, self.project_id, name, TAIL, self.filter)
            found[request.list_name] = Window(count, request.start, rows, selected, tail)
        return found

    async def _rows(
        self, request: WindowRequest, anchor: tuple[int, tuple[float, str]] | None
    ) -> list[CardRow]:
        """The window's cards: keyset ranges around a card whose index and key are known,
        else from the top (a range too) or, deep in the list with no card known, OFFSET."""
        name, start, limit = request.list_name, request.start, request.limit
        if anchor is not None and start <= anchor[0] < start + limit:
            return await q.cards_around(
                self.reader.run,
                self.project_id,
                name,
                anchor[1],
                anchor[0] - start,
                limit,
                self.filter,
            )
        return await q.card_window(
            self.reader.run, self.project_id, name, start, limit, self.filter
        )

    async def header(self) -> BoardHeaderData:
        return await q.board_header(self.reader.run, self.project_id, self.workstation_id)

    async def welcome(self) -> WelcomeState:
        """The first-run steps' state: repositories linked here, agent CLIs found on PATH."""
        repos = await q.linked_repositories(self.reader.run, self.project_id, self.workstation_id)
        workspace = self._writer.workspace if self._writer is not None else None
        if workspace is None:
            return WelcomeState(repos, [], None, agents_known=False)
        agents, default, error = await asyncio.to_thread(_detected_agents, workspace.home)
        return WelcomeState(repos, agents, default, agents_error=error)

    async def ever_had_a_mission(self) -> bool:
        """Whether this replica ever held a mission (then an empty board is no first run)."""
        if not self._had_a_mission:  # missions are never removed, so True stays True
            self._had_a_mission = await q.replica_ever_had_a_mission(self.reader.run)
        return self._had_a_mission

    async def mission_by_id_tail(self, tail: str) -> str | None:
        """The one mission of this project whose id ends with ``tail`` (None: none or several)."""
        found = await q.missions_by_id_tail(self.reader.run, self.project_id, tail)
        return found[0] if len(found) == 1 else None

    async def position(self, mission_id: str) -> tuple[str, int] | None:
        """The list a mission is in and its index there, under the board's filter."""
        return await q.position_of(self.reader.run, self.project_id, mission_id, self.filter)

    async def stages(self) -> list[str]:
        return await q.flow_stage_names(self.reader.run, self.project_id)

    async def projects(self) -> list[tuple[str, str]]:
        """(id, name) of every active project of this organization."""
        return await q.projects(self.reader.run, self.organization_id)

    async def add_project(self, name: str) -> str:
        from storage import projects

        return (await projects.add_project(await self._db(), self.organization_id, name)).id

    async def rename_project(self, project_id: str, name: str) -> None:
        from storage import projects

        await projects.rename_project(await self._db(), project_id, name)

    async def archive_project(self, project_id: str) -> None:
        from storage import projects

        await projects.archive_project(await self._db(), project_id)

    async def detail(self, mission_id: str) -> MissionDetail:
        from storage import missions as ops

        db = await self._db()
        mission = await ops.get_mission(db, mission_id)
        events = await ops.list_events(db, mission_id)
        blocked_by = await q.blockers(self.reader.run, mission_id)
        detail = MissionDetail(mission, events, blocked_by)
        detail.messages = await self.thread(mission_id)
        await _add_usage(db, detail)
        await _add_branch_state(db, self.reader, detail)
        return detail

    async def review(self, mission_id: str) -> Review:
        """The mission's documents, its branch's diff and its newest session log (capped)."""
        from solo_unicorn_tui.runtime.review_material import gather_review
        from storage.pr_comments import list_comments
        from storage.pull_requests import pull_request_for_mission
        from storage.sessions import list_sessions
        from storage.worktrees import mission_worktree

        db = await self._db()
        tree = await mission_worktree(db, mission_id, db.workstation_id)
        sessions = await list_sessions(
            db, mission_id=mission_id, workstation_id=db.workstation_id, limit=1
        )
        log_path = sessions[0].log_path if sessions else None
        material = await gather_review(
            db,
            mission_id,
            tree.worktree_path if tree else None,
            log_path,
            base_branch=tree.base_branch if tree else None,
        )
        target = material.mission.target_branch or (tree and tree.base_branch) or "main"
        pr = await pull_request_for_mission(db, mission_id)
        return Review(
            material,
            branch=tree.branch if tree else None,
            target=target,
            log_path=log_path,
            pull_request=pr,
            comments=await list_comments(db, pr.id) if pr else [],
        )

    async def github_feedback(self, mission_id: str) -> str | None:
        """Rejection feedback quoting the GitHub comments since the last review decision."""
        from solo_unicorn_tui.runtime.github.pr_refresh import github_feedback

        return await github_feedback(await self._db(), mission_id)

    def _github_api_url(self) -> str:
        writer = self._writer
        settings = writer.settings if writer is not None else None
        return str(getattr(settings, "github_api_url", None) or "https://api.github.com")

    async def merge_pull_request(self, mission_id: str) -> GithubPullRequest:
        """Merge the mission's pull request the project's way; merged → the mission is Done."""
        from solo_unicorn_tui.runtime.github.client import client_from_settings
        from solo_unicorn_tui.runtime.github.pr_refresh import merge_pull_request

        db = await self._db()
        async with client_from_settings(self._github_api_url()) as client:
            return await merge_pull_request(db, mission_id, client)

    async def blockers(self, mission_id: str) -> list[tuple[str, str, str]]:
        """(id, title, list) of every mission this one waits on, finished or not."""
        return await q.blockers(self.reader.run, mission_id)

    async def dependency_candidates(self, mission_id: str, text: str) -> list[CandidateRow]:
        return await q.dependency_candidates(self.reader.run, self.project_id, mission_id, text)

    async def changed_elsewhere(self) -> bool:
        """True when anything committed to the replica since the last call."""
        version = await q.data_version(self.reader.run)
        changed = self._last_version is not None and version != self._last_version
        self._last_version = version
        return changed

    # --- writes (domain operations) -------------------------------------------------------------

    async def move(self, mission_id: str, to_list: str) -> Mission:
        from storage import missions as ops

        return await ops.move_mission(await self._db(), mission_id, to_list)

    async def reorder(self, mission_id: str, direction: int) -> Mission:
        from storage import missions as ops

        return await ops.reorder_mission(await self._db(), mission_id, direction)

    async def toggle_ready(self, mission_id: str) -> Mission:
        from storage import missions as ops

        return await ops.toggle_ready(await self._db(), mission_id)

    async def bump_priority(self, mission_id: str, delta: int) -> Mission:
        from storage import missions as ops

        return await ops.bump_priority(await self._db(), mission_id, delta)

    async def delete(self, mission_id: str) -> None:
        from storage import missions as ops

        await ops.delete_mission(await self._db(), mission_id)

    async def create(self, draft: MissionDraft) -> Mission:
        from storage import missions as ops

        return await ops.create_mission(await self._db(), self.project_id, draft)

    async def update(self, mission_id: str, **fields: Any) -> Mission:
        from storage import missions as ops

        return await ops.update_mission(await self._db(), mission_id, **fields)

    async def thread(self, mission_id: str) -> list[MissionMessage]:
        from storage import questions

        return await questions.thread(await self._db(), mission_id)

    async def answer(self, mission_id: str, text: str) -> Mission:
        from storage import questions

        return await questions.answer_question(await self._db(), mission_id, text)

    async def approve(self, mission_id: str) -> Mission:
        from storage import review

        return await review.approve_mission(await self._db(), mission_id)

    async def reject(self, mission_id: str, feedback: str) -> Mission:
        from storage import review

        return await review.reject_mission(await self._db(), mission_id, feedback)

    async def worktree_path(self, mission_id: str) -> Path | None:
        """The mission's live worktree on this workstation, when it exists on disk."""
        from storage.worktrees import mission_worktree

        db = await self._db()
        tree = await mission_worktree(db, mission_id, db.workstation_id)
        if tree is None or not Path(tree.worktree_path).is_dir():
            return None
        return Path(tree.worktree_path)

    async def undo_point(self, mission_id: str) -> dict[str, Any]:
        from storage import undo

        return await undo.undo_point(await self._db(), mission_id)

    async def restore(self, mission_id: str, point: dict[str, Any], *, action: str) -> Mission:
        from storage import undo

        return await undo.restore_mission(await self._db(), mission_id, point, action=action)

    async def add_blocker(self, mission_id: str, on_id: str) -> Mission:
        """``mission_id`` waits for ``on_id`` (a cycle raises ConflictError, nothing written)."""
        from storage import dependencies

        return await dependencies.add_dependency(await self._db(), mission_id, on_id)

    async def remove_blocker(self, mission_id: str, on_id: str) -> Mission:
        from storage import dependencies

        return await dependencies.remove_dependency(await self._db(), mission_id, on_id)

    # --- Mission Fallback (Todo's Fallback area) ----------------------------------------------

    async def fallback_area(self) -> FallbackArea:
        """Status, templates and pending proposals in one read (needs the writer's database)."""
        from storage import fallback

        return await fallback.fallback_area(await self._db(), self.project_id)

    async def _report(self, item_id: str | None) -> None:
        """Rewrite the run's report in the repository (runtime/fallback_report.py)."""
        from solo_unicorn_tui.runtime.fallback_report import write_item_report

        if item_id and self.workstation_id:
            await write_item_report(await self._db(), item_id, self.workstation_id)

    async def launch_template(self, template_id: str) -> Mission:
        from storage import fallback

        mission = await fallback.launch_template(await self._db(), template_id)
        await self._report(mission.fallback_item_id)
        return mission

    async def accept_proposal(self, item_id: str) -> Mission:
        from storage import fallback

        mission = await fallback.accept_item(await self._db(), item_id)
        await self._report(item_id)
        return mission

    async def discard_proposal(self, item_id: str) -> MissionFallbackItem:
        from storage import fallback

        item = await fallback.discard_item(await self._db(), item_id)
        await self._report(item_id)
        return item

    async def snooze_fallback(self, kind: str, row_id: str, *, wake: bool = False) -> None:
        """Snooze a template or proposal for a day (``wake``: end a template's snooze now)."""
        from storage import fallback
        from storage.types import utcnow

        db = await self._db()
        until = None if wake else utcnow() + timedelta(days=1)
        if kind == "template":
            await fallback.snooze_template(db, row_id, until)
        else:
            await fallback.snooze_item(db, row_id, until)
            await self._report(row_id)

    async def fallback_check(self) -> FallbackCheck:
        """A manual check: no cadence wait, but the threshold and the guardrails hold."""
        from solo_unicorn_tui.runtime.fallback_report import write_run_report
        from storage import fallback

        db = await self._db()
        check = await fallback.run_fallback_check(db, self.project_id, triggered_by="manual")
        if check.run is not None and self.workstation_id:
            await write_run_report(db, check.run.id, self.workstation_id)
        return check

    async def repository_settings(self) -> list[RepoSettings]:
        from storage.repositories import list_repositories

        writer = await self.connect()
        db = writer.db
        links = await list_repositories(db, self.project_id, db.workstation_id or "")
        return [
            RepoSettings(
                link.id,
                link.name,
                list(link.repository.copy_files or []),
                link.repository.setup_script,
                link.repository.cleanup_script,
            )
            for link in links
        ]

    async def save_repository_settings(self, repo_id: str, changes: dict[str, object]) -> None:
        from storage.repositories import update_repository_settings

        await update_repository_settings(await self._db(), repo_id, **changes)

    async def sessions(self, limit: int = 200) -> list[SessionEntry]:
        """The newest agent sessions of every workstation, with their missions' titles."""
        from storage.sessions import list_sessions_with_titles

        rows = await list_sessions_with_titles(await self._db(), limit=limit)
        return [_session_entry(session, title) for session, title in rows]

    async def daily_metrics(self, days: int) -> list[DayMetrics]:
        """The project's figures per UTC day, oldest first (the metrics screen)."""
        from storage.metrics import daily_metrics

        return await daily_metrics(await self._db(), self.project_id, days=days)

    # --- project settings: flows, actors, memory -------------------------------------------

    async def project_settings(self) -> ProjectSettings:
        from storage import actors, flows, memory
        from storage.identity import get_project

        db = await self._db()
        project = await get_project(db, self.project_id)
        return ProjectSettings(
            await flows.list_flows(db, self.project_id),
            await actors.list_actors(db, self.project_id),
            project.default_flow_id,
            project.default_actor_id,
            await memory.get_memory(db, self.project_id),
            project.name,
        )

    async def project_defaults(self, project_id: str) -> ProjectDefaults:
        """Any project's defaults, with the flows, actors and agent profiles it may choose."""
        from storage import actors, flows
        from storage.identity import get_project

        writer = await self.connect()
        db = writer.db
        project = await get_project(db, project_id)
        agents: list[str] = []
        workstation_agent = None
        if writer.workspace is not None:
            from solo_unicorn_tui.runtime.agent_profiles import AgentProfiles

            profiles = AgentProfiles.load(writer.workspace.home)
            agents = [p.name for p in profiles.all()]
            fallback = profiles.default()
            workstation_agent = fallback.name if fallback else None
        return ProjectDefaults(
            project.id,
            project.name,
            project.default_flow_id,
            project.default_actor_id,
            project.default_agent_name,
            project.pr_mode_default,
            [(f.id, f.name) for f in await flows.list_flows(db, project_id)],
            [(a.id, a.name) for a in await actors.list_actors(db, project_id)],
            agents,
            workstation_agent,
        )

    async def set_project_defaults(self, project_id: str, values: dict[str, Any]) -> None:
        """Change a project's defaults: the write ``solo-unicorn project set`` makes."""
        from storage import projects

        await projects.set_project(await self._db(), project_id, **values)

    async def mission_choices(self) -> MissionChoices:
        settings = await self.project_settings()
        flow_names = {f.id: f.name for f in settings.flows}
        actor_names = {a.id: a.name for a in settings.actors}
        from storage.identity import get_project

        writer = await self.connect()
        project = await get_project(writer.db, self.project_id)
        agents: list[str] = []
        default_agent = project.default_agent_name
        if writer.workspace is not None:
            from solo_unicorn_tui.runtime.agent_profiles import AgentProfiles

            profiles = AgentProfiles.load(writer.workspace.home)
            agents = [p.name for p in profiles.all()]
            fallback = profiles.default()
            default_agent = default_agent or (fallback.name if fallback else None)
        return MissionChoices(
            list(flow_names.items()),
            list(actor_names.items()),
            flow_names.get(settings.default_flow_id or ""),
            actor_names.get(settings.default_actor_id or ""),
            [(name, name) for name in agents],
            default_agent,
        )

    async def add_flow(self, name: str, stage_spec: str) -> Flow:
        """A new flow from the short form ``clarify,plan!,code!`` (``!`` = requires review)."""
        from storage import flows

        stages = flows.parse_stage_spec(stage_spec)
        return await flows.add_flow(await self._db(), self.project_id, name, stages)

    async def save_flow_stages(self, flow_id: str, stages: list[dict[str, Any]]) -> Flow:
        from storage import flows

        return await flows.edit_flow(await self._db(), flow_id, stages=stages)

    async def set_default_flow(self, flow_id: str) -> None:
        from storage import flows

        await flows.set_default_flow(await self._db(), self.project_id, flow_id)

    async def add_actor(self, name: str, **fields: Any) -> Actor:
        from storage import actors

        return await actors.add_actor(await self._db(), self.project_id, name, **fields)

    async def edit_actor(self, actor_id: str, **fields: Any) -> Actor:
        from storage import actors

        return await actors.edit_actor(await self._db(), actor_id, **fields)

    async def set_default_actor(self, actor_id: str) -> None:
        from storage import actors

        await actors.set_default_actor(await self._db(), self.project_id, actor_id)

    async def save_memory(self, text: str) -> str:
        from storage import memory

        return await memory.set_memory(await self._db(), self.project_id, text)

    async def close(self) -> None:
        await self.reader.close()
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
        if self._writer is not None and self._writer.close is not None:
            await self._writer.close()


def _detected_agents(home: Any) -> tuple[list[tuple[str, str]], str | None, str]:
    """(name, path) of the profiles whose program is installed, the default, and any error."""
    from solo_unicorn_tui.errors import UserError
    from solo_unicorn_tui.runtime.agent_profiles import AgentProfiles

    try:
        profiles = AgentProfiles.load(home)
    except UserError as error:
        return [], None, str(error)
    found = [(p.name, path) for p in profiles.all() if (path := p.resolve_executable())]
    default = profiles.default()
    return found, default.name if default is not None and default.available else None, ""


async def _add_usage(db: Database, detail: MissionDetail) -> None:
    """Token and cost totals over the mission's sessions; None where no agent reported any."""
    from storage.sessions import list_sessions

    sessions = await list_sessions(db, mission_id=detail.mission.id)
    detail.sessions = len(sessions)

    def total(name: str) -> Any:
        values = [getattr(s, name) for s in sessions if getattr(s, name) is not None]
        return sum(values) if values else None

    detail.input_tokens = total("input_tokens")
    detail.output_tokens = total("output_tokens")
    detail.cost_usd = total("cost_usd")
    detail.cached_input_tokens = total("cached_input_tokens")
    detail.session_entries = [_session_entry(s, detail.mission.title) for s in sessions]


def _session_entry(session: CodeAgentSession, title: str) -> SessionEntry:
    return SessionEntry(
        session_id=session.id,
        mission_id=session.mission_id,
        mission_title=title,
        agent_name=session.code_agent_name or session.code_agent_type,
        stage=session.stage or "",
        status=session.status,
        started_at=session.started_at or session.created_at,
        log_path=session.log_path or "",
        input_tokens=session.input_tokens,
        cached_input_tokens=session.cached_input_tokens,
        output_tokens=session.output_tokens,
        cost_usd=session.cost_usd,
    )


async def _add_branch_state(db: Database, reader: ReplicaReader, detail: MissionDetail) -> None:
    """The mission's live worktree on this workstation, and how far its branch is ahead of and
    behind its target (git runs in a thread). A worktree of another workstation, or a removed
    one, is none. The local target counts first: that is what a local merge brings the branch
    into, and what ``worktree clean`` measures unmerged work against.
    """
    from solo_unicorn_tui.errors import UserError
    from solo_unicorn_tui.runtime.base_branch import ahead_behind
    from storage.worktrees import mission_worktree

    tree = await mission_worktree(db, detail.mission.id, db.workstation_id)
    if tree is None:
        return
    main_path = await q.checkout_path(reader.run, tree.workstation_repository_id)
    detail.branch = tree.branch
    detail.target = detail.mission.target_branch or tree.base_branch
    target = detail.target
    if not target or main_path is None:
        return

    def counts() -> tuple[int, int] | None:
        for ref in (target, f"origin/{target}"):
            found = ahead_behind(Path(main_path), tree.branch, ref)
            if found is not None:
                return found
        return None

    try:
        found = await asyncio.to_thread(counts)
    except (UserError, OSError):
        found = None
    if found is not None:
        detail.ahead, detail.behind = found
