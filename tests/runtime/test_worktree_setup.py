"""Ignored files reach new worktrees; set-up scripts run with their output logged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from solo_unicorn_tui.runtime.worktree_setup import (
    SetupError,
    copy_included_files,
    include_patterns,
    run_script,
)


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def repo_with_worktree(tmp_path: Path) -> tuple[Path, Path]:
    main = tmp_path / "main"
    main.mkdir()
    _git("init", "-q", "-b", "main", cwd=main)
    (main / ".gitignore").write_text(".env\nconfig/local.toml\nnode_modules/\n")
    (main / "app.py").write_text("print('hi')\n")
    _git("add", ".", cwd=main)
    _git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init", cwd=main)
    (main / ".env").write_text("SECRET_FOR_THE_APP=1\n")
    (main / "config").mkdir()
    (main / "config" / "local.toml").write_text("x = 1\n")
    (main / ".worktreeinclude").write_text("# files the build needs\nconfig/*.toml\n")
    worktree = tmp_path / "wt"
    _git("worktree", "add", "-q", "-b", "feature", str(worktree), cwd=main)
    return main, worktree


def test_ignored_env_file_is_copied_into_the_worktree(
    repo_with_worktree: tuple[Path, Path],
) -> None:
    main, worktree = repo_with_worktree
    assert not (worktree / ".env").exists()
    patterns = include_patterns(main, [".env", "../outside", "app.py"])
    assert patterns == [".env", "../outside", "app.py", "config/*.toml"]
    (worktree / "app.py").write_text("changed in the worktree\n")
    copied = copy_included_files(main, worktree, patterns)
    assert sorted(copied) == [".env", "config/local.toml"]
    assert (worktree / ".env").read_text() == "SECRET_FOR_THE_APP=1\n"
    assert (worktree / "app.py").read_text() == "changed in the worktree\n"


async def test_setup_script_output_is_logged(tmp_path: Path) -> None:
    log = tmp_path / "session.log"
    await run_script([sys.executable, "-c", "print('installing deps')"], tmp_path, log)
    assert "installing deps" in log.read_text()


async def test_failing_setup_script_is_a_clear_error(tmp_path: Path) -> None:
    log = tmp_path / "session.log"
    failing = [sys.executable, "-c", "import sys; print('npm ERR! missing'); sys.exit(4)"]
    with pytest.raises(SetupError, match=r"setup_script exited with 4: .*npm ERR! missing"):
        await run_script(failing, tmp_path, log)
    with pytest.raises(SetupError, match="could not start"):
        await run_script([str(tmp_path / "nope")], tmp_path, log)
    with pytest.raises(SetupError, match="timed out"):
        await run_script(
            [sys.executable, "-c", "import time; time.sleep(30)"], tmp_path, log, timeout=0.5
        )
