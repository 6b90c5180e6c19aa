"""Merging a mission branch into its target locally, on real repositories: all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from solo_unicorn_tui.runtime.merge import MergeRefused, merge_branch
from tests.support.runtime_fixtures import git, make_repo


def commit(repo: Path, name: str, text: str, message: str) -> None:
    (repo / name).write_text(text)
    git(repo, "add", name)
    git(repo, "commit", "-qm", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main with the initial commit; ``mission`` two commits ahead, in its own worktree."""
    repo = make_repo(tmp_path / "app")
    tree = tmp_path / "app-mission"
    git(repo, "worktree", "add", "-q", "-b", "mission", str(tree))
    commit(tree, "feature.txt", "one\n", "feature one")
    commit(tree, "README.md", "hello from the mission\n", "readme")
    return repo


def state(repo: Path) -> tuple[str, str, str]:
    return (
        git(repo, "rev-parse", "main"),
        git(repo, "status", "--porcelain"),
        git(repo, "rev-parse", "--git-path", "MERGE_HEAD"),
    )


def test_merge_into_the_checked_out_target_updates_it(repo: Path) -> None:
    merged = merge_branch(repo, "mission", "main", "Merge mission")
    assert (merged.commits, merged.checkout) == (2, repo)
    assert git(repo, "rev-parse", "HEAD") == merged.commit
    assert git(repo, "rev-list", "--count", "main..mission") == "0"
    assert (repo / "feature.txt").read_text() == "one\n"
    assert git(repo, "log", "-1", "--format=%P", "main").count(" ") == 1, "a merge commit"
    with pytest.raises(MergeRefused, match="nothing to merge"):
        merge_branch(repo, "mission", "main", "again")


def test_a_conflict_is_refused_and_nothing_moves(repo: Path) -> None:
    commit(repo, "README.md", "hello from main\n", "main edits the readme too")
    before = state(repo)
    with pytest.raises(MergeRefused, match=r"conflicts in README\.md; nothing was merged"):
        merge_branch(repo, "mission", "main", "Merge mission")
    assert state(repo) == before
    assert not (repo / git(repo, "rev-parse", "--git-path", "MERGE_HEAD")).exists()


def test_a_dirty_target_checkout_is_refused(repo: Path) -> None:
    (repo / "README.md").write_text("half-done edit\n")
    before = state(repo)
    with pytest.raises(MergeRefused, match=r"checked out in .* with uncommitted changes"):
        merge_branch(repo, "mission", "main", "Merge mission")
    assert state(repo) == before
    assert (repo / "README.md").read_text() == "half-done edit\n"


def test_a_target_checked_out_nowhere_moves_by_ref_only(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "elsewhere")
    (repo / "scratch.txt").write_text("untracked, untouched\n")
    merged = merge_branch(repo, "mission", "main", "Merge mission")
    assert merged.checkout is None
    assert git(repo, "rev-parse", "main") == merged.commit
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "elsewhere"
    assert not (repo / "feature.txt").exists(), "no working tree was touched"
    assert git(repo, "show", "main:feature.txt") == "one"
