"""Agents ask, people answer (issue 17 item 4), through the real runtime: a script agent asks
with ``solo-unicorn mission ask`` from its worktree (or leaves a question document), the mission
parks in Review marked "question", a person answers with ``mission answer``, and the answer is
in the next prompt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from solo_unicorn_tui.workspace import Workspace
from storage import missions as ops
from storage import questions, review
from storage.errors import ConflictError
from storage.sessions import list_sessions
from tests.conftest import run_cli
from tests.support.runtime_fixtures import linked_runtime, make_repo, script_profile


async def test_an_agents_question_parks_the_mission_and_the_answer_reaches_the_next_prompt(
    workspace: Workspace, tmp_path: Path
) -> None:
    db = workspace.db
    profile = script_profile("ask", extra="Tabs or spaces?")
    runtime = await linked_runtime(workspace, make_repo(tmp_path / "repo"), profile)
    mission = await ops.create_mission(
        db, workspace.project_id, ops.MissionDraft(title="Format the code", ready=True)
    )

    [asked] = await runtime.run_once()
    assert asked.status == "completed"
    parked = await ops.get_mission(db, mission.id)
    assert (parked.list, parked.stage, parked.review_status) == ("review", "clarify", "question")
    assert parked.ready and parked.claimed_by_workstation_id is None
    assert await runtime.run_once() == []  # nothing runs while the question is open
    with pytest.raises(ConflictError, match="waits for an answer"):
        await review.approve_mission(db, mission.id)

    answered = run_cli("mission", "answer", mission.id[-6:], "--text", "Tabs.\nAlways tabs.")
    assert answered.returncode == 0, answered.stderr
    thread = json.loads(run_cli("mission", "thread", mission.id, "--json").stdout)
    assert [(m["kind"], m["author"], m["text"]) for m in thread] == [
        ("question", "script", "Tabs or spaces?"),
        ("answer", (await questions.thread(db, mission.id))[1].author_name, "Tabs.\nAlways tabs."),
    ]

    ended = await runtime.run_once()  # clarify again, with the answer; then plan → Review
    assert [e.status for e in ended] == ["completed", "completed"]
    sessions = await list_sessions(db, mission_id=mission.id)
    second_clarify = sessions[1]
    assert second_clarify.stage == "clarify"
    prompt = Path(second_clarify.prompt_path or "").read_text()
    assert "Tabs or spaces?" in prompt and "> Tabs.\n> Always tabs." in prompt
    assert "Your question has been answered" in prompt
    moved = await ops.get_mission(db, mission.id)
    assert (moved.list, moved.stage, moved.review_status) == ("review", "plan", "pending")


async def test_a_question_document_parks_the_mission_once(
    workspace: Workspace, tmp_path: Path
) -> None:
    db = workspace.db
    profile = script_profile("ask-doc", extra="Which database?")
    runtime = await linked_runtime(workspace, make_repo(tmp_path / "repo"), profile)
    draft = ops.MissionDraft(title="Store it", ready=True)
    mission = await ops.create_mission(db, workspace.project_id, draft)

    await runtime.run_once()
    parked = await ops.get_mission(db, mission.id)
    assert (parked.list, parked.stage, parked.review_status) == ("review", "clarify", "question")
    await questions.answer_question(db, mission.id, "SQLite.")
    await runtime.run_once()  # the document is still in the worktree: not asked again
    thread = await questions.thread(db, mission.id)
    assert [(m.kind, m.body) for m in thread] == [
        ("question", "Which database?"),
        ("answer", "SQLite."),
    ]
    moved = await ops.get_mission(db, mission.id)
    assert (moved.list, moved.stage) == ("review", "plan")
