"""``solo-unicorn stats --daily --json`` against counts worked out by hand on a built replica."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from solo_unicorn_tui.workspace import Workspace
from storage import fallback
from storage.types import utcnow
from tests.support.cli_run import ok
from tests.support.history import mission_at, session_at

H = timedelta(hours=1)


async def test_daily_stats_match_a_hand_count(workspace: Workspace, cli) -> None:  # type: ignore[no-untyped-def]
    db, project = workspace.db, workspace.project_id
    today = utcnow().date()
    midnight = datetime(today.year, today.month, today.day, tzinfo=UTC)

    def day(k: int) -> datetime:
        return midnight - timedelta(days=k)

    m1 = await mission_at(db, project, "Done on day 1", day(3) + 6 * H, done_at=day(1) + 12 * H)
    await mission_at(db, project, "Open since day 2", day(2))
    m3 = await mission_at(db, project, "Half of day 1", day(1) + 6 * H, done_at=day(1) + 18 * H)
    await session_at(db, m1, day(3) + 7 * H, tokens=(100, 50), cost=0.5)
    await session_at(db, m1, day(2) + 9 * H, status="failed", tokens=(10, 5), cost=0.1)
    await session_at(db, m3, day(1) + 7 * H, tokens=(1000, 200), cost=1.25)
    template = await fallback.add_template(db, project, fallback.TemplateDraft(name="Chores"))
    await fallback.launch_template(db, template.id, now=day(2) + 10 * H)  # open from 10:00
    check = await fallback.run_fallback_check(
        db, project, now=day(1) + 8 * H, triggered_by="manual"
    )
    assert check.run is not None and len(check.items) == 4  # backlog 1 of 5: four proposed
    await db.close()

    rows = json.loads(ok(cli("stats", "--daily", "--days", "5", "--json")))
    now = utcnow()

    assert [r["day"] for r in rows] == [
        (today - timedelta(days=k)).isoformat() for k in (4, 3, 2, 1, 0)
    ]
    picked = {
        key: [r[key] for r in rows]
        for key in (
            "missions_created",
            "missions_done",
            "sessions",
            "failure_rate",
            "tokens",
            "cost_usd",
            "fallback_generated",
            "fallback_accepted",
        )
    }
    assert picked == {
        "missions_created": [0, 1, 2, 1, 0],
        "missions_done": [0, 0, 0, 2, 0],
        "sessions": [0, 1, 1, 1, 0],
        "failure_rate": [None, 0.0, 1.0, 0.0, None],
        "tokens": [0, 150, 15, 1200, 0],
        "cost_usd": [0.0, 0.5, 0.1, 1.25, 0.0],
        "fallback_generated": [0, 0, 1, 4, 0],
        "fallback_accepted": [0, 0, 1, 0, 0],
    }
    # m1 from 06:00 on day 3; day 2: m1, the open one, the launched one from 10:00 (14 h);
    # day 1: m1 until noon, the two open ones, m3 for 12 h; today: the two open ones so far.
    so_far = (now - midnight) / timedelta(days=1)
    assert [r["avg_backlog"] for r in rows[:4]] == pytest.approx(
        [0.0, 0.75, 2 + 14 / 24, 3.0], abs=1e-3
    )
    assert rows[4]["avg_backlog"] == pytest.approx(2 * so_far, abs=0.01)


def test_daily_stats_refuse_a_bad_range(cli, home) -> None:  # type: ignore[no-untyped-def]
    done = cli("stats", "--daily", "--days", "0")
    assert done.returncode == 1
    assert done.stderr.strip().endswith("--days 0: use 1 to 366")
    assert "Traceback" not in done.stderr
