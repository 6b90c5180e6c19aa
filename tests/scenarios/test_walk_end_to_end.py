"""Through the real runtime: a mission walks clarify → plan (rejected, then approved) → code
(PR opened against a local GitHub stand-in) → Done; a chain of three dispatches in order.

The agent is a script (``tests/support/stage_agent.py``) run by the runtime in the mission's git
worktree: it reads the stage from the prompt file the runtime wrote, reports the clarification
through the CLI, writes the mission documents and commits.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import git

from solo_unicorn_tui.runtime.agent_profiles import AgentProfile, AgentProfiles
from solo_unicorn_tui.runtime.core import Runtime
from solo_unicorn_tui.secrets import GITHUB_TOKEN, set_secret
from solo_unicorn_tui.workspace import Workspace
from storage import review
from storage.changes import ChangeWriter
from storage.dependencies import add_dependency
from storage.flows import add_flow, parse_stage_spec
from storage.missions import MissionDraft, create_mission, get_mission, list_events
from storage.models import ProjectRepository
from storage.repositories import link_repository
from storage.sessions import list_sessions
from tests.support.github_server import fake_github
from tests.support.runtime_fixtures import make_repo, script_profile

AGENT = Path(__file__).parents[1] / "support" / "stage_agent.py"
ROOT = Path(__file__).resolve().parents[2]


def _stage_agent() -> AgentProfile:
    return AgentProfile(
        name="stage-agent",
        argv=[sys.executable, str(AGENT), "{prompt_file}", "{mission_id}"],
        timeout_seconds=60,
        env={
            "PYTHONPATH": str(ROOT),
            "GIT_AUTHOR_NAME": "agent",
            "GIT_AUTHOR_EMAIL": "agent@example.com",
            "GIT_COMMITTER_NAME": "agent",
            "GIT_COMMITTER_EMAIL": "agent@example.com",
        },
    )


async def _runtime(
    ws: Workspace, main: Path, profile: AgentProfile, github_api_url: str | None = None
) -> tuple[Runtime, str]:
    link = await link_repository(
        ws.db,
        ws.project_id,
        ws.identity.workstation_id,
        name="app",
        main_path=str(main),
        default_branch="main",
    )
    async with ws.db.write() as conn:
        await ChangeWriter(ws.db, conn).update(
            ProjectRepository.__table__,
            link.id,
            {"github_owner": "acme", "github_name": "widgets"},
        )
    profiles = AgentProfiles.load(ws.home)
    profiles.add(profile, make_default=True)
    settings = ws.settings
    if github_api_url is not None:
        settings = settings.model_copy(update={"github_api_url": github_api_url})
    runtime = Runtime(
        db=ws.db,
        home=ws.home,
        settings=settings,
        workstation_id=ws.identity.workstation_id,
        project_id=ws.project_id,
        workspace_dir=Path(ws.workspace_dir),
        profiles=profiles,
        poll_seconds=0.2,
    )
    return runtime, link.id


async def _prompts(ws: Workspace, mission_id: str) -> list[str]:
    sessions = await list_sessions(ws.db, mission_id=mission_id)
    ordered = sorted(sessions, key=lambda s: s.started_at)
    return [Path(s.prompt_path).read_text(encoding="utf-8") for s in ordered if s.prompt_path]


async def test_walk_through_the_runtime(workspace: Workspace, tmp_path: Path) -> None:
    bare = tmp_path / "remote.git"
    git.Repo.init(bare, bare=True, initial_branch="main")
    main = make_repo(tmp_path / "main")
    git.Repo(main).create_remote("origin", str(bare)).push("main")

    with fake_github() as server:
        set_secret(GITHUB_TOKEN, server.token)
        runtime, repo_id = await _runtime(workspace, main, _stage_agent(), server.url)
        mission = await create_mission(
            workspace.db,
            workspace.project_id,
            MissionDraft("Add search", ready=True, repository_id=repo_id, pr_mode="enabled"),
        )
        mid = mission.id

        # clarify (no review) runs, then plan (review): one dispatch runs both.
        ended = await runtime.run_once()
        assert [e.status for e in ended] == ["completed", "completed"]
        m = await get_mission(workspace.db, mid)
        assert (m.list, m.stage, m.review_status) == ("review", "plan", "pending")
        assert m.clarification == "Search titles only."
        assert [t["title"] for t in m.tasks or []] == ["Index titles", "Query and rank"]
        assert "Add a search box." in (m.solution or "")

        await review.reject_mission(workspace.db, mid, "Split task 2 into query and ranking.")
        await runtime.run_once()
        prompts = await _prompts(workspace, mid)
        assert len(prompts) == 3
        assert "Split task 2 into query and ranking." in prompts[2]
        assert "Search titles only." in prompts[2]
        assert "Split task 2" not in prompts[1]
        m = await get_mission(workspace.db, mid)
        assert (m.list, m.stage) == ("review", "plan")
        assert [t["title"] for t in m.tasks or []] == ["Index titles", "Query", "Rank"]
        assert m.review_feedback == "Split task 2 into query and ranking."

        await review.approve_mission(workspace.db, mid)
        await runtime.run_once()
        m = await get_mission(workspace.db, mid)
        assert (m.list, m.stage, m.github_pr_number, m.last_error) == ("review", "code", 7, None)
        assert "Review feedback" not in (await _prompts(workspace, mid))[3]
        created = [r for r in server.requests if r["method"] == "POST"]
        assert created and created[0]["body"]["base"] == "main"
    branch = created[0]["body"]["head"]
    assert "search.py" in git.Repo(bare).git.ls_tree("-r", branch, "--name-only")

    done = await review.approve_mission(workspace.db, mid)
    assert (done.list, done.github_pr_number) == ("done", 7)
    kinds = [e.kind for e in await list_events(workspace.db, mid)]
    assert kinds.count("session_completed") == 4 and kinds[-1] == "done"
    # every stage ran in the one worktree of the mission
    sessions = await list_sessions(workspace.db, mission_id=mid)
    assert len({s.working_directory for s in sessions}) == 1


async def test_pr_api_error_keeps_the_mission_in_review(
    workspace: Workspace, tmp_path: Path
) -> None:
    bare = tmp_path / "remote.git"
    git.Repo.init(bare, bare=True, initial_branch="main")
    main = make_repo(tmp_path / "main")
    git.Repo(main).create_remote("origin", str(bare)).push("main")
    with fake_github() as server:
        set_secret(GITHUB_TOKEN, "a-wrong-token")
        runtime, repo_id = await _runtime(workspace, main, _stage_agent(), server.url)
        mission = await create_mission(
            workspace.db,
            workspace.project_id,
            MissionDraft(
                "Ship it", ready=True, repository_id=repo_id, pr_mode="enabled", stage="code"
            ),
        )
        ended = await runtime.run_once()
    assert [e.status for e in ended] == ["completed"]
    m = await get_mission(workspace.db, mission.id)
    assert (m.list, m.stage, m.github_pr_number) == ("review", "code", None)
    assert m.last_error is not None and "Bad credentials" in m.last_error
    assert "\n" not in m.last_error
    # nothing is lost: the branch was pushed before the API refused, the worktree keeps the work
    pushed = [h.name for h in git.Repo(bare).heads if h.name != "main"]
    assert len(pushed) == 1
    assert "search.py" in git.Repo(bare).git.ls_tree("-r", pushed[0], "--name-only")


async def test_dependency_chain_runs_in_order(workspace: Workspace, tmp_path: Path) -> None:
    """Three missions, each blocked by the one before: the runtime runs them one after another,
    even though the last has the highest priority."""
    main = make_repo(tmp_path / "main")
    runtime, repo_id = await _runtime(workspace, main, script_profile("commit"))
    one_stage = await add_flow(workspace.db, workspace.project_id, "just code", ["code"])
    ids = {}
    for title, priority in (("first", 1), ("second", 3), ("third", 5)):
        draft = MissionDraft(
            title, ready=True, priority=priority, repository_id=repo_id, flow_id=one_stage.id
        )
        ids[title] = (await create_mission(workspace.db, workspace.project_id, draft)).id
    await add_dependency(workspace.db, ids["third"], ids["second"])
    await add_dependency(workspace.db, ids["second"], ids["first"])

    ended = await runtime.run_once()
    titles = {v: k for k, v in ids.items()}
    assert [titles[e.mission_id] for e in ended] == ["first", "second", "third"]
    assert all(e.status == "completed" for e in ended)
    for mission_id in ids.values():
        assert (await get_mission(workspace.db, mission_id)).list == "done"


async def test_github_review_comes_back_as_feedback_and_the_merge_finishes(
    workspace: Workspace, tmp_path: Path
) -> None:
    """Done-when of issue 16: PR mode from the project default, an opened PR, GitHub review
    comments as the next session's feedback (in its prompt file), the merge moves it to Done."""
    from solo_unicorn_tui.runtime.github import pr_refresh
    from solo_unicorn_tui.runtime.github.client import client_from_settings
    from storage.project_pr_settings import update_pr_settings
    from storage.pull_requests import pull_request_for_mission

    bare = tmp_path / "remote.git"
    git.Repo.init(bare, bare=True, initial_branch="main")
    main = make_repo(tmp_path / "main")
    git.Repo(main).create_remote("origin", str(bare)).push("main")
    await update_pr_settings(workspace.db, workspace.project_id, pr_mode_default="auto")
    with fake_github() as server:
        set_secret(GITHUB_TOKEN, server.token)
        runtime, repo_id = await _runtime(workspace, main, _stage_agent(), server.url)
        flow = await add_flow(
            workspace.db, workspace.project_id, "ship", parse_stage_spec("build!+")
        )
        mission = await create_mission(
            workspace.db,
            workspace.project_id,
            MissionDraft("Add search", ready=True, repository_id=repo_id, flow_id=flow.id),
        )
        assert mission.pr_mode == "auto"
        await runtime.run_once()
        m = await get_mission(workspace.db, mission.id)
        assert (m.list, m.github_pr_number, m.last_error) == ("review", 7, None)

        server.review(7, "carol", "CHANGES_REQUESTED", "Handle empty queries.")
        server.file_comment(7, "carol", "search.py", 2, "Return a list of matches.")
        assert await runtime.refresh_pull_requests_if_due(every=timedelta(0)) == 1
        pr = await pull_request_for_mission(workspace.db, mission.id)
        assert pr is not None and pr.review_status == "changes_requested"
        feedback = await pr_refresh.github_feedback(workspace.db, mission.id)
        assert feedback is not None
        await review.reject_mission(workspace.db, mission.id, feedback)

        await runtime.run_once()
        prompts = await _prompts(workspace, mission.id)
        assert len(prompts) == 2
        assert "search.py:2 (carol):\n> Return a list of matches." in prompts[1]
        m = await get_mission(workspace.db, mission.id)
        assert (m.list, m.github_pr_number, m.last_error) == ("review", 7, None)
        assert len([r for r in server.requests if r["method"] == "POST"]) == 1
        assert "# review addressed" in git.Repo(bare).git.show(f"{pr.source_branch}:search.py")

        async with client_from_settings(server.url) as client:
            await pr_refresh.merge_pull_request(workspace.db, mission.id, client)
    done = await get_mission(workspace.db, mission.id)
    assert done.list == "done"
    kinds = [e.kind for e in await list_events(workspace.db, mission.id)]
    assert "pr_pushed" in kinds and kinds[-1] == "pr_merged"
