"""The CLI's read commands over the standard library's ``sqlite3``: rows in, plain dicts out.

``mission list``, ``mission show`` and ``sync status`` answer from here, with neither SQLAlchemy
nor ORM objects: a call costs little more than the query itself. Values are decoded the way the
schema's column types decode them (booleans, JSON, UTC datetimes), so what the commands print is
the same as from :mod:`storage.missions`. Nothing here writes.

:func:`open_replica` returns None when the replica is missing, not at the schema head or has no
identity yet; the caller then opens the workspace once (which creates or migrates it) and asks
again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from storage import validation
from storage.errors import NotFoundError
from storage.names import MISSION_JSON_FIELDS

#: Written on the first full open (identity and site id); the quick path needs all of them.
IDENTITY_KEYS = ("organization_id", "user_id", "workstation_id", "project_id", "site_id")
_BOOL_COLUMNS = frozenset({"ready", "deleted", "requires_review"})
_JSON_COLUMNS = frozenset({"tasks", "col_clocks", "payload"})
_TIME_COLUMNS = frozenset(
    {
        "created_at",
        "updated_at",
        "review_requested_at",
        "review_completed_at",
        "claim_expires_at",
        "last_event_at",
        "completed_at",
    }
)
#: What ``mission list`` and ``mission show`` read of a mission (its JSON plus the text lines).
MISSION_COLUMNS = tuple(
    dict.fromkeys(
        (*MISSION_JSON_FIELDS, "github_pr_number", "github_pr_url", "last_error", "description")
    )
)
_SELECT_MISSION = f"SELECT {', '.join(MISSION_COLUMNS)} FROM missions"
#: Missions in the order ``mission list`` prints them (the order of ``storage.missions``).
_LIST_ORDER = "list, list_order, id"


class Replica(NamedTuple):
    connection: sqlite3.Connection
    meta: dict[str, str]

    def close(self) -> None:
        self.connection.close()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return list(self.iter_rows(sql, params))

    def iter_rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        """The rows one at a time, as the cursor reads them (a long list is never held)."""
        cursor = self.connection.execute(sql, params)
        names = [d[0] for d in cursor.description]
        for row in cursor:
            yield _decode(dict(zip(names, row, strict=True)))


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    for key, value in row.items():
        if value is None:
            continue
        if key in _BOOL_COLUMNS:
            row[key] = bool(value)
        elif key in _JSON_COLUMNS:
            row[key] = json.loads(value)
        elif key in _TIME_COLUMNS:
            found = datetime.fromisoformat(value)
            row[key] = found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)
    return row


def open_replica(path: Path) -> Replica | None:
    """The replica at ``path`` for reading, or None if it must be opened fully first."""
    from storage.schema_head import head_revisions

    if not path.is_file():
        return None
    try:
        connection = sqlite3.connect(
            f"{path.absolute().as_uri()}?mode=rw", uri=True, isolation_level=None
        )
    except sqlite3.Error:
        return None
    try:
        connection.execute("PRAGMA busy_timeout=15000")
        connection.execute("PRAGMA query_only=ON")
        revisions = [r[0] for r in connection.execute("SELECT version_num FROM alembic_version")]
        meta = dict(connection.execute("SELECT key, value FROM replica_meta").fetchall())
    except sqlite3.Error:
        connection.close()
        return None
    heads = head_revisions()
    if len(heads) != 1 or revisions != list(heads) or not all(meta.get(k) for k in IDENTITY_KEYS):
        connection.close()
        return None
    return Replica(connection, meta)


def resolve_mission_id(replica: Replica, ident: str) -> str:
    """A full id or a unique suffix of at least four characters (as ``storage.rows`` accepts)."""
    ident = ident.strip()
    live = "deleted = 0"
    exact = replica.connection.execute(
        f"SELECT id FROM missions WHERE id = ? AND {live}", (ident,)
    ).fetchone()
    if exact:
        return str(exact[0])
    if len(ident) < 4:
        raise NotFoundError("mission", ident)
    # A plain comparison of the id's tail, not LIKE: '_' and '%' typed are only themselves.
    matches = replica.connection.execute(
        "SELECT id FROM missions WHERE lower(substr(id, -4)) = ? "  # ix_missions_id_tail
        f"AND lower(substr(id, -?)) = ? AND {live} LIMIT 2",
        (ident[-4:].lower(), len(ident), ident.lower()),
    ).fetchall()
    if len(matches) != 1:
        raise NotFoundError("mission", ident)
    return str(matches[0][0])


def iter_missions(
    replica: Replica,
    project_id: str,
    list_name: str | None = None,
    *,
    limit: int | None = None,
    after: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Live missions of a project in list order; ``after``: only those after that mission id.

    Checks its arguments at once; the rows come as the caller reads them."""
    where = ["project_id = ?", "deleted = 0"]
    params: list[Any] = [project_id]
    if list_name:
        where.append("list = ?")
        params.append(validation.list_name(list_name))
    if after is not None:
        mission_id = resolve_mission_id(replica, after)
        where.append(
            "(list, list_order, id) > (SELECT list, list_order, id FROM missions WHERE id = ?)"
        )
        params.append(mission_id)
    sql = f"{_SELECT_MISSION} WHERE {' AND '.join(where)} ORDER BY {_LIST_ORDER}"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return replica.iter_rows(sql, params)


def list_missions(
    replica: Replica,
    project_id: str,
    list_name: str | None = None,
    *,
    limit: int | None = None,
    after: str | None = None,
) -> list[dict[str, Any]]:
    """:func:`iter_missions` as a list."""
    return list(iter_missions(replica, project_id, list_name, limit=limit, after=after))


def get_mission(replica: Replica, mission_id: str) -> dict[str, Any]:
    found = replica.rows(f"{_SELECT_MISSION} WHERE id = ? AND deleted = 0", (mission_id,))
    if not found:
        raise NotFoundError("mission", mission_id)
    return found[0]


def mission_events(replica: Replica, mission_id: str) -> list[dict[str, Any]]:
    return replica.rows(
        "SELECT kind, origin, summary, created_at FROM mission_events"
        " WHERE mission_id = ? AND deleted = 0 ORDER BY hlc",
        (mission_id,),
    )


def thread(replica: Replica, mission_id: str) -> list[dict[str, Any]]:
    """The mission's messages, oldest first (as ``storage.questions.thread``)."""
    return replica.rows(
        "SELECT id, kind, author_name, stage, body, created_at FROM mission_messages"
        " WHERE mission_id = ? AND deleted = 0 ORDER BY created_at, id",
        (mission_id,),
    )


def blockers(replica: Replica, mission_id: str) -> list[dict[str, Any]]:
    """The unfinished missions ``mission_id`` waits on (as ``storage.dependencies.blockers``)."""
    columns = ", ".join(f"m.{c}" for c in MISSION_COLUMNS)
    return replica.rows(
        f"SELECT {columns} FROM missions m JOIN mission_dependencies d"
        " ON d.depends_on_mission_id = m.id"
        " WHERE d.mission_id = ? AND d.deleted = 0 AND d.dependency_type = 'blocks'"
        " AND m.deleted = 0 AND m.list != 'done'"
        " ORDER BY m.priority DESC, m.list_order, m.id",
        (mission_id,),
    )


def outbox_count(replica: Replica) -> int:
    return int(replica.connection.execute("SELECT count(*) FROM sync_outbox").fetchone()[0])


def mission_json(row: dict[str, Any]) -> dict[str, Any]:
    """The JSON of a mission row, the same as ``storage.missions.mission_to_json``."""
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in ((n, row[n]) for n in MISSION_JSON_FIELDS)
    }
