"""What a card says about its mission's pull request, as GitHub last reported it."""

from __future__ import annotations

from pathlib import Path

from solo_unicorn_tui.ui.screens.board import BoardScreen
from storage import missions as ops
from storage import pull_requests
from tests.support.board import app_on_db, open_replica, settle


def _card_text(screen: BoardScreen, list_name: str, index: int) -> str:
    widget = screen.list_for(list_name)
    widget.scroll_to(y=0, animate=False)
    return " ".join(widget.render_line(index * 2 + line).text for line in range(2))


async def test_pr_badge_shows_merged_and_stays_quiet_while_open(tmp_path: Path) -> None:
    db, identity = await open_replica(tmp_path / "replica.db")
    try:
        ids = {}
        for title in ("Open PR", "Merged PR"):
            draft = ops.MissionDraft(title=title, list="review")
            mission = await ops.create_mission(db, identity.project_id, draft)
            ids[title] = mission.id
        for number, title in ((7, "Open PR"), (8, "Merged PR")):
            pr = await pull_requests.record_pull_request(
                db,
                ids[title],
                repository_id="repo_x",
                number=number,
                url=f"https://github.example/acme/w/pull/{number}",
                source_branch=f"b{number}",
                target_branch="main",
                title=title,
            )
            if number == 7:
                await pull_requests.record_refresh(
                    db,
                    pr.id,
                    pull_requests.PrState(
                        "open",
                        review_status="approved",
                        approved_reviews_count=2,
                        checks_status="failure",
                    ),
                )
        await pull_requests.update_pull_request_status(db, pr.id, status="merged")

        app = app_on_db(db, identity)
        async with app.run_test(size=(160, 40)) as pilot:
            await settle(pilot)
            screen = app.board
            assert isinstance(screen, BoardScreen)
            rows = {row.title: row for row in screen.list_for("review").rows}
            assert (rows["Open PR"].pr_status, rows["Merged PR"].pr_status) == (
                "open ✓2 CI✗",
                "merged",
            )
            texts = [_card_text(screen, "review", i) for i in range(2)]
            merged = next(t for t in texts if "Merged PR" in t)
            still_open = next(t for t in texts if "Open PR" in t)
            assert "PR #8 merged" in merged
            assert "PR #7 ✓2 CI✗" in still_open and "PR #7 open" not in still_open
    finally:
        await db.close()
