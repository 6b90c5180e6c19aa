"""PR mode against a local GitHub stand-in over real HTTP, with real git pushes."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import git
import pytest

from solo_unicorn_tui.runtime.github import client as github_client
from solo_unicorn_tui.runtime.github import pr_mode, pr_refresh
from solo_unicorn_tui.runtime.github.client import GitHubClient, GitHubError
from solo_unicorn_tui.runtime.github.push import PushError, parse_github_remote, push_branch
from solo_unicorn_tui.secrets import GITHUB_TOKEN, set_secret
from solo_unicorn_tui.workspace import Workspace
from storage import pull_requests, review
from storage.changes import ChangeWriter
from storage.missions import MissionDraft, create_mission, get_mission, list_events
from storage.models import ProjectRepository
from tests.support.github_server import fake_github


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _repo_with_remote(tmp_path: Path) -> tuple[Path, Path]:
    bare = tmp_path / "remote.git"
    git.Repo.init(bare, bare=True, initial_branch="main")
    main = tmp_path / "main"
    repo = git.Repo.init(main, initial_branch="main")
    (main / "app.py").write_text("print('hi')\n")
    repo.index.add(["app.py"])
    repo.index.commit("init")
    repo.create_remote("origin", str(bare))
    repo.git.push("origin", "main")
    worktree = tmp_path / "wt"
    repo.git.worktree("add", "-b", "solo-unicorn/abc123-ship", str(worktree))
    wt = git.Repo(worktree)
    (worktree / "app.py").write_text("print('shipped')\n")
    wt.index.add(["app.py"])
    wt.index.commit("ship it")
    return worktree, bare


async def _mission_in_review(ws: Workspace, pr_mode_value: str = "enabled") -> str:
    async with ws.db.write() as conn:
        repo = await ChangeWriter(ws.db, conn).insert(
            ProjectRepository.__table__,
            {
                "organization_id": ws.identity.organization_id,
                "project_id": ws.project_id,
                "name": "widgets",
                "github_owner": "acme",
                "github_name": "widgets",
            },
        )
    mission = await create_mission(
        ws.db,
        ws.project_id,
        MissionDraft(
            "Ship the widget",
            description="Make it ship.",
            stage="code",
            repository_id=repo["id"],
            pr_mode=pr_mode_value,
        ),
    )
    await review.finish_stage(ws.db, mission.id)
    return mission.id


async def test_push_and_open_pull_request(workspace: Workspace, tmp_path: Path) -> None:
    worktree, bare = _repo_with_remote(tmp_path)
    mission_id = await _mission_in_review(workspace)
    mission = await get_mission(workspace.db, mission_id)
    assert pr_mode.wants_pull_request(mission, True)
    assert not pr_mode.wants_pull_request(mission, False)

    with fake_github() as server:
        async with GitHubClient(server.token, server.url) as client:
            outcome = await pr_mode.open_pull_request(workspace.db, mission_id, worktree, client)
            assert outcome.error is None and outcome.pull_request is not None
            pr = outcome.pull_request
            assert (pr.github_pr_number, pr.status, pr.source_branch, pr.target_branch) == (
                7,
                "open",
                "solo-unicorn/abc123-ship",
                "main",
            )
            assert "solo-unicorn/abc123-ship" in [h.name for h in git.Repo(bare).heads]
            [request] = server.requests
            assert request["body"]["head"] == "solo-unicorn/abc123-ship"
            assert f"mission `{mission_id}`" in request["body"]["body"]

            mission = await get_mission(workspace.db, mission_id)
            assert (mission.list, mission.github_pr_number) == ("review", 7)
            assert mission.github_pr_url == "https://github.example/acme/widgets/pull/7"

            pushed = await pr_mode.open_pull_request(workspace.db, mission_id, worktree, client)
            assert pushed.error is None and pushed.pull_request is not None
            assert pushed.pull_request.id == pr.id
            assert len(server.requests) == 1  # the push alone updated the open pull request

            await pull_requests.update_pull_request_status(workspace.db, pr.id, status="closed")
            again = await pr_mode.open_pull_request(workspace.db, mission_id, worktree, client)
            assert again.pull_request is None
            assert again.error is not None and "422" in again.error
            assert "A pull request already exists for acme:solo-unicorn/abc123-ship." in again.error
            mission = await get_mission(workspace.db, mission_id)
            assert mission.list == "review" and mission.last_error == again.error
            assert mission.github_pr_number == 7

            server.pulls[7]["merged"] = True
            server.pulls[7]["state"] = "closed"
            refreshed = await pr_refresh.refresh_pull_request(
                workspace.db, pr, client, "acme", "widgets"
            )
            assert refreshed.status == "merged"
            assert await pull_requests.open_pull_requests(workspace.db) == []
    kinds = [e.kind for e in await list_events(workspace.db, mission_id)]
    assert kinds[-5:] == ["pr_opened", "pr_pushed", "pr_status", "pr_failed", "pr_merged"]


async def test_api_errors_are_one_line(workspace: Workspace) -> None:
    with fake_github() as server:
        async with GitHubClient("wrong-token", server.url) as bad:
            with pytest.raises(GitHubError, match="run 'solo-unicorn github login'") as error:
                await bad.get_pull_request("acme", "widgets", 1)
            assert error.value.status == 401 and "wrong-token" not in str(error.value)
        async with GitHubClient(server.token, server.url) as client:
            with pytest.raises(GitHubError, match="could not find") as missing:
                await client.create_pull_request("acme", "gone", title="t", head="h", base="main")
            assert missing.value.status == 404
    unreachable = f"http://127.0.0.1:{_free_port()}/api/v3"
    async with GitHubClient("tok", unreachable, timeout=3) as client:
        with pytest.raises(GitHubError, match="cannot reach the GitHub API") as down:
            await client.get_pull_request("acme", "widgets", 1)
    assert "\n" not in str(down.value) and down.value.status is None
    with pytest.raises(GitHubError, match="no GitHub token"):
        github_client.client_from_settings(unreachable)
    set_secret(GITHUB_TOKEN, "from-keyring")
    async with github_client.client_from_settings(unreachable) as client:
        assert client.base_url == unreachable


async def test_failed_push_leaves_mission_in_review(workspace: Workspace, tmp_path: Path) -> None:
    worktree, _ = _repo_with_remote(tmp_path)
    git.Repo(worktree).remote("origin").set_url(str(tmp_path / "no-such-remote.git"))
    mission_id = await _mission_in_review(workspace)
    with fake_github() as server:
        async with GitHubClient(server.token, server.url) as client:
            outcome = await pr_mode.open_pull_request(workspace.db, mission_id, worktree, client)
        assert server.requests == []
    assert outcome.error is not None and outcome.error.startswith("git push of")
    mission = await get_mission(workspace.db, mission_id)
    assert (mission.list, mission.last_error, mission.github_pr_number) == (
        "review",
        outcome.error,
        None,
    )
    with pytest.raises(PushError, match="no remote 'upstream'"):
        push_branch(worktree, "main", "upstream")


def test_parse_github_remote() -> None:
    assert parse_github_remote("git@github.com:acme/widgets.git") == ("acme", "widgets")
    assert parse_github_remote("https://x:y@github.com/acme/widgets") == ("acme", "widgets")
    assert parse_github_remote("/tmp/remote.git") is None


def test_github_login_status_logout(home, cli) -> None:
    with fake_github(token="good-token") as server:
        env = {"SOLO_UNICORN_GITHUB_API_URL": server.url}
        bad = cli("github", "login", "--stdin", env=env, input="wrong-token\n")
        assert bad.returncode == 1 and "401" in bad.stderr and "wrong-token" not in bad.stderr
        status = cli("github", "status", env=env)
        assert status.returncode == 1 and "no GitHub token" in status.stderr
        good = cli("github", "login", "--stdin", "--json", env=env, input="good-token\n")
        assert good.returncode == 0, good.stderr
        assert '"user": "octo"' in good.stdout
        assert "octo" in cli("github", "status", env=env).stdout
        assert cli("github", "logout", env=env).returncode == 0
        assert "no GitHub token" in cli("github", "status", env=env).stderr
    empty = cli("github", "login", "--stdin", input="\n")
    assert empty.returncode == 1 and "nothing stored" in empty.stderr


async def test_github_pr_command_and_refresh(home, cli, tmp_path: Path) -> None:
    from solo_unicorn_tui.workspace import open_workspace

    worktree, bare = _repo_with_remote(tmp_path)
    ws = await open_workspace(home)
    try:
        mission_id = await _mission_in_review(ws)
    finally:
        await ws.db.close()
    with fake_github(token="good-token") as server:
        env = {"SOLO_UNICORN_GITHUB_API_URL": server.url}
        no_token = cli("github", "pr", mission_id, "--worktree", str(worktree), env=env)
        assert no_token.returncode == 1 and "github login" in no_token.stderr
        set_secret(GITHUB_TOKEN, "good-token")
        no_worktree = cli("github", "pr", mission_id, env=env)
        assert no_worktree.returncode == 1 and "--worktree PATH" in no_worktree.stderr
        opened = cli("github", "pr", mission_id[-6:], "--worktree", str(worktree), env=env)
        assert opened.returncode == 0, opened.stderr
        assert "pull request #7 opened" in opened.stdout
        assert "solo-unicorn/abc123-ship" in [h.name for h in git.Repo(bare).heads]

        server.pulls[7]["state"] = "closed"
        refreshed = cli("github", "refresh", "--json", env=env)
        assert refreshed.returncode == 0, refreshed.stderr
        assert [(p["number"], p["status"]) for p in json.loads(refreshed.stdout)] == [(7, "closed")]
        ws = await open_workspace(home)
        try:
            nothing_open = pr_refresh.refresh_open_pull_requests(
                ws.db, lambda: GitHubClient("good-token", server.url)
            )
            assert (await nothing_open).refreshed == 0
            pr = await pull_requests.pull_request_for_mission(ws.db, mission_id)
            assert pr is not None and pr.status == "closed"
        finally:
            await ws.db.close()


async def test_runtime_refreshes_open_pull_requests_on_its_cadence(
    workspace: Workspace, tmp_path: Path
) -> None:
    from datetime import timedelta

    from solo_unicorn_tui.runtime.core import Runtime

    worktree, _ = _repo_with_remote(tmp_path)
    mission_id = await _mission_in_review(workspace)
    with fake_github() as server:
        async with GitHubClient(server.token, server.url) as client:
            assert (
                await pr_mode.open_pull_request(workspace.db, mission_id, worktree, client)
            ).error is None
        settings = workspace.settings.model_copy(update={"github_api_url": server.url})
        runtime = Runtime.from_workspace(workspace)
        runtime.settings = settings
        # no token stored yet: skipped, nothing changes, no error escapes
        assert await runtime.refresh_pull_requests_if_due() == 0
        set_secret(GITHUB_TOKEN, server.token)
        server.pulls[7]["state"] = "closed"
        assert await runtime.refresh_pull_requests_if_due() == 0  # not due again yet
        assert await runtime.refresh_pull_requests_if_due(every=timedelta(0)) == 1
    pr = await pull_requests.pull_request_for_mission(workspace.db, mission_id)
    assert pr is not None and pr.status == "closed"


async def test_pull_request_without_token_keeps_review(
    workspace: Workspace, tmp_path: Path
) -> None:
    worktree, _ = _repo_with_remote(tmp_path)
    mission = await create_mission(
        workspace.db,
        workspace.project_id,
        MissionDraft("Needs a token", stage="code", pr_mode="enabled"),
    )
    moved = await review.finish_stage(workspace.db, mission.id)
    outcome = await pr_mode.pull_request_after_stage(
        workspace.db,
        moved,
        "code",
        worktree,
        lambda: github_client.client_from_settings("http://127.0.0.1:9/api"),
    )
    assert outcome is not None and "no GitHub token" in (outcome.error or "")
    after = await get_mission(workspace.db, mission.id)
    assert (after.list, after.last_error) == ("review", outcome.error)
    plain = await create_mission(workspace.db, workspace.project_id, MissionDraft("No PR"))
    plain = await review.finish_stage(workspace.db, plain.id)
    assert (
        await pr_mode.pull_request_after_stage(
            workspace.db, plain, "code", worktree, lambda: github_client.client_from_settings("x")
        )
        is None
    )
    assert (
        await pr_mode.pull_request_after_stage(workspace.db, moved, "code", worktree, None) is None
    )
