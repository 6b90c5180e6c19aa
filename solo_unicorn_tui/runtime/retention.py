"""``solo-unicorn gc`` and the dispatcher's pruning: rows by :mod:`storage.retention`, files here.

Old tombstones are removed only once the server has confirmed them when a server is configured
(``server_url``); a solo replica removes them by age.

Session logs and prompt files are deleted only inside this home's ``sessions/`` folder (a synced
row names a path, and a path from elsewhere is never trusted with a delete); app logs older than
``retention.app_log_days`` go from ``logs/``. A dry run reads the same plan and deletes nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from solo_unicorn_tui.app_log import old_app_logs
from solo_unicorn_tui.config import Settings
from solo_unicorn_tui.home import Home
from storage.database import Database
from storage.retention import RetentionPolicy, apply_prune, plan_prune
from storage.types import utcnow


@dataclass(frozen=True)
class GcReport:
    dry_run: bool
    sessions: int
    session_logs: int
    fallback_runs: int
    fallback_items: int
    tombstones: int
    app_logs: int
    bytes_freed: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def policy_of(settings: Settings) -> RetentionPolicy:
    keep = settings.retention
    return RetentionPolicy(
        keep.sessions_days, keep.logs_days, keep.fallback_runs_days, keep.tombstones_days
    )


def _inside(folder: Path, path: str) -> Path | None:
    candidate = Path(path).resolve()
    return candidate if candidate.is_relative_to(folder.resolve()) else None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _delete(paths: list[Path], dry_run: bool) -> int:
    """Delete the files (unless ``dry_run``); return the bytes they held."""
    freed = 0
    for path in paths:
        freed += _size(path)
        if not dry_run:
            path.unlink(missing_ok=True)
    return freed


async def collect_garbage(
    db: Database,
    home: Home,
    settings: Settings,
    workstation_id: str,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
) -> GcReport:
    now = now or utcnow()
    plan = await plan_prune(
        db, workstation_id, policy_of(settings), now, require_pushed=settings.server_url is not None
    )
    files = [
        found
        for entry in plan.logs
        for path in entry.paths
        if (found := _inside(home.sessions_dir, path)) is not None
    ]
    app_logs = old_app_logs(home.logs_dir, settings.retention.app_log_days, now)
    if not dry_run:
        await apply_prune(db, plan)
    freed = await asyncio.to_thread(_delete, [*files, *app_logs], dry_run)
    return GcReport(
        dry_run=dry_run,
        sessions=len(plan.sessions),
        session_logs=len(plan.logs),
        fallback_runs=len(plan.fallback_runs),
        fallback_items=len(plan.fallback_items),
        tombstones=plan.tombstone_count,
        app_logs=len(app_logs),
        bytes_freed=freed,
    )
