"""The app log: ``logs/{date}.log`` (UTC days), a new file each midnight, the last N days kept.

Built on the stdlib's :class:`~logging.handlers.TimedRotatingFileHandler` for its timing, but a
rollover switches to the next day's name instead of renaming the current file: the board,
``work`` and one-shot commands are separate processes appending to the same file, and a rename
by one of them would pull the file away from the others.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, datetime, timedelta
from logging.handlers import TimedRotatingFileHandler
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Daily files kept (the ``retention.app_log_days`` default; processes without settings use it).
DEFAULT_KEEP_DAYS = 30


def day_log(folder: Path, now: datetime | None = None) -> Path:
    return folder / f"{(now or datetime.now(UTC)).date().isoformat()}.log"


def old_app_logs(folder: Path, keep_days: float, now: datetime | None = None) -> list[Path]:
    """Log files in ``folder`` last written more than ``keep_days`` ago (oldest first)."""
    cutoff = ((now or datetime.now(UTC)) - timedelta(days=keep_days)).timestamp()
    try:
        files = [p for p in folder.glob("*.log") if p.is_file()]
    except OSError:
        return []
    old = [(p.stat().st_mtime, p) for p in files if p.stat().st_mtime < cutoff]
    return [p for _mtime, p in sorted(old)]


def prune_app_logs(folder: Path, keep_days: float, now: datetime | None = None) -> list[Path]:
    """Delete :func:`old_app_logs`; return what went (a file that vanished meanwhile counts)."""
    removed = []
    for path in old_app_logs(folder, keep_days, now):
        try:
            path.unlink(missing_ok=True)
        except OSError:
            continue
        removed.append(path)
    return removed


class DailyLogHandler(TimedRotatingFileHandler):
    """Append to today's ``{date}.log``; at UTC midnight move on and drop files past the keep."""

    def __init__(self, folder: Path, keep_days: int) -> None:
        self.folder = folder
        super().__init__(
            day_log(folder), when="midnight", backupCount=keep_days, utc=True, encoding="utf-8"
        )

    def doRollover(self) -> None:
        if self.stream:
            self.stream.close()
        self.baseFilename = os.path.abspath(day_log(self.folder))
        self.stream = self._open()
        self.rolloverAt = self.computeRollover(int(time.time()))
        prune_app_logs(self.folder, self.backupCount)


def setup_logging(folder: Path, keep_days: int) -> None:
    """Log to the daily file; nothing goes to the terminal the user is looking at.

    Old files go at a rollover, with ``solo-unicorn gc`` and with the dispatcher's pruning.
    """
    root = logging.getLogger()
    if any(isinstance(h, DailyLogHandler) for h in root.handlers):
        return
    handler = DailyLogHandler(folder, keep_days)
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
