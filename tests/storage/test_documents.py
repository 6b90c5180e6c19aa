"""Mission documents read back from a real git worktree, and the agent's CLI reports."""

from __future__ import annotations

import json
from pathlib import Path

import git
import pytest

from solo_unicorn_tui.workspace import Workspace
from storage import documents
from storage.errors import ValidationError
from storage.missions import MissionDraft, create_mission, get_mission, list_events


def _repo_with_worktree(tmp_path: Path) -> Path:
    main = tmp_path / "repo"
    repo = git.Repo.init(main, initial_branch="main")
    (main / "README.md").write_text("hello\n")
    repo.index.add(["README.md"])
    repo.index.commit("init")
    worktree = tmp_path / "wt"
    repo.git.worktree("add", "-b", "solo-unicorn/abc-docs", str(worktree))
    return worktree


async def test_documents_read_back_from_worktree(workspace: Workspace, tmp_path: Path) -> None:
    mission = await create_mission(workspace.db, workspace.project_id, MissionDraft("Docs"))
    worktree = _repo_with_worktree(tmp_path)
    folder = worktree / documents.mission_docs_dir(mission.id)
    (folder / "tasks").mkdir(parents=True)
    (folder / "solution.md").write_bytes(b"# Plan\n\nUse \xff bytes \x1b[31m here.\n")
    for n, text in ((10, "# Ten\nlast"), (2, "## Two\nsecond"), (1, "First task")):
        (folder / "tasks" / f"{n}.md").write_text(text)
    (folder / "tasks" / "notes.txt").write_text("ignored")

    stored = await documents.sync_documents_from_worktree(workspace.db, mission.id, worktree)
    assert stored.solution == "# Plan\n\nUse \ufffd bytes \ufffd[31m here.\n"
    assert stored.solution_path == f"solo-unicorn-docs/missions/{mission.id}/solution.md"
    assert [(t["number"], t["title"]) for t in stored.tasks or []] == [
        (1, "First task"),
        (2, "Two"),
        (10, "Ten"),
    ]
    assert stored.tasks_path == f"solo-unicorn-docs/missions/{mission.id}/tasks"
    assert [(e.kind, e.origin) for e in await list_events(workspace.db, mission.id)][-1] == (
        "documents",
        "agent",
    )

    (folder / "solution.md").write_text("x" * (documents.DOC_MAX_CHARS + 500))
    cut = await documents.sync_documents_from_worktree(workspace.db, mission.id, worktree)
    assert len(cut.solution or "") == documents.DOC_MAX_CHARS
    assert (cut.solution or "").endswith(documents.TRUNCATED_NOTE)

    empty = documents.read_mission_documents(tmp_path / "repo", mission.id)
    assert empty.empty


def test_split_tasks() -> None:
    md = "Intro line\n## Add model\nbody a\n### detail\n## Add CLI\nbody b\n"
    assert [t["title"] for t in documents.split_tasks(md)] == ["Add model", "Add CLI"]
    listed = documents.split_tasks("1. write tests\n   more\n2. fix bug\n")
    assert [(t["number"], t["text"]) for t in listed] == [(1, "write tests\nmore"), (2, "fix bug")]
    as_json = documents.split_tasks(json.dumps(["one", {"title": "two", "text": "body"}]))
    assert [t["title"] for t in as_json] == ["one", "two"]
    with pytest.raises(ValidationError, match="not valid JSON"):
        documents.split_tasks("[1, 2")
    with pytest.raises(ValidationError, match="empty"):
        documents.split_tasks("  \n")
    with pytest.raises(ValidationError, match="is not a mission id"):
        documents.mission_docs_dir("../etc")


def test_cli_reports_documents_from_worktree(home, cli, tmp_path: Path) -> None:
    created = json.loads(cli("mission", "add", "--title", "Report", "--json").stdout)
    worktree = _repo_with_worktree(tmp_path)
    solution = worktree / "solution.md"
    solution.write_text("# Approach\nDo it.\n")
    tasks = worktree / "tasks.md"
    tasks.write_text("# One\na\n# Two\nb\n")
    result = cli(
        "mission",
        "update",
        created["id"],
        "--solution-file",
        str(solution),
        "--tasks-file",
        str(tasks),
        "--clarification",
        "Only the CLI.",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["solution"] == "# Approach\nDo it.\n"
    assert [t["title"] for t in data["tasks"]] == ["One", "Two"]
    assert data["clarification"] == "Only the CLI."

    huge = tmp_path / "huge.md"
    huge.write_text("y" * (documents.DOC_MAX_CHARS * 4 + 10))
    bad = cli("mission", "update", created["id"], "--solution-file", str(huge), "--title", "Z")
    assert bad.returncode == 1
    assert bad.stderr.count("\n") == 1 and "limit" in bad.stderr and "Traceback" not in bad.stderr
    missing = cli("mission", "update", created["id"], "--tasks-file", str(tmp_path / "nope.md"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr
    shown = json.loads(cli("mission", "show", created["id"], "--json").stdout)
    assert shown["title"] == "Report"
    assert shown["solution"] == "# Approach\nDo it.\n"


async def test_store_rejects_nothing_on_unknown_mission(workspace: Workspace) -> None:
    from storage.errors import NotFoundError

    with pytest.raises(NotFoundError):
        await documents.store_mission_documents(workspace.db, "mission_nope", solution="x")
    mission = await create_mission(workspace.db, workspace.project_id, MissionDraft("T"))
    assert (await get_mission(workspace.db, mission.id)).solution is None


async def test_unchanged_documents_write_nothing(workspace: Workspace, tmp_path: Path) -> None:
    mission = await create_mission(workspace.db, workspace.project_id, MissionDraft("Same"))
    folder = tmp_path / documents.mission_docs_dir(mission.id)
    folder.mkdir(parents=True)
    (folder / "solution.md").write_text("Plan.\n")
    await documents.sync_documents_from_worktree(workspace.db, mission.id, tmp_path)
    events = len(await list_events(workspace.db, mission.id))
    await documents.sync_documents_from_worktree(workspace.db, mission.id, tmp_path)
    assert len(await list_events(workspace.db, mission.id)) == events
