"""What the sync loop reports, and its one wording (the board's header and ``sync --watch``).

Apart from :mod:`sync.service` so the board can show a status before SQLAlchemy or asyncpg is
imported: this module needs only the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

State = Literal["disabled", "offline", "syncing", "synced", "error"]


@dataclass(frozen=True)
class SyncStatus:
    """What the header shows. ``error`` is permanent until fixed (password, schema, org)."""

    state: State
    pending: int = 0
    last_synced_at: datetime | None = None
    message: str = ""
    progress: tuple[int, int] | None = None
    """Rows pulled so far and in all, during a large (initial) pull."""

    def describe(self, now: datetime | None = None) -> str:
        """One line: ``● local only``, ``⚠ offline``, ``⟳ syncing 5,000/100,000``,
        ``✓ synced 12 s ago`` or ``✗ sync error: …``, then `` · N pending`` if any.
        """
        if self.state == "syncing" and self.progress and self.progress[1]:
            done, total = self.progress
            text = f"⟳ syncing {done:,}/{total:,}"
        elif self.state == "syncing":
            text = "⟳ syncing"
        elif self.state == "synced" and self.last_synced_at is not None:
            now = now or datetime.now(UTC)
            seconds = max(0, int((now - self.last_synced_at).total_seconds()))
            text = f"✓ synced {seconds} s ago"
        elif self.state == "synced":
            text = "✓ synced"
        elif self.state == "offline":
            text = "⚠ offline"
        elif self.state == "error":
            text = f"✗ sync error: {self.message}"
        else:
            text = "● local only"
        return text + (f" · {self.pending} pending" if self.pending else "")
