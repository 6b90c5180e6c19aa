"""The review's diff steps file by file: ``]``/``[`` and the file list beside it."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import OptionList

from solo_unicorn_tui.ui.widgets.diff_view import DiffView, file_of
from tests.support.board import app_on_db, open_replica, settle
from tests.support.review import seed_review
from tests.ui.test_review_view import SIZE, open_review


def test_file_of_names_the_new_path() -> None:
    assert file_of("diff --git a/sync.py b/sync.py") == "sync.py"
    assert file_of("diff --git a/old name.txt b/new name.txt") == "new name.txt"


async def test_brackets_step_through_the_files_of_the_diff(tmp_path: Path) -> None:
    db, identity = await open_replica(tmp_path / "replica.db")
    try:
        files_on_branch = {"alpha.txt": "a\n", "docs/beta.md": "b\n", "zeta.txt": "last\n"}
        await seed_review(db, identity, tmp_path, branch_files=files_on_branch)
        app = app_on_db(db, identity)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_review(pilot, "l", "l", "v")
            await pilot.press("right_square_bracket")  # from the solution tab: opens the diff
            await settle(pilot)
            view = screen.query_one(DiffView)
            files = screen.query_one("#review-diff-files", OptionList)
            paths = [path for _line, path in view.files]
            assert paths == ["alpha.txt", "docs/beta.md", "zeta.txt"]
            prompts = [str(files.get_option_at_index(i).prompt) for i in range(4)]
            assert prompts == ["All files", *paths]
            assert screen.query_one("#review-tabs").active == "diff"
            assert view.lines[0].startswith(" alpha.txt"), "the whole diff, stat first"

            for index, path in enumerate(paths):
                await pilot.press("right_square_bracket")
                await pilot.pause()
                assert view.lines[0] == f"diff --git a/{path} b/{path}"
                assert not any(line.startswith("diff --git") for line in view.lines[1:])
                assert files.border_title == f"File {index + 1}/3"
            await pilot.press("right_square_bracket")  # past the last: it stays
            await pilot.pause()
            assert view.file_shown == 2 and files.highlighted == 3
            await pilot.press(*["left_square_bracket"] * 3)
            await pilot.pause()
            assert view.file_shown is None and view.lines[0].startswith(" alpha.txt")
            files.focus()
            files.highlighted = 2
            await pilot.press("enter")
            await pilot.pause()
            assert view.lines[0] == "diff --git a/docs/beta.md b/docs/beta.md"
            assert app.focused is view
    finally:
        await db.close()
