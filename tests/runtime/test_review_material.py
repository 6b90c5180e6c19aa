"""The review view's material from a real repository and worktree."""

from __future__ import annotations

from pathlib import Path

import git

from solo_unicorn_tui.runtime.review_material import branch_diff, log_tail


def test_branch_diff_and_log_tail(tmp_path: Path) -> None:
    main = tmp_path / "repo"
    repo = git.Repo.init(main, initial_branch="main")
    (main / "a.txt").write_text("one\n")
    repo.index.add(["a.txt"])
    repo.index.commit("init")
    worktree = tmp_path / "wt"
    repo.git.worktree("add", "-b", "feature", str(worktree))
    (worktree / "a.txt").write_text("one\ntwo\n")
    git.Repo(worktree).index.add(["a.txt"])
    git.Repo(worktree).index.commit("two")
    (main / "b.txt").write_text("landed on main later\n")
    repo.index.add(["b.txt"])
    repo.index.commit("main moves on")

    diff = branch_diff(worktree, "main")
    assert diff.error is None and "+two" in diff.patch and "b.txt" not in diff.patch
    assert "1 file changed" in diff.stat
    short = branch_diff(worktree, "main", limit=10)
    assert short.truncated and len(short.patch) == 10
    assert branch_diff(worktree, "nope").error.startswith("cannot diff against nope")
    assert branch_diff(tmp_path / "missing", "main").error is not None

    log = tmp_path / "s.log"
    log.write_bytes(b"first\n" + b"x" * 100 + b"\nlast \xff line\n")
    assert log_tail(log, limit=30) == "last \ufffd line\n"
    assert log_tail(tmp_path / "none.log") == ""


async def test_gather_review(workspace, tmp_path: Path) -> None:
    from solo_unicorn_tui.runtime.review_material import gather_review
    from storage import review
    from storage.missions import MissionDraft, create_mission

    main = tmp_path / "repo"
    repo = git.Repo.init(main, initial_branch="main")
    (main / "a.txt").write_text("one\n")
    repo.index.add(["a.txt"])
    repo.index.commit("init")
    worktree = tmp_path / "wt"
    repo.git.worktree("add", "-b", "feature", str(worktree))
    (worktree / "a.txt").write_text("changed\n")

    mission = await create_mission(
        workspace.db, workspace.project_id, MissionDraft("R", stage="plan")
    )
    await review.finish_stage(workspace.db, mission.id)
    await review.reject_mission(workspace.db, mission.id, "More detail.")
    log = tmp_path / "s.log"
    log.write_text("agent said hi\n")
    material = await gather_review(workspace.db, mission.id, worktree, log)
    assert material.diff is not None and "+changed" in material.diff.patch
    assert material.log == "agent said hi\n"
    assert [e.kind for e in material.reviews] == ["rejected"]
    assert "More detail." in material.reviews[0].summary
    await review.finish_stage(workspace.db, mission.id)
    await review.approve_mission(workspace.db, mission.id)
    bare = await gather_review(workspace.db, mission.id)
    assert [e.kind for e in bare.reviews] == ["rejected", "stage"]
    assert (bare.diff, bare.log) == (None, "")
