"""PR mode on the board: the mission form's PR field, and GitHub comments turned into feedback
from the review view with one key."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Select

from solo_unicorn_tui.ui.dialogs.mission_form import MissionFormScreen
from solo_unicorn_tui.ui.screens.board import BoardScreen
from solo_unicorn_tui.ui.screens.review import ReviewScreen
from storage import missions as ops
from storage import pr_comments, pull_requests
from storage.project_pr_settings import update_pr_settings
from storage.types import utcnow
from tests.support.board import app_on_db, open_replica, settle
from tests.support.review import seed_review

SIZE = (120, 36)


async def test_mission_form_sets_pr_mode_and_defaults_to_the_project(tmp_path: Path) -> None:
    db, identity = await open_replica(tmp_path / "replica.db")
    await update_pr_settings(db, identity.project_id, pr_mode_default="auto")
    app = app_on_db(db, identity)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            for title, mode in (("With a PR", "enabled"), ("Project default", None)):
                await pilot.press("n")
                await settle(pilot)
                form = app.screen
                assert isinstance(form, MissionFormScreen)
                await pilot.press(*title)
                if mode:
                    form.query_one("#form-pr-mode", Select).value = mode
                await pilot.press("ctrl+s")
                await settle(pilot)
                assert isinstance(app.screen, BoardScreen)
        todo = await ops.list_missions(db, identity.project_id, "todo")
        modes = {m.title: m.pr_mode for m in todo}
        assert (modes["With a PR"], modes["Project default"]) == ("enabled", "auto")
    finally:
        await db.close()


async def test_g_in_the_review_view_sends_github_comments_back(tmp_path: Path) -> None:
    db, identity = await open_replica(tmp_path / "replica.db")
    seed = await seed_review(db, identity, tmp_path)
    pr = await pull_requests.record_pull_request(
        db,
        seed.mission_id,
        repository_id="repo_x",
        number=7,
        url="https://github.example/acme/app/pull/7",
        source_branch="b",
        target_branch="main",
        title="t",
    )
    await pull_requests.record_refresh(
        db, pr.id, pull_requests.PrState("open", review_status="changes_requested")
    )
    await pr_comments.store_comments(
        db,
        pr.id,
        [
            pr_comments.CommentData(
                1, "review_comment", "Off by one.", "carol", "app.py", 3, created_at=utcnow()
            ),
            pr_comments.CommentData(
                2,
                "review",
                "Needs tests.",
                "carol",
                review_state="CHANGES_REQUESTED",
                created_at=utcnow(),
            ),
        ],
    )
    app = app_on_db(db, identity)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("l", "l", "v")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ReviewScreen)
            assert "PR #7 open · changes requested" in str(
                screen.query_one("#review-head").render()
            )
            await pilot.press("5")
            await settle(pilot)
            listed = str(screen.query_one("#review-pr").render())
            assert "app.py:3" in listed and "Off by one." in listed
            await pilot.press("g")
            await settle(pilot)
            assert isinstance(app.screen, BoardScreen)
        mission = await ops.get_mission(db, seed.mission_id)
        assert (mission.list, mission.review_status) == ("todo", "rejected")
        assert "app.py:3 (carol):\n> Off by one." in (mission.review_feedback or "")
        assert "carol:\n> Needs tests." in (mission.review_feedback or "")
    finally:
        await db.close()
