"""The question loop's rules in storage: a question keeps the mission parked whatever its session
does, one answer covers the questions before it, ``mission show`` says it waits, and the thread
reaches the prompt."""

from __future__ import annotations

import asyncio
import json

import pytest

from solo_unicorn_tui.workspace import Workspace
from storage import missions as ops
from storage import questions
from storage import sessions as session_ops
from storage.errors import ConflictError, ValidationError
from storage.mission_context import mission_context, render_prompt
from storage.sessions import SessionOutcome
from storage.types import utcnow
from tests.support.inprocess_cli import in_process


async def test_a_question_outlasts_a_failed_session_and_one_answer_closes_all(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    db = workspace.db
    made = await ops.create_mission(db, workspace.project_id, ops.MissionDraft(title="Q"))
    claimed = await session_ops.claim_mission(
        db, made.id, workspace.identity.workstation_id, lease_seconds=600, code_agent_name="bot"
    )
    session = await session_ops.create_session(
        db,
        claimed,
        code_agent_type="command",
        code_agent_name="bot",
        stage=claimed.stage,
        worktree_id=None,
        working_directory=None,
        log_path="x.log",
        prompt_path=None,
        start_reason="test",
    )
    await questions.ask_question(db, made.id, "First?")
    await questions.ask_question(db, made.id, "Second?\nWith detail.")
    cli = in_process(capsys)
    shown = await asyncio.to_thread(cli, "mission", "show", made.id)
    assert "2 message(s), waiting for an answer; last from bot: Second? ⏎ With detail." in (
        shown.stdout
    )
    data = json.loads((await asyncio.to_thread(cli, "mission", "show", made.id, "--json")).stdout)
    assert [(m["kind"], m["author"]) for m in data["messages"]] == [("question", "bot")] * 2
    outcome = SessionOutcome("failed", 3, utcnow(), 1.0, "exit 3", error_message="exit 3")
    ended = await session_ops.finish_session(db, session.id, outcome, max_recovery_attempts=3)
    assert (ended.list, ended.review_status, ended.recovery_attempts) == ("review", "question", 0)
    assert ended.claimed_by_workstation_id is None

    answered = await questions.answer_question(db, made.id, "Both: yes.")
    assert (answered.list, answered.review_status) == ("todo", "answered")
    thread = await questions.thread(db, made.id)
    assert [(m.kind, m.author_name) for m in thread][:2] == [("question", "bot")] * 2
    assert questions.open_questions(thread) == []
    with pytest.raises(ConflictError, match="no open question"):
        await questions.answer_question(db, made.id, "again")

    prompt = render_prompt(await mission_context(db, made.id))
    assert "> Second?\n> With detail." in prompt and "> Both: yes." in prompt
    assert "Your question has been answered" in prompt


async def test_questions_are_checked_like_any_text(workspace: Workspace) -> None:
    db = workspace.db
    made = await ops.create_mission(
        db, workspace.project_id, ops.MissionDraft(title="Done", list="done")
    )
    with pytest.raises(ValidationError, match="question: must not be empty"):
        await questions.ask_question(db, made.id, "  ")
    with pytest.raises(ValidationError, match="control characters"):
        await questions.ask_question(db, made.id, "a\x1b[2Jb")
    with pytest.raises(ConflictError, match="is done"):
        await questions.ask_question(db, made.id, "Too late?")
    assert await questions.thread(db, made.id) == []
