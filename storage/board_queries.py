"""Read-only queries for the board: minimal columns, one window of a list at a time.

The board never loads a whole list: it asks for counts, then for the window of cards around
what is visible. Each query is one indexed statement in plain SQL whose cost grows with the
logarithm of the missions, not with them: windows are keyset ranges of ``ix_missions_board``
(``list_order`` then ``id``) read from a card's key, not OFFSET; unfiltered counts are rows
of ``mission_list_counts`` (kept by triggers, migration 0011); id tails are looked up through
``ix_missions_id_tail``. ``tests/storage/test_query_plans.py`` checks each plan. They run
through a :data:`Runner` — :class:`storage.replica_reader.ReplicaReader` on the replica, or
:func:`sqlalchemy_runner` on any SQLAlchemy connection — so this module imports no driver and
the board can show cards before SQLAlchemy has even been imported.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

#: The board's lists, in order (the same as ``storage.models.MISSION_LISTS``; a test checks).
LISTS = ("todo", "doing", "review", "done")

Runner = Callable[[str, dict[str, Any]], Awaitable[Sequence[Sequence[Any]]]]

_BLOCKED = (
    "EXISTS (SELECT 1 FROM mission_dependencies d JOIN missions b "
    "ON b.id = d.depends_on_mission_id WHERE d.mission_id = m.id AND d.deleted = 0 "
    "AND d.dependency_type = 'blocks' AND b.deleted = 0 AND b.list != 'done')"
)
#: The card's PR badge text after ``PR #n``: state, then the review decision and the checks
#: (``open ✓2 CI✗``, ``draft changes CI…``).
_PR_STATUS = (
    "CASE WHEN m.github_pr_number IS NULL THEN NULL ELSE (SELECT p.status || "
    "CASE WHEN p.review_status = 'changes_requested' THEN ' changes' "
    "WHEN p.approved_reviews_count > 0 THEN ' ✓' || p.approved_reviews_count ELSE '' END || "
    "CASE p.checks_status WHEN 'success' THEN ' CI✓' WHEN 'failure' THEN ' CI✗' "
    "WHEN 'pending' THEN ' CI…' ELSE '' END FROM "
    "github_pull_requests p WHERE p.mission_id = m.id AND p.deleted = 0 "
    "ORDER BY p.created_at DESC LIMIT 1) END"
)
_CARD_COLUMNS = (
    "m.id, m.title, m.priority, m.stage, m.ready, m.agent_session_status, "
    f"m.github_pr_number, m.review_status, m.list_order, {_BLOCKED} AS blocked, "
    f"{_PR_STATUS} AS pr_status"
)


#: Unfiltered counts: one row per list of the counts triggers keep (migration 0011).
_KEPT_COUNTS = "SELECT list, live FROM mission_list_counts WHERE project_id = :project_id"


def sqlalchemy_runner(conn: AsyncConnection) -> Runner:
    from sqlalchemy import text

    async def run(sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        return (await conn.execute(text(sql), params)).all()

    return run


@dataclass(frozen=True)
class BoardFilter:
    """What the board shows: every field narrows; the default shows everything.

    ``text`` matches a mission's title, its description or the tail of its id; each word of it
    must match (in any of the three).
    """

    text: str = ""
    priority: int | None = None
    stage: str | None = None
    ready: bool | None = None
    agent: str | None = None
    """The mission's agent profile, or the agent of its latest session."""
    blocked: bool | None = None

    @property
    def active(self) -> bool:
        return bool(self.text) or any(
            v is not None for v in (self.priority, self.stage, self.ready, self.agent, self.blocked)
        )

    def describe(self) -> str:
        parts = []
        if self.text:
            parts.append(f"“{self.text}”")
        if self.priority is not None:
            parts.append(f"P{self.priority}")
        if self.stage:
            parts.append(f"stage {self.stage}")
        if self.agent:
            parts.append(f"agent {self.agent}")
        if self.blocked is not None:
            parts.append("blocked" if self.blocked else "not blocked")
        if self.ready is not None:
            parts.append("ready" if self.ready else "not ready")
        return ", ".join(parts)


def parse_filter(query: str) -> BoardFilter:
    """The filter a typed query means: ``stage:code``, ``agent:claude``, ``blocked``,
    ``ready``, ``p4`` are tokens; every other word is searched in title, description and id."""
    words: list[str] = []
    fields: dict[str, Any] = {}
    for word in query.split():
        key, _, value = word.partition(":")
        lowered = key.lower()
        if value and lowered in ("stage", "agent"):
            fields[lowered] = value
        elif not value and lowered in ("blocked", "ready"):
            fields[lowered] = True
        elif not value and lowered in ("!blocked", "!ready"):
            fields[lowered[1:]] = False
        elif not value and len(word) == 2 and lowered[0] == "p" and word[1] in "12345":
            fields["priority"] = int(word[1])
        else:
            words.append(word)
    return BoardFilter(text=" ".join(words), **fields)


@dataclass
class CardRow:
    """What one card shows (mutable so the board can apply a change before the write commits)."""

    id: str
    title: str
    priority: int
    stage: str
    ready: bool
    agent_session_status: str
    github_pr_number: int | None
    review_status: str | None
    list_order: float
    blocked: bool
    pr_status: str | None = None
    """open, closed or merged: the state GitHub last reported for the mission's PR."""


@dataclass
class BoardHeaderData:
    """What the board's header line shows (its widget: ``ui.widgets.board_header.BoardHeader``)."""

    project_name: str
    workstation_name: str
    project_count: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(project_id: str, flt: BoardFilter) -> tuple[str, dict[str, Any]]:
    clauses = ["m.project_id = :project_id", "m.deleted = 0"]
    params: dict[str, Any] = {"project_id": project_id}
    for number, word in enumerate(flt.text.split()):
        clauses.append(
            f"(m.title LIKE :text{number} ESCAPE '\\' OR m.description LIKE :text{number} "
            f"ESCAPE '\\' OR m.id LIKE :tail{number} ESCAPE '\\')"
        )
        params[f"text{number}"] = f"%{_escape_like(word)}%"
        params[f"tail{number}"] = f"%{_escape_like(word.lower())}"
    if flt.agent:
        clauses.append(
            "(m.code_agent_name = :agent OR EXISTS (SELECT 1 FROM code_agent_sessions s "
            "WHERE s.id = m.last_code_agent_session_id AND s.code_agent_name = :agent))"
        )
        params["agent"] = flt.agent
    if flt.blocked is not None:
        clauses.append(_BLOCKED if flt.blocked else f"NOT {_BLOCKED}")
    if flt.priority is not None:
        clauses.append("m.priority = :priority")
        params["priority"] = flt.priority
    if flt.stage:
        clauses.append("m.stage = :stage")
        params["stage"] = flt.stage
    if flt.ready is not None:
        clauses.append("m.ready = :ready")
        params["ready"] = 1 if flt.ready else 0
    return " AND ".join(clauses), params


async def list_counts(
    run: Runner, project_id: str, flt: BoardFilter = BoardFilter()
) -> dict[str, int]:
    counts = dict.fromkeys(LISTS, 0)
    if flt.active:
        where, params = _where(project_id, flt)
        sql = f"SELECT m.list, count(*) FROM missions m WHERE {where} GROUP BY m.list"
    else:
        sql, params = _KEPT_COUNTS, {"project_id": project_id}
    counts.update({name: int(count) for name, count in await run(sql, params)})
    return counts


async def list_count(
    run: Runner, project_id: str, list_name: str, flt: BoardFilter = BoardFilter()
) -> int:
    if not flt.active:
        rows = await run(
            f"{_KEPT_COUNTS} AND list = :list", {"project_id": project_id, "list": list_name}
        )
        return int(rows[0][1]) if rows else 0
    where, params = _where(project_id, flt)
    rows = await run(
        f"SELECT count(*) FROM missions m WHERE {where} AND m.list = :list",
        {**params, "list": list_name},
    )
    return int(rows[0][0])


def _card(row: Sequence[Any]) -> CardRow:
    return CardRow(
        id=row[0],
        title=row[1],
        priority=row[2],
        stage=row[3],
        ready=bool(row[4]),
        agent_session_status=row[5],
        github_pr_number=row[6],
        review_status=row[7],
        list_order=row[8],
        blocked=bool(row[9]),
        pr_status=row[10],
    )


async def card_window(
    run: Runner,
    project_id: str,
    list_name: str,
    start: int,
    limit: int,
    flt: BoardFilter = BoardFilter(),
) -> list[CardRow]:
    """Cards ``start`` … ``start + limit`` of one list, in board order.

    From the top of the list this is a range of the index; deeper, OFFSET walks ``start``
    entries first: :func:`cards_around` is the keyset way when a card's key is known.
    """
    where, params = _where(project_id, flt)
    offset = " OFFSET :start" if start > 0 else ""
    rows = await run(
        f"SELECT {_CARD_COLUMNS} FROM missions m WHERE {where} AND m.list = :list "
        f"ORDER BY m.list_order, m.id LIMIT :limit{offset}",
        {**params, "list": list_name, "limit": limit, "start": max(0, start)},
    )
    return [_card(row) for row in rows]


async def cards_around(
    run: Runner,
    project_id: str,
    list_name: str,
    key: tuple[float, str],
    before: int,
    limit: int,
    flt: BoardFilter = BoardFilter(),
) -> list[CardRow]:
    """Up to ``before`` cards before the card whose (``list_order``, ``id``) is ``key``, then
    the cards from it on: ``limit`` in all, in board order (two keyset ranges, no OFFSET)."""
    where, params = _where(project_id, flt)
    params = {**params, "list": list_name, "order": key[0], "id": key[1]}
    earlier: Sequence[Sequence[Any]] = []
    if before > 0:
        earlier = await run(
            f"SELECT {_CARD_COLUMNS} FROM missions m WHERE {where} AND m.list = :list "
            "AND (m.list_order, m.id) < (:order, :id) "
            "ORDER BY m.list_order DESC, m.id DESC LIMIT :limit",
            {**params, "limit": before},
        )
    later = await run(
        f"SELECT {_CARD_COLUMNS} FROM missions m WHERE {where} AND m.list = :list "
        "AND (m.list_order, m.id) >= (:order, :id) ORDER BY m.list_order, m.id LIMIT :limit",
        {**params, "limit": max(0, limit - len(earlier))},
    )
    return [_card(row) for row in reversed(earlier)] + [_card(row) for row in later]


async def last_cards(
    run: Runner, project_id: str, list_name: str, limit: int, flt: BoardFilter = BoardFilter()
) -> list[CardRow]:
    """The last ``limit`` cards of one list, in board order (where a moved card lands)."""
    where, params = _where(project_id, flt)
    rows = await run(
        f"SELECT {_CARD_COLUMNS} FROM missions m WHERE {where} AND m.list = :list "
        "ORDER BY m.list_order DESC, m.id DESC LIMIT :limit",
        {**params, "list": list_name, "limit": limit},
    )
    return [_card(row) for row in reversed(rows)]


async def position_of(
    run: Runner, project_id: str, mission_id: str, flt: BoardFilter = BoardFilter()
) -> tuple[str, int] | None:
    """The list a mission is in and its index there (under the filter), or None if hidden."""
    found = await position_key(run, project_id, mission_id, flt)
    return None if found is None else (found[0], found[1])


async def position_key(
    run: Runner, project_id: str, mission_id: str, flt: BoardFilter = BoardFilter()
) -> tuple[str, int, tuple[float, str]] | None:
    """:func:`position_of` and the card's key (``list_order``, ``id``) for :func:`cards_around`.

    The index is a count of the cards before it: a range of the covering index, the one
    figure here that grows with how deep the card is.
    """
    where, params = _where(project_id, flt)
    found = await run(
        f"SELECT m.list, m.list_order FROM missions m WHERE {where} AND m.id = :id",
        {**params, "id": mission_id},
    )
    if not found:
        return None
    list_name, order = found[0]
    before = await run(
        f"SELECT count(*) FROM missions m WHERE {where} AND m.list = :list AND "
        "(m.list_order, m.id) < (:order, :id)",
        {**params, "list": list_name, "order": order, "id": mission_id},
    )
    return list_name, int(before[0][0]), (order, mission_id)


#: The id-tail lookup's indexed expression (``ix_missions_id_tail``, on the replica): the
#: statement must name it exactly, a literal -4, for SQLite to use the index.
ID_TAIL_EXPRESSION = "lower(substr({table}.id, -4))"
ID_TAIL_INDEXED = 4


def id_tail_clause(table: str = "m") -> str:
    """SQL matching ids that end with ``:tail`` (lowercase, at least four characters) through
    the index on their last four; ``:tail4`` is its last four, ``:tail_len`` its length."""
    expression = ID_TAIL_EXPRESSION.format(table=table)
    return f"{expression} = :tail4 AND lower(substr({table}.id, -:tail_len)) = :tail"


def id_tail_params(tail: str) -> dict[str, Any]:
    tail = tail.strip().lower()
    return {"tail": tail, "tail4": tail[-ID_TAIL_INDEXED:], "tail_len": len(tail)}


async def missions_by_id_tail(run: Runner, project_id: str, tail: str) -> list[str]:
    """Ids of this project's missions whose id ends with ``tail`` (at most two: one is a hit).

    Four characters or more go through the id-tail index; a shorter tail is a scan.
    """
    tail = tail.strip().lower()
    if len(tail) >= ID_TAIL_INDEXED:
        # INDEXED BY: without table statistics SQLite would rather walk the project's range
        rows = await run(
            "SELECT m.id FROM missions m INDEXED BY ix_missions_id_tail WHERE m.project_id = :p "
            f"AND m.deleted = 0 AND {id_tail_clause()} LIMIT 2",  # two: ambiguous, any order
            {"p": project_id, **id_tail_params(tail)},
        )
        return [row[0] for row in rows]
    rows = await run(
        "SELECT m.id FROM missions m WHERE m.project_id = :p AND m.deleted = 0 "
        "AND m.id LIKE :tail ESCAPE '\\' ORDER BY m.id LIMIT 2",
        {"p": project_id, "tail": f"%{_escape_like(tail)}"},
    )
    return [row[0] for row in rows]


async def linked_repositories(
    run: Runner, project_id: str, workstation_id: str | None
) -> list[str]:
    """Names of this project's repositories that have a checkout on this workstation."""
    rows = await run(
        "SELECT r.name FROM project_repositories r JOIN workstation_repositories w "
        "ON w.project_repository_id = r.id WHERE r.project_id = :p AND r.deleted = 0 "
        "AND w.deleted = 0 AND w.workstation_id = :w ORDER BY r.name",
        {"p": project_id, "w": workstation_id or ""},
    )
    return [row[0] for row in rows]


async def board_header(run: Runner, project_id: str, workstation_id: str | None) -> BoardHeaderData:
    project = await run("SELECT name FROM projects WHERE id = :p", {"p": project_id})
    station = await run("SELECT name FROM workstations WHERE id = :w", {"w": workstation_id or ""})
    projects = await run("SELECT count(*) FROM projects WHERE deleted = 0", {})
    return BoardHeaderData(
        project[0][0] if project else "(unknown project)",
        station[0][0] if station else "this workstation",
        int(projects[0][0]),
    )


async def checkout_path(run: Runner, workstation_repository_id: str) -> str | None:
    """Where a workstation's checkout of a repository lives (its main worktree)."""
    rows = await run(
        "SELECT main_path FROM workstation_repositories WHERE id = :id",
        {"id": workstation_repository_id},
    )
    return rows[0][0] if rows else None


async def projects(run: Runner, organization_id: str) -> list[tuple[str, str]]:
    rows = await run(
        "SELECT id, name FROM projects WHERE organization_id = :o AND deleted = 0"
        " AND status != 'archived' ORDER BY name",
        {"o": organization_id},
    )
    return [(r[0], r[1]) for r in rows]


async def blockers(run: Runner, mission_id: str) -> list[tuple[str, str, str]]:
    """Missions this one waits for: (id, title, list) of each ``blocks`` dependency."""
    rows = await run(
        "SELECT b.id, b.title, b.list FROM mission_dependencies d JOIN missions b "
        "ON b.id = d.depends_on_mission_id WHERE d.mission_id = :id AND d.deleted = 0 "
        "AND d.dependency_type = 'blocks' AND b.deleted = 0 ORDER BY b.list_order, b.id",
        {"id": mission_id},
    )
    return [(r[0], r[1], r[2]) for r in rows]


@dataclass(frozen=True)
class CandidateRow:
    """A mission that could block another (the dependency dialog's choices)."""

    id: str
    title: str
    list: str
    priority: int


async def dependency_candidates(
    run: Runner, project_id: str, mission_id: str, text: str = "", limit: int = 50
) -> list[CandidateRow]:
    """Unfinished missions of the project that ``mission_id`` does not wait on yet.

    ``text`` matches part of the title or the end of the id (as short ids are shown).
    """
    params: dict[str, Any] = {"p": project_id, "id": mission_id, "limit": limit}
    where = (
        "m.project_id = :p AND m.deleted = 0 AND m.id != :id AND m.list != 'done' "
        "AND NOT EXISTS (SELECT 1 FROM mission_dependencies d WHERE d.mission_id = :id "
        "AND d.depends_on_mission_id = m.id AND d.deleted = 0 AND d.dependency_type = 'blocks')"
    )
    text = text.strip()
    if text:
        where += " AND (m.title LIKE :text ESCAPE '\\' OR m.id LIKE :suffix ESCAPE '\\')"
        params["text"] = f"%{_escape_like(text)}%"
        params["suffix"] = f"%{_escape_like(text)}"
    rows = await run(
        f"SELECT m.id, m.title, m.list, m.priority FROM missions m WHERE {where} "
        "ORDER BY m.priority DESC, m.list_order, m.id LIMIT :limit",
        params,
    )
    return [CandidateRow(r[0], r[1], r[2], r[3]) for r in rows]


async def flow_stage_names(run: Runner, project_id: str) -> list[str]:
    """Stage names used by the project's flows, in flow order (for the filter's choices)."""
    rows = await run(
        "SELECT stages FROM flows WHERE (project_id = :p OR project_id IS NULL) AND deleted = 0",
        {"p": project_id},
    )
    names: list[str] = []
    for (stages,) in rows:
        for stage in json.loads(stages) if isinstance(stages, str) else stages or []:
            if stage.get("name") and stage["name"] not in names:
                names.append(stage["name"])
    return names


async def replica_ever_had_a_mission(run: Runner) -> bool:
    """True once any mission was stored in this replica: any project, deleted ones too (a
    delete leaves a tombstone row), and missions pulled from the server."""
    return bool((await run("SELECT EXISTS (SELECT 1 FROM missions)", {}))[0][0])


async def data_version(run: Runner) -> int:
    """SQLite's counter of commits by *other* connections (cheap: no table is read)."""
    return int((await run("PRAGMA data_version", {}))[0][0])


async def replica_meta(run: Runner) -> dict[str, str]:
    return {key: value for key, value in await run("SELECT key, value FROM replica_meta", {})}


async def schema_revision(run: Runner) -> str | None:
    try:
        rows = await run("SELECT version_num FROM alembic_version", {})
    except Exception:
        return None
    return rows[0][0] if len(rows) == 1 else None
