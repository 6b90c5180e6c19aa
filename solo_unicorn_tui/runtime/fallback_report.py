"""Mission Fallback run reports in the repository: ``solo-unicorn-docs/fallback/{runId}.json``.

Seed 001 keeps each run's report beside the mission documents "for audit". It is written into the
checkout of the project's first repository linked on this workstation (none linked: no file),
rewritten whenever the run changes here (made, a proposal decided), and never committed: it is
the person's to commit, like any file in their checkout. The report is
:func:`storage.fallback.run_report`; writing replaces the file atomically.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import tempfile
from pathlib import Path

from storage import fallback
from storage.database import Database
from storage.repositories import default_repository

log = logging.getLogger(__name__)

REPORT_DIR = Path("solo-unicorn-docs") / "fallback"


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


async def write_run_report(db: Database, run_id: str, workstation_id: str) -> Path | None:
    """Write the run's report; return its path (None: no checkout here, or it could not be
    written — logged, since the run itself is recorded either way)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", run_id):
        return None
    report = await fallback.run_report(db, run_id)
    repo = await default_repository(db, report["projectId"], workstation_id)
    if repo is None or repo.main_path is None:
        return None
    path = Path(repo.main_path) / REPORT_DIR / f"{run_id}.json"
    try:
        await asyncio.to_thread(_write_atomic, path, json.dumps(report, indent=2) + "\n")
    except OSError as error:
        log.warning("fallback report %s not written: %s", path, error)
        return None
    return path


async def write_item_report(db: Database, item_id: str, workstation_id: str) -> Path | None:
    """The report of the run a proposal (or a launched mission's item) belongs to."""
    return await write_run_report(db, await fallback.item_run_id(db, item_id), workstation_id)
