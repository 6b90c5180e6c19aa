"""Rules one replica enforces on its own writes but a merge of two replicas can break.

Run on every replica after each pull (``sync.engine.sync_round``), not on the server: the fix is
a function of the merged rows alone, so every replica that holds the same rows makes the same
writes (same rows tombstoned, same links re-pointed, events with ids derived from what they
record), and those writes merge into one result whichever replica pushes first. The server stays
the meeting point, not a second rule engine with a clock of its own.

- One repository per (project, name), and per (project, GitHub owner/name) when set: the one
  whose id derives from its name is kept (else the lowest id); the others' workstation links,
  worktrees, missions, pull requests and fallback templates are re-pointed to it, then they
  are tombstoned.
- One live dependency row per (mission, blocker): the lowest id is kept.
- No dependency cycle: two offline edits (X→Y here, Y→X there) can close one; the cycle's link
  written last (newest row clock, then greatest id) is dropped and the waiting mission's
  timeline says which.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.changes import ChangeWriter
from storage.codec import encode_row
from storage.database import Database
from storage.hlc import normalize_clock
from storage.ids import derived_id, short_id
from storage.models import (
    GithubPullRequest,
    GitWorktree,
    Mission,
    MissionDependency,
    MissionEvent,
    MissionFallbackTemplate,
    ProjectRepository,
    WorkstationRepository,
)

repos = ProjectRepository.__table__
ws_repos = WorkstationRepository.__table__
worktrees = GitWorktree.__table__
deps = MissionDependency.__table__
missions = Mission.__table__
events = MissionEvent.__table__
#: Rows that name a project repository, and the column that does.
_REPO_REFERENCES: tuple[tuple[Table, str], ...] = (
    (missions, "repository_id"),
    (GithubPullRequest.__table__, "project_repository_id"),
    (MissionFallbackTemplate.__table__, "repository_id"),
)


async def _live(conn: AsyncConnection, table: Table) -> list[dict[str, Any]]:
    query = select(table).where(table.c.deleted.is_(False)).order_by(table.c.id)
    return [dict(r) for r in (await conn.execute(query)).mappings()]


def _groups(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Repositories that are one repository: same project and name, or same GitHub remote."""
    parent = {row["id"]: row["id"] for row in rows}

    def root(row_id: str) -> str:
        while parent[row_id] != row_id:
            row_id = parent[row_id]
        return row_id

    seen: dict[tuple[Any, ...], str] = {}
    for row in rows:
        keys: list[tuple[Any, ...]] = [("name", row["project_id"], row["name"])]
        if row["github_owner"] and row["github_name"]:
            remote = (row["github_owner"].lower(), row["github_name"].lower())
            keys.append(("remote", row["project_id"], *remote))
        for key in keys:
            if key in seen:
                a, b = sorted((root(seen[key]), root(row["id"])))
                parent[b] = a
            else:
                seen[key] = row["id"]
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(root(row["id"]), []).append(row)
    return [sorted(g, key=_keep_first) for g in grouped.values() if len(g) > 1]


def _keep_first(row: dict[str, Any]) -> tuple[bool, str]:
    """The kept repository: one whose id is the one its name derives (so linking that name
    again finds it), else the lowest id."""
    derived = row["id"] == derived_id(repos.name, row["project_id"], row["name"])
    return (not derived, row["id"])


async def _fold_repositories(writer: ChangeWriter) -> int:
    conn = writer.conn
    folded = 0
    for keep, *duplicates in _groups(await _live(conn, repos)):
        for dup in duplicates:
            await _repoint_links(writer, dup["id"], keep["id"])
            for table, column in _REPO_REFERENCES:
                ids = await conn.execute(
                    select(table.c.id).where(table.c[column] == dup["id"]).order_by(table.c.id)
                )
                for row_id in list(ids.scalars()):
                    await writer.update(table, row_id, {column: keep["id"]})
            await writer.tombstone(repos, dup["id"])
            folded += 1
    return folded


async def _repoint_links(writer: ChangeWriter, dup_id: str, keep_id: str) -> None:
    """A workstation's link to the duplicate moves to the kept repository; when it already
    has a link to that one, its worktrees move to that link and the other is tombstoned."""
    conn = writer.conn
    links = await conn.execute(
        select(ws_repos).where(ws_repos.c.project_repository_id == dup_id).order_by(ws_repos.c.id)
    )
    for link in [dict(r) for r in links.mappings()]:
        kept = (
            await conn.execute(
                select(ws_repos.c.id).where(
                    ws_repos.c.workstation_id == link["workstation_id"],
                    ws_repos.c.project_repository_id == keep_id,
                )
            )
        ).scalar_one_or_none()
        if kept is None:
            await writer.update(ws_repos, link["id"], {"project_repository_id": keep_id})
            continue
        moved = await conn.execute(
            select(worktrees.c.id)
            .where(worktrees.c.workstation_repository_id == link["id"])
            .order_by(worktrees.c.id)
        )
        for worktree_id in list(moved.scalars()):
            await writer.update(worktrees, worktree_id, {"workstation_repository_id": kept})
        if not link["deleted"]:
            await writer.update(ws_repos, kept, {"deleted": False})
            await writer.tombstone(ws_repos, link["id"])


async def _fold_dependencies(writer: ChangeWriter) -> int:
    seen: set[tuple[str, str, str]] = set()
    folded = 0
    for row in await _live(writer.conn, deps):
        key = (row["mission_id"], row["depends_on_mission_id"], row["dependency_type"])
        if key in seen:
            await writer.tombstone(deps, row["id"])
            folded += 1
        seen.add(key)
    return folded


def _find_cycle(edges: dict[str, dict[str, str]]) -> list[str] | None:
    """The dependency ids of one cycle in ``edges`` (mission → blocker → dep id), if any.

    Depth first from each mission in id order, so every replica finds the same cycle first.
    """
    state: dict[str, int] = {}  # 1 on the current path, 2 finished

    for start in sorted(edges):
        if state.get(start):
            continue
        path: list[tuple[str, str | None]] = [(start, None)]
        stack = [(start, iter(sorted(edges.get(start, {}))))]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            nxt = next(children, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            dep_id = edges[node][nxt]
            if state.get(nxt) == 1:
                at = next(i for i, (n, _) in enumerate(path) if n == nxt)
                return [d for _, d in path[at + 1 :] if d is not None] + [dep_id]
            if not state.get(nxt):
                state[nxt] = 1
                path.append((nxt, dep_id))
                stack.append((nxt, iter(sorted(edges.get(nxt, {})))))
    return None


async def _break_cycles(writer: ChangeWriter) -> list[str]:
    conn = writer.conn
    live_deps = await _live(conn, deps)
    # Only the missions a live link names: a pull must not read every mission (3 s at 100k).
    linked = (
        select(deps.c.mission_id)
        .where(deps.c.deleted.is_(False))
        .union_all(select(deps.c.depends_on_mission_id).where(deps.c.deleted.is_(False)))
    )
    query = select(missions.c.id, missions.c.organization_id, missions.c.title).where(
        missions.c.deleted.is_(False), missions.c.id.in_(linked)
    )
    live_missions = {r["id"]: dict(r) for r in (await conn.execute(query)).mappings()}
    edges: dict[str, dict[str, str]] = {}
    rows: dict[str, dict[str, Any]] = {}
    for row in live_deps:
        if row["dependency_type"] != "blocks":
            continue
        if row["mission_id"] in live_missions and row["depends_on_mission_id"] in live_missions:
            edges.setdefault(row["mission_id"], {})[row["depends_on_mission_id"]] = row["id"]
            rows[row["id"]] = row
    dropped: list[str] = []
    while (cycle := _find_cycle(edges)) is not None:
        dep = rows[max(cycle, key=lambda d: (normalize_clock(rows[d]["hlc"]), d))]
        del edges[dep["mission_id"]][dep["depends_on_mission_id"]]
        await writer.tombstone(deps, dep["id"])
        waiting = live_missions[dep["mission_id"]]
        blocker = live_missions[dep["depends_on_mission_id"]]
        remaining = len(edges.get(waiting["id"], {}))
        await writer.update(missions, waiting["id"], {"dependency_count": remaining})
        loop = (
            " → ".join(short_id(rows[d]["mission_id"]) for d in cycle)
            + f" → {short_id(rows[cycle[0]]['mission_id'])}"
        )
        await writer.insert(
            events,
            {
                # Derived from the link and its clock: every replica writes this same event.
                "id": derived_id(events.name, "cycle", dep["id"], dep["hlc"]),
                "organization_id": waiting["organization_id"],
                "mission_id": waiting["id"],
                "kind": "dependency_removed",
                "origin": "sync",
                "summary": (
                    f"no longer waits on {short_id(blocker['id'])} {blocker['title'][:40]!r}: "
                    f"two offline edits made a cycle ({loop}); its newest link was dropped"
                ),
                "payload": encode_row(
                    {
                        "mission_id": waiting["id"],
                        "depends_on_mission_id": blocker["id"],
                        "dependency_id": dep["id"],
                        "cycle": cycle,
                    }
                ),
            },
        )
        dropped.append(dep["id"])
    return dropped


async def enforce(db: Database) -> dict[str, Any]:
    """Fold duplicates and break cycles (one write transaction); return what was done."""
    async with db.write() as conn:
        writer = ChangeWriter(db, conn)
        repositories = await _fold_repositories(writer)
        dependencies = await _fold_dependencies(writer)
        cycles = await _break_cycles(writer)
    return {"repositories": repositories, "dependencies": dependencies, "cycles": cycles}
