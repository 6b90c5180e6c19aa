"""The metrics screen (``M``): from the board on a real replica, and one snapshot."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from textual.app import App
from textual.widgets import DataTable, Sparkline

from solo_unicorn_tui.ui.screens.metrics import MetricsScreen
from storage.metrics import DayMetrics
from tests.support.board import MISSIONS, app_on_db, settle
from tests.ui.conftest import Replica


async def test_m_opens_the_metrics_of_the_replica(replica: Replica) -> None:
    db, identity, _ids = replica
    app = app_on_db(db, identity)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("M")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MetricsScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == 30
        today = table.get_row_at(0)  # newest first
        assert today[1] == str(len(MISSIONS))  # every seeded mission was created today
        assert list(screen.query_one("#chart-created", Sparkline).data or [])[-1] == len(MISSIONS)
        await pilot.press("t")  # 30 → 90 days
        await settle(pilot)
        assert screen.query_one(DataTable).row_count == 90
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, MetricsScreen)


WEEK = [
    DayMetrics(
        day=date(2026, 11, 24) + timedelta(days=i),
        missions_created=created,
        missions_done=done,
        sessions=sessions,
        finished_sessions=sessions,
        failed_sessions=failed,
        input_tokens=1200 * sessions,
        output_tokens=300 * sessions,
        cost_usd=0.42 * sessions,
        fallback_generated=gen,
        fallback_accepted=acc,
        avg_backlog=backlog,
    )
    for i, (created, done, sessions, failed, gen, acc, backlog) in enumerate(
        [
            (3, 0, 2, 0, 0, 0, 2.5),
            (1, 1, 4, 1, 0, 0, 3.0),
            (0, 2, 3, 0, 2, 1, 2.0),
            (5, 1, 6, 2, 0, 0, 4.5),
            (2, 3, 5, 0, 1, 1, 5.0),
            (0, 0, 0, 0, 0, 0, 4.0),
            (1, 2, 2, 1, 3, 2, 3.2),
        ]
    )
]


class MetricsHost(App[None]):
    def on_mount(self) -> None:
        async def load(days: int) -> list[DayMetrics]:
            return WEEK[-days:]

        self.push_screen(MetricsScreen(load, days=7))


def test_metrics_screen_snapshot(snap_compare: Any) -> None:
    async def loaded(pilot: Any) -> None:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(MetricsHost(), terminal_size=(110, 30), run_before=loaded)
