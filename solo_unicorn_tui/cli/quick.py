"""What a read or a simple write command needs, without the ORM, pydantic or asyncio on the way.

A read command (``mission list``/``show``, ``sync status``) reads the replica through
:mod:`storage.quick_reads` and takes the two settings it uses (``project_id``, ``server_url``)
from ``config.json`` and ``SOLO_UNICORN_*`` variables directly. When that is not enough — no
replica yet, an older schema, no identity, a config file that is not a plain JSON object, a URL
the settings validator must judge — it opens the workspace once the normal way (which creates
or migrates the replica and reports bad settings as usual) and reads after that.

A simple write (``mission add|update|move`` without options that need other lookups) runs
through :func:`run_write`: the same settings, the replica opened with
:meth:`storage.database.Database.open_inline` (stdlib ``sqlite3`` through SQLAlchemy Core) and
the one write path of :mod:`storage.mission_rows`. When the inline open cannot answer it returns
None and the command takes the full path (:func:`solo_unicorn_tui.workspace.workspace_session`),
which writes through the same functions.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.home import Home

if TYPE_CHECKING:
    from storage.change_rows import RowWriter
    from storage.quick_reads import Replica

T = TypeVar("T")

_SETTINGS = ("project_id", "server_url")


class Reading(NamedTuple):
    home: Home
    replica: Replica
    project_id: str
    server_url: str | None


def _quick_settings(home: Home) -> dict[str, str | None] | None:
    """The settings read commands use, or None when only the full loader may answer."""
    try:
        text = home.config_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        data: object = {}
    except (OSError, UnicodeDecodeError):
        return None
    else:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return None  # the full loader says what is wrong
    if not isinstance(data, dict):
        return None
    found = {key: data.get(key) for key in _SETTINGS}
    wanted = {f"SOLO_UNICORN_{key.upper()}": key for key in _SETTINGS}
    for name, env_value in os.environ.items():
        key = wanted.get(name.upper())
        if key is not None:
            found[key] = env_value
    for value in found.values():
        # Only plain strings are taken as they are; the settings validator judges anything else
        # (and any URL with user info, which must carry no password).
        if value is not None and (not isinstance(value, str) or "@" in value):
            return None
    return {key: value or None for key, value in found.items()}


def _full_settings(home: Home) -> dict[str, str | None]:
    import asyncio

    from solo_unicorn_tui.workspace import workspace_session

    async def prepare() -> dict[str, str | None]:
        async with workspace_session(home) as ws:
            return {key: getattr(ws.settings, key) for key in _SETTINGS}

    return asyncio.run(prepare())


@contextmanager
def reading() -> Iterator[Reading]:
    """The replica opened for reading, with the project and server the settings name."""
    from storage.quick_reads import open_replica

    home = Home.locate()
    settings = _quick_settings(home)
    replica = open_replica(home.replica) if settings is not None else None
    if replica is None:
        settings = _full_settings(home)
        replica = open_replica(home.replica)
        if replica is None:
            raise UserError(
                f"cannot read the replica {home.replica}; run 'solo-unicorn doctor' to see why"
            )
    assert settings is not None
    try:
        yield Reading(
            home,
            replica,
            project_id=settings["project_id"] or replica.meta["project_id"],
            server_url=settings["server_url"],
        )
    finally:
        replica.close()


def run_write(write: Callable[[RowWriter, str], T]) -> T | None:
    """``write(writer, project_id)`` in one inline write transaction, or None (nothing written)
    when only the full open may answer (see the module docstring)."""
    from storage.change_rows import RowWriter
    from storage.database import Database

    home = Home.locate()
    settings = _quick_settings(home)
    if settings is None:
        return None
    db = Database.open_inline(home.replica)
    if db is None:
        return None
    try:
        with db.write() as conn:
            return write(RowWriter(db, conn), settings["project_id"] or db.meta["project_id"])
    finally:
        db.close()
