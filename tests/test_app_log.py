"""The app log: one file per UTC day, rolled over at midnight, the last N days kept."""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from solo_unicorn_tui.app_log import DailyLogHandler, day_log


def test_rolls_over_at_utc_midnight_and_drops_files_past_the_keep(tmp_path: Path) -> None:
    old = tmp_path / "2026-01-01.log"
    kept = tmp_path / "2026-11-20.log"
    for path, age in ((old, 31), (kept, 29)):
        path.write_text("x\n")
        stamp = time.time() - age * 86400
        os.utime(path, (stamp, stamp))
    handler = DailyLogHandler(tmp_path, keep_days=30)
    try:
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
        midnight = datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=UTC)
        assert handler.rolloverAt == int(midnight.timestamp())
        handler.rolloverAt = 0  # as if midnight had passed
        handler.emit(logging.LogRecord("t", logging.INFO, __file__, 1, "hello", None, None))
    finally:
        handler.close()
    assert not old.exists() and kept.exists()
    assert "hello" in day_log(tmp_path).read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([kept.name, day_log(tmp_path).name])
