"""A mission walks clarify → plan (rejected, then approved) → code (PR opened) → Done.

The loop below does what the runtime does between sessions, using only the public pieces it
will call: build the prompt (mission_context/render_prompt), run the agent (a real subprocess in
a real git worktree), read the documents back, finish the stage, open the PR after code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import git

from solo_unicorn_tui.github_client import GitHubClient
from solo_unicorn_tui.stage_completion import complete_stage
from solo_unicorn_tui.workspace import Workspace
from storage import review
from storage.changes import ChangeWriter
from storage.mission_context import mission_context, render_prompt
from storage.missions import MissionDraft, create_mission, get_mission, list_events
from storage.models import ProjectRepository
from tests.flows.github_server import fake_github

AGENT = Path(__file__).parent / "agents" / "stage_agent.py"
ROOT = Path(__file__).resolve().parents[2]


def _git_env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "GIT_AUTHOR_NAME": "agent",
        "GIT_AUTHOR_EMAIL": "agent@example.com",
        "GIT_COMMITTER_NAME": "agent",
        "GIT_COMMITTER_EMAIL": "agent@example.com",
    }


async def _session(
    ws: Workspace,
    mission_id: str,
    worktree: Path,
    prompts: Path,
    github: Callable[[], GitHubClient] | None = None,
) -> str:
    prompt = render_prompt(await mission_context(ws.db, mission_id))
    path = prompts / f"{len(list(prompts.iterdir())) + 1}.md"
    path.write_text(prompt, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(AGENT), str(path), mission_id],
        cwd=worktree,
        env=_git_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result = await complete_stage(ws.db, mission_id, worktree, github=github)
    if result.pull_request is not None:
        assert result.pull_request.error is None
    return result.stage


async def test_walk(workspace: Workspace, tmp_path: Path) -> None:
    bare = tmp_path / "remote.git"
    git.Repo.init(bare, bare=True, initial_branch="main")
    main = tmp_path / "main"
    repo = git.Repo.init(main, initial_branch="main")
    (main / "README.md").write_text("app\n")
    repo.index.add(["README.md"])
    repo.index.commit("init")
    repo.create_remote("origin", str(bare)).push("main")
    async with workspace.db.write() as conn:
        repo_row = await ChangeWriter(workspace.db, conn).insert(
            ProjectRepository.__table__,
            {
                "organization_id": workspace.identity.organization_id,
                "project_id": workspace.project_id,
                "name": "app",
                "github_owner": "acme",
                "github_name": "widgets",
            },
        )
    mission = await create_mission(
        workspace.db,
        workspace.project_id,
        MissionDraft("Add search", ready=True, repository_id=repo_row["id"], pr_mode="enabled"),
    )
    worktree = tmp_path / "wt"
    repo.git.worktree("add", "-b", "solo-unicorn/search", str(worktree))
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    mid = mission.id

    assert await _session(workspace, mid, worktree, prompts) == "clarify"
    m = await get_mission(workspace.db, mid)
    assert (m.list, m.stage, m.clarification) == ("todo", "plan", "Search titles only.")

    await _session(workspace, mid, worktree, prompts)
    m = await get_mission(workspace.db, mid)
    assert (m.list, m.stage) == ("review", "plan")
    assert [t["title"] for t in m.tasks or []] == ["Index titles", "Query and rank"]
    await review.reject_mission(workspace.db, mid, "Split task 2 into query and ranking.")

    await _session(workspace, mid, worktree, prompts)
    third_prompt = (prompts / "3.md").read_text()
    assert "Split task 2 into query and ranking." in third_prompt
    assert "Search titles only." in third_prompt
    m = await get_mission(workspace.db, mid)
    assert [t["title"] for t in m.tasks or []] == ["Index titles", "Query", "Rank"]
    await review.approve_mission(workspace.db, mid)

    with fake_github() as server:
        stage = await _session(
            workspace, mid, worktree, prompts, lambda: GitHubClient(server.token, server.url)
        )
        m = await get_mission(workspace.db, mid)
        assert (stage, m.list, m.github_pr_number) == ("code", "review", 7)
        assert "Review feedback" not in (prompts / "4.md").read_text()
    assert "search.py" in git.Repo(bare).git.ls_tree("-r", "solo-unicorn/search", "--name-only")

    done = await review.approve_mission(workspace.db, mid)
    assert (done.list, done.github_pr_number) == ("done", 7)
    kinds = [e.kind for e in await list_events(workspace.db, mid)]
    assert kinds.count("review_requested") == 3 and kinds[-1] == "done"
