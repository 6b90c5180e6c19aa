"""A remote with a newer target branch is fetched before branching; offline falls back."""

from __future__ import annotations

import subprocess
from pathlib import Path

from solo_unicorn_tui.runtime.base_branch import commits_behind, refresh_target

IDENTITY = ["-c", "user.name=t", "-c", "user.email=t@t"]


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *IDENTITY, *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def _commit(repo: Path, name: str) -> str:
    (repo / name).write_text(name)
    _git("add", name, cwd=repo)
    _git("commit", "-qm", name, cwd=repo)
    return _git("rev-parse", "HEAD", cwd=repo)


def test_newer_remote_target_is_fetched(tmp_path: Path) -> None:
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    _git("init", "-q", "-b", "main", cwd=upstream)
    _commit(upstream, "one")
    local = tmp_path / "local"
    _git("clone", "-q", str(upstream), str(local), cwd=tmp_path)
    newest = _commit(upstream, "two")

    base = refresh_target(local, "main")
    assert base.fetched and base.ref == "origin/main"
    assert _git("rev-parse", base.ref, cwd=local) == newest
    assert commits_behind(local, "main", base.ref) == 1


def test_unreachable_remote_falls_back_to_the_local_ref(tmp_path: Path) -> None:
    local = tmp_path / "local"
    local.mkdir()
    _git("init", "-q", "-b", "main", cwd=local)
    _commit(local, "one")
    _git("remote", "add", "origin", str(tmp_path / "gone"), cwd=local)
    base = refresh_target(local, "main")
    assert (base.ref, base.fetched) == ("main", False)
    assert base.note and "branching from the local main" in base.note


def test_repository_without_remote_uses_the_local_ref(tmp_path: Path) -> None:
    _git("init", "-q", "-b", "main", cwd=tmp_path)
    _commit(tmp_path, "one")
    assert refresh_target(tmp_path, "main").ref == "main"
    assert commits_behind(tmp_path, "main", "no-such-branch") is None
