"""The header's sync label: it shows the status the sync host posts, in the status's own words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.app import App, ComposeResult

from solo_unicorn_tui.ui.messages import SyncStatusChanged
from solo_unicorn_tui.ui.widgets.sync_status_label import SyncStatusLabel
from sync.status import SyncStatus

NOW = datetime(2026, 1, 2, 9, 30, tzinfo=UTC)


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield SyncStatusLabel(clock=lambda: NOW, id="sync")

    def on_sync_status_changed(self, message: SyncStatusChanged) -> None:
        self.query_one(SyncStatusLabel).status = message.status


async def test_sync_label_shows_each_posted_status() -> None:
    app = Host()
    async with app.run_test() as pilot:
        label = app.query_one(SyncStatusLabel)
        assert str(label.render()) == "● local only"
        for status, shown in [
            (SyncStatus("offline", 3), "⚠ offline · 3 pending"),
            (
                SyncStatus("syncing", 3, progress=(5_000, 100_000)),
                "⟳ syncing 5,000/100,000 · 3 pending",
            ),
            (SyncStatus("synced", 0, NOW - timedelta(seconds=12)), "✓ synced 12 s ago"),
            (SyncStatus("error", 0, message="wrong password"), "✗ sync error: wrong password"),
        ]:
            app.post_message(SyncStatusChanged(status))
            await pilot.pause()
            assert str(label.render()) == shown == status.describe(NOW)


def test_a_newer_status_replaces_one_still_queued() -> None:
    older = SyncStatusChanged(SyncStatus("syncing"))
    newer = SyncStatusChanged(SyncStatus("synced", 0, NOW))
    assert newer.can_replace(older)


async def test_the_tick_repaints_nothing_while_the_text_stays_the_same() -> None:
    """An idle board writes nothing to the terminal: the label's periodic tick must not
    re-lay out the screen when "local only" still reads "local only"."""
    app = Host()
    async with app.run_test() as pilot:
        label = app.query_one(SyncStatusLabel)
        await pilot.pause()
        refreshes: list[bool] = []
        original = label.refresh

        def counted(*args: object, **kwargs: object) -> object:
            refreshes.append(bool(kwargs.get("layout")))
            return original(*args, **kwargs)  # type: ignore[arg-type]

        label.refresh = counted  # type: ignore[method-assign]
        label._show()
        label._show()
        assert refreshes == []
        label.status = SyncStatus("offline", 1)
        await pilot.pause()
        assert refreshes and str(label.render()) == "⚠ offline · 1 pending"
