"""``solo-unicorn board`` (the default command) and ``solo-unicorn demo``.

A home that never held a mission opens on the welcome board (the first-run steps); sample
missions exist only in ``demo``, which runs on a throwaway home of its own: it never reads or
writes the user's replica or config, and never syncs (no server, whatever the environment says).

The board starts on a read-only view of the replica (no SQLAlchemy, no Alembic) when the replica
already exists at the current schema, and opens the full workspace for writing in the
background; a new or outdated replica is opened (and migrated) first.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from solo_unicorn_tui.home import HOME_ENV, Home

#: Variables that would point the demo at the user's replica, project or server.
DEMO_CLEARED_ENV = (
    "SOLO_UNICORN_SERVER_URL",
    "SOLO_UNICORN_PROJECT_ID",
    "SOLO_UNICORN_WORKSPACE_DIR",
)


def register(sub: Any) -> None:
    board = sub.add_parser("board", help="open the board on the local replica (the default)")
    board.set_defaults(handler=_board)
    demo = sub.add_parser(
        "demo",
        help="open the board on a throwaway replica filled with sample missions",
    )
    demo.set_defaults(handler=_demo)


def _quick_config(home: Home) -> dict[str, Any]:
    """Theme, key map and project from config.json/env without pydantic (validated later)."""
    try:
        data = json.loads(home.config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    for key in ("theme", "project_id"):
        value = os.environ.get(f"SOLO_UNICORN_{key.upper()}")
        if value:
            data[key] = value
    return data


async def _open_writer(home: Home, demo: bool) -> Any:
    from solo_unicorn_tui.ui.board_data import Writer

    # The heavy imports (SQLAlchemy, Alembic, pydantic) happen off the UI loop's thread.
    await asyncio.to_thread(importlib.import_module, "solo_unicorn_tui.workspace")
    from solo_unicorn_tui.workspace import open_workspace

    if demo:
        from solo_unicorn_tui.cli.demo import install_demo_agent

        await asyncio.to_thread(install_demo_agent, home)
    ws = await open_workspace(home)
    project_id = ws.project_id
    if demo:
        from solo_unicorn_tui.cli.demo import seed_demo

        project_id = await seed_demo(ws.db, ws.identity, home_root=home.root)
        ws.settings = ws.settings.model_copy(
            update={"server_url": None, "project_id": project_id, "dispatch_on_start": False}
        )
    return Writer(
        ws.db, ws.identity.organization_id, project_id, ws.settings, ws.db.close, workspace=ws
    )


async def _open_reader_fast(home: Home, config: dict[str, Any]) -> Any | None:
    """The board over a read-only view, or None when the replica must be opened fully first."""
    from solo_unicorn_tui.ui.board_data import BoardData
    from storage import board_queries as q
    from storage.replica_reader import ReplicaReader
    from storage.schema_head import head_revisions

    if not home.replica.exists():
        return None
    try:
        reader = await ReplicaReader.open(home.replica)
    except sqlite3.Error:
        return None
    try:
        meta = await q.replica_meta(reader.run)
        revision = await q.schema_revision(reader.run)
    except sqlite3.Error:
        meta, revision = {}, None
    needed = ("organization_id", "project_id", "workstation_id")
    if revision not in head_revisions() or not all(meta.get(k) for k in needed):
        await reader.close()
        return None
    return BoardData(
        reader,
        organization_id=meta["organization_id"],
        project_id=str(config.get("project_id") or meta["project_id"]),
        workstation_id=meta["workstation_id"],
        connect=lambda: _open_writer(home, False),
    )


def board_app(home: Home, *, demo: bool = False, app_class: type[Any] | None = None) -> Any:
    """The board app on ``home``'s replica, as the ``board`` and ``demo`` commands run it
    (``demo``: ``home`` is a throwaway one, filled with sample missions first)."""
    from solo_unicorn_tui.ui.app import SoloUnicornApp
    from solo_unicorn_tui.ui.board_data import BoardData

    config = _quick_config(home)

    async def open_data() -> BoardData:
        if not demo:
            fast = await _open_reader_fast(home, config)
            if fast is not None:
                return fast
        return await BoardData.for_writer(await _open_writer(home, demo))

    keymap = config.get("keymap") if isinstance(config.get("keymap"), dict) else None
    theme = config.get("theme") if isinstance(config.get("theme"), str) else None
    return (app_class or SoloUnicornApp)(
        open_data,
        keymap=keymap,
        theme=theme,
        demo=demo,
        config_file=None if demo else home.config_file,
        # no replica yet: the welcome board shows at once, while the replica is being made
        fresh_home=not demo and not home.replica.exists(),
    )


async def run_board(
    home: Home,
    *,
    demo: bool = False,
    app_class: type[Any] | None = None,
    headless_size: tuple[int, int] | None = None,
) -> int:
    """Run the board (``app_class``/``headless_size``: for the benchmark)."""
    app = board_app(home, demo=demo, app_class=app_class)
    if headless_size is not None:
        await app.run_async(headless=True, size=headless_size)
    else:
        await app.run_async()
    return app.return_code or 0


async def _board(args: argparse.Namespace) -> int:
    return await run_board(Home.locate())


@contextlib.contextmanager
def demo_environment(root: Path) -> Iterator[Home]:
    """A throwaway home for the demo, and an environment (for this process and every agent or
    ``solo-unicorn`` it starts) that names that home and no server, project or workspace."""
    saved = {name: os.environ.get(name) for name in (HOME_ENV, *DEMO_CLEARED_ENV)}
    os.environ[HOME_ENV] = str(root)
    for name in DEMO_CLEARED_ENV:
        os.environ.pop(name, None)
    try:
        yield Home(root)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


async def _demo(args: argparse.Namespace) -> int:
    with (
        tempfile.TemporaryDirectory(prefix="solo-unicorn-demo-") as root,
        demo_environment(Path(root)) as home,
    ):
        return await run_board(home, demo=True)
