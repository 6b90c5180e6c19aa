"""Everything a command needs, opened in one place: home, settings, replica and identity."""

from __future__ import annotations

import getpass
import os
import platform
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from solo_unicorn_tui import __version__
from solo_unicorn_tui.app_log import setup_logging
from solo_unicorn_tui.config import Settings, load_settings
from solo_unicorn_tui.home import Home
from storage.database import Database, sqlite_url
from storage.identity import Identity, Machine, ensure_identity


@dataclass
class Workspace:
    home: Home
    settings: Settings
    db: Database
    identity: Identity

    @property
    def project_id(self) -> str:
        return self.settings.project_id or self.identity.project_id

    @property
    def workspace_dir(self) -> Path:
        return self.settings.workspace_dir or self.home.workspaces_dir


def this_machine() -> Machine:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = os.environ.get("USER", "me")
    return Machine(
        user_name=user,
        hostname=socket.gethostname(),
        os=platform.system().lower(),
        arch=platform.machine(),
        platform_version=platform.release(),
        cli_version=__version__,
    )


async def open_workspace(home: Home | None = None) -> Workspace:
    home = home or Home.locate()
    settings = load_settings(home)
    home.ensure()
    setup_logging(home.logs_dir, settings.retention.app_log_days)
    db = await Database.open(sqlite_url(home.replica))
    try:
        identity = await ensure_identity(db, this_machine())
    except BaseException:
        await db.close()
        raise
    return Workspace(home, settings, db, identity)


@asynccontextmanager
async def workspace_session(home: Home | None = None) -> AsyncIterator[Workspace]:
    ws = await open_workspace(home)
    try:
        yield ws
    finally:
        await ws.db.close()
