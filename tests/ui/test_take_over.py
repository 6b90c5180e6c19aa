"""Taking a mission over from the board: E runs $EDITOR and t runs $SHELL in its worktree."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.runtime.takeover import takeover_argv
from storage.repositories import link_repository
from storage.worktrees import record_worktree
from tests.support.board import app_on_db, settle
from tests.support.runtime_fixtures import git, make_repo
from tests.ui.conftest import Replica

#: Writes its arguments and working directory to a file named after its first argument.
FAKE_TOOL = """\
import os, sys
name = os.path.basename(sys.argv[0])
with open(os.path.join(os.getcwd(), name + ".out"), "w") as out:
    out.write(os.getcwd() + "\\n" + "\\n".join(sys.argv[1:]))
"""


def fake_tool(directory: Path, name: str) -> Path:
    script = directory / name
    script.write_text(f"#!{sys.executable}\n{FAKE_TOOL}")
    script.chmod(0o755)
    return script


def toasts(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_e_and_t_open_the_editor_and_a_shell_in_the_worktree(
    replica: Replica, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, identity, ids = replica
    repo = make_repo(tmp_path / "app")
    tree_path = tmp_path / "app-mission"
    git(repo, "worktree", "add", "-q", "-b", "mission", str(tree_path))
    link = await link_repository(
        db,
        identity.project_id,
        identity.workstation_id,
        name="app",
        main_path=str(repo),
        default_branch="main",
    )
    assert link.local is not None
    await record_worktree(
        db,
        organization_id=identity.organization_id,
        workstation_repository_id=link.local.id,
        mission_id=ids["Write the README"],
        branch="mission",
        base_branch="main",
        worktree_path=str(tree_path),
    )
    tools = tmp_path / "bin"
    tools.mkdir()
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{fake_tool(tools, 'editor')} --wait")
    monkeypatch.setenv("SHELL", str(fake_tool(tools, "shell")))

    app = app_on_db(db, identity)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("E")
        await settle(pilot)
        cwd, *args = (tree_path / "editor.out").read_text().splitlines()
        assert (cwd, args) == (str(tree_path), ["--wait", str(tree_path)])
        await pilot.press("exclamation_mark")
        await settle(pilot)
        assert (tree_path / "shell.out").read_text() == f"{tree_path}\n"
        assert any("Back from the shell" in t for t in toasts(app))

        await pilot.press("j")  # a mission without a worktree: one clear line, nothing runs
        await pilot.press("E")
        await settle(pilot)
        assert "“Fix login timeout” has no worktree on this workstation yet" in toasts(app)[-1]


def test_a_broken_editor_variable_is_one_line() -> None:
    with pytest.raises(UserError, match=r"\$EDITOR is not a valid command"):
        takeover_argv("editor", Path("/tmp"), {"EDITOR": "vim 'unclosed"})
    assert takeover_argv("shell", Path("/tmp"), {}) == ["/bin/sh"]
