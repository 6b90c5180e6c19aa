"""GitHub's side of a pull request coming back (against the local GitHub stand-in over HTTP):
state, reviews, checks and comments on refresh, ETag and rate limits, feedback, merge."""

from __future__ import annotations

from pathlib import Path

import pytest

from solo_unicorn_tui.runtime.github import pr_mode, pr_refresh
from solo_unicorn_tui.runtime.github.client import GitHubClient, GitHubRateLimited
from solo_unicorn_tui.runtime.github.remote import github_home
from solo_unicorn_tui.workspace import Workspace
from storage import pr_comments, pull_requests, review
from storage.missions import MissionDraft, create_mission, get_mission, list_events
from storage.project_pr_settings import update_pr_settings
from storage.repositories import set_github_repository
from tests.runtime.test_pr_mode import _mission_in_review, _repo_with_remote
from tests.support.github_server import FakeGitHub, fake_github

API = "https://api.github.com"


def test_github_home_from_remote_urls() -> None:
    assert github_home("https://github.com/acme/widgets.git", API) == ("acme", "widgets")
    assert github_home("https://tok@github.com/acme/widgets", API) == ("acme", "widgets")
    assert github_home("git@github.com:acme/widgets.git", API) == ("acme", "widgets")
    assert github_home("ssh://git@github.com/acme/widgets.git", API) == ("acme", "widgets")
    assert github_home("ssh://git@github.com:22/acme/widgets", API) == ("acme", "widgets")
    ghe = "https://ghe.corp.example/api/v3"
    assert github_home("git@ghe.corp.example:team/app.git", ghe) == ("team", "app")
    assert github_home("https://ghe.corp.example/team/app", ghe) == ("team", "app")
    assert github_home("git@ghe.corp.example:team/app.git", API) is None
    assert github_home("https://gitlab.com/acme/widgets.git", API) is None
    assert github_home("/srv/git/widgets.git", API) is None
    assert github_home("https://github.com/acme", API) is None
    assert github_home(None, API) is None


async def _opened(ws: Workspace, tmp_path: Path, server: FakeGitHub) -> str:
    worktree, _ = _repo_with_remote(tmp_path)
    mission_id = await _mission_in_review(ws)
    async with GitHubClient(server.token, server.url) as client:
        assert (await pr_mode.open_pull_request(ws.db, mission_id, worktree, client)).error is None
    return mission_id


async def _refresh(ws: Workspace, server: FakeGitHub) -> pr_refresh.RefreshReport:
    return await pr_refresh.refresh_open_pull_requests(
        ws.db, lambda: GitHubClient(server.token, server.url)
    )


async def test_refresh_records_reviews_checks_comments_once_and_uses_etags(
    workspace: Workspace, tmp_path: Path
) -> None:
    with fake_github() as server:
        mission_id = await _opened(workspace, tmp_path, server)
        sha = server.pulls[7]["head"]["sha"]
        server.check_runs[sha] = [
            {"status": "completed", "conclusion": "success"},
            {"status": "in_progress", "conclusion": None},
        ]
        server.review(7, "bob", "APPROVED")
        server.review(7, "carol", "CHANGES_REQUESTED", "Please handle empty queries.")
        server.file_comment(7, "carol", "app.py", 1, "This prints the wrong word.")
        server.issue_comments[7] = [
            {"id": 77, "user": {"login": "dave"}, "body": "Nice!", "created_at": None}
        ]
        assert (await _refresh(workspace, server)).refreshed == 1
        pr = await pull_requests.pull_request_for_mission(workspace.db, mission_id)
        assert pr is not None
        assert (pr.status, pr.review_status, pr.approved_reviews_count) == (
            "open",
            "changes_requested",
            1,
        )
        assert (pr.checks_status, pr.mergeable, pr.mergeable_state) == ("pending", True, "clean")
        assert pr.last_synced_at is not None and pr.sync_error is None and pr.etag

        first = await pr_comments.list_comments(workspace.db, pr.id)
        assert sorted((c.kind, c.author, c.path, c.line) for c in first) == [
            ("comment", "dave", None, None),
            ("review", "carol", None, None),
            ("review_comment", "carol", "app.py", 1),
        ]
        # Unchanged on GitHub: a conditional request, answered 304; nothing is stored twice.
        before = len(server.requests)
        assert (await _refresh(workspace, server)).refreshed == 1
        assert server.requests[before]["if_none_match"] == pr.etag
        assert len(server.requests) == before + 1
        # Changed: read again; the same comments are updated in place, not added.
        server.pulls[7]["mergeable_state"] = "blocked"
        assert (await _refresh(workspace, server)).refreshed == 1
        again = await pr_comments.list_comments(workspace.db, pr.id)
        assert sorted(c.id for c in again) == sorted(c.id for c in first)
        assert len(again) == 3


async def test_merged_moves_to_done_and_closed_back_to_review(
    workspace: Workspace, tmp_path: Path
) -> None:
    with fake_github() as server:
        mission_id = await _opened(workspace, tmp_path, server)
        await review.approve_mission(workspace.db, mission_id)
        assert (await get_mission(workspace.db, mission_id)).list == "done"

        server.pulls[7].update(state="closed", closed_at="2026-12-02T10:00:00Z")
        await _refresh(workspace, server)
        mission = await get_mission(workspace.db, mission_id)
        assert mission.list == "review"
        assert mission.last_error is not None and "closed on GitHub without merging" in (
            mission.last_error
        )
        assert await pull_requests.open_pull_requests(workspace.db) == []

        # Reopened and merged from the board's "merge PR": strategy and branch deletion used.
        await update_pr_settings(workspace.db, workspace.project_id, pr_merge_strategy="rebase")
        server.pulls[7].update(state="open", closed_at=None)
        pr = await pull_requests.pull_request_for_mission(workspace.db, mission_id)
        assert pr is not None
        await pull_requests.update_pull_request_status(workspace.db, pr.id, status="open")
        async with GitHubClient(server.token, server.url) as client:
            merged = await pr_refresh.merge_pull_request(workspace.db, mission_id, client)
        assert merged.status == "merged" and merged.github_merged_at is not None
        assert server.pulls[7]["merge_method"] == "rebase"
        assert server.deleted_branches == ["solo-unicorn/abc123-ship"]
    mission = await get_mission(workspace.db, mission_id)
    assert (mission.list, mission.last_error) == ("done", None)
    kinds = [e.kind for e in await list_events(workspace.db, mission_id)]
    assert kinds[-3:] == ["pr_closed", "pr_status", "pr_merged"]


async def test_rate_limit_backs_off_until_reset_and_reports(
    workspace: Workspace, tmp_path: Path
) -> None:
    with fake_github() as server:
        mission_id = await _opened(workspace, tmp_path, server)
        server.rate_limited = True
        report = await _refresh(workspace, server)
        assert report.refreshed == 0
        assert report.rate_limited is not None and "rate limit reached" in report.rate_limited
        assert "backing off until" in report.rate_limited and "\n" not in report.rate_limited
        pr = await pull_requests.pull_request_for_mission(workspace.db, mission_id)
        assert pr is not None and pr.sync_error == report.rate_limited
        # Until the reset nothing is asked at all, even once GitHub would answer again.
        server.rate_limited = False
        asked = len(server.requests)
        assert (await _refresh(workspace, server)).rate_limited is not None
        async with GitHubClient(server.token, server.url) as client:
            with pytest.raises(GitHubRateLimited):
                await client.current_user()
        assert len(server.requests) == asked


async def test_changes_requested_become_feedback(workspace: Workspace, tmp_path: Path) -> None:
    with fake_github() as server:
        mission_id = await _opened(workspace, tmp_path, server)
        assert await pr_refresh.github_feedback(workspace.db, mission_id) is None
        server.review(7, "carol", "CHANGES_REQUESTED", "Handle empty queries.")
        server.file_comment(7, "carol", "app.py", 1, "Wrong word here.\nSay 'hello'.")
        await _refresh(workspace, server)
    text = await pr_refresh.github_feedback(workspace.db, mission_id)
    assert text is not None
    assert "app.py:1 (carol):\n> Wrong word here.\n> Say 'hello'." in text
    assert "carol:\n> Handle empty queries." in text
    rejected = await review.reject_mission(workspace.db, mission_id, text)
    assert (rejected.list, rejected.review_feedback) == ("todo", text)
    # Only what is new since that decision counts next time.
    assert await pr_refresh.github_feedback(workspace.db, mission_id) is None


async def test_pr_mode_auto_and_project_default(workspace: Workspace, tmp_path: Path) -> None:
    worktree, _ = _repo_with_remote(tmp_path)
    await update_pr_settings(
        workspace.db, workspace.project_id, pr_mode_default="auto", pr_draft=True
    )
    plain = await create_mission(workspace.db, workspace.project_id, MissionDraft("No repo"))
    assert plain.pr_mode == "auto"
    moved = await review.finish_stage(workspace.db, plain.id)
    # auto without a GitHub remote (the origin is a local path) does nothing, says nothing.
    assert (
        await pr_mode.pull_request_after_stage(
            workspace.db, moved, "code", worktree, lambda: GitHubClient("t", API)
        )
        is None
    )
    assert (await get_mission(workspace.db, plain.id)).last_error is None

    mission_id = await _mission_in_review(workspace, "auto")
    mission = await get_mission(workspace.db, mission_id)

    def no_token() -> GitHubClient:
        return GitHubClient(None, API)

    # auto on GitHub without a token: nothing either.
    assert (
        await pr_mode.pull_request_after_stage(workspace.db, mission, "code", worktree, no_token)
        is None
    )
    assert (await get_mission(workspace.db, mission_id)).last_error is None
    # a stage that does not open the pull request
    assert (
        await pr_mode.pull_request_after_stage(workspace.db, mission, "plan", worktree, no_token)
        is None
    )
    with fake_github() as server:
        opened = await pr_mode.pull_request_after_stage(
            workspace.db, mission, "code", worktree, lambda: GitHubClient(server.token, server.url)
        )
        [request] = [r for r in server.requests if r["method"] == "POST"]
    assert opened is not None and opened.pull_request is not None
    assert opened.pull_request.status == "draft" and request["body"]["draft"] is True
    assert await pull_requests.open_pull_requests(workspace.db) != []


def test_pull_request_body_has_solution_tasks_template_and_id() -> None:
    from storage.models import Mission

    mission = Mission(
        id="mission_01ABC",
        title="Ship",
        description="Make it ship.",
        solution="Do the thing.",
        tasks=[{"title": "First", "done": True}, {"title": "Second"}],
    )
    body = pr_mode.pull_request_body(mission, "## Checklist\n- [ ] docs")
    assert "## Solution\n\nDo the thing." in body
    assert "- [x] First\n- [ ] Second" in body
    assert "## Checklist" in body and body.endswith("Solo Unicorn mission `mission_01ABC`")


async def test_stage_flag_replaces_the_stage_name_rule(workspace: Workspace) -> None:
    from storage import flows

    stages = flows.parse_stage_spec("plan!,build!+")
    assert [flows.opens_pull_request(s) for s in stages] == [False, True]
    legacy = flows.parse_stage_spec("plan!,code!")
    assert [flows.opens_pull_request(s) for s in legacy] == [False, True]
    assert "opens_pull_request" not in legacy[1]  # flows made before the flag keep working
    flow = await flows.add_flow(workspace.db, workspace.project_id, "Build", stages)
    mission = await create_mission(
        workspace.db, workspace.project_id, MissionDraft("x", flow_id=flow.id)
    )
    assert await flows.stage_opens_pull_request(workspace.db, mission.id, "build")
    assert not await flows.stage_opens_pull_request(workspace.db, mission.id, "plan")
    repo = await _repo_link(workspace)
    named = await set_github_repository(workspace.db, repo, "acme", "widgets")
    assert (named.github_owner, named.github_name) == ("acme", "widgets")


async def _repo_link(workspace: Workspace) -> str:
    from storage.repositories import link_repository

    link = await link_repository(
        workspace.db,
        workspace.project_id,
        workspace.identity.workstation_id,
        name="widgets",
        main_path="/tmp/none",
        default_branch="main",
    )
    return link.id
