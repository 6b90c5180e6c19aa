"""The header's sync state: what the sync helper will set, shown honestly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.app import App, ComposeResult

from solo_unicorn_tui.ui.widgets.sync_status import SyncStatus

NOW = datetime(2026, 1, 2, 9, 30, tzinfo=UTC)


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield SyncStatus(clock=lambda: NOW, id="sync")


async def test_sync_status_states() -> None:
    app = Host()
    async with app.run_test() as pilot:
        status = app.query_one(SyncStatus)
        assert status.describe() == "● local only"
        status.state = "offline"
        status.pending = 3
        await pilot.pause()
        assert status.describe() == "⚠ offline · 3 pending"
        assert "offline" in str(status.render())
        status.state = "syncing"
        assert status.describe().startswith("⟳ syncing")
        status.progress = (5_000, 100_000)
        assert status.describe() == "⟳ syncing 5,000/100,000 · 3 pending"
        status.progress = None
        status.pending = 0
        status.last_synced = NOW - timedelta(seconds=12)
        status.state = "synced"
        await pilot.pause()
        assert status.describe() == "✓ synced 12 s ago"
