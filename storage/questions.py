"""Agents ask, people answer (seed 003 clarification messages): the mission's thread.

:func:`ask_question` records an agent's question as a message and parks the mission in Review
marked ``review_status = "question"``; the session that asked may carry on, and when it ends the
mission stays parked (:func:`storage.sessions.finish_session`). An agent may instead leave the
question in ``question.md`` of its documents folder (:func:`ask_from_document`, read after
the session). :func:`answer_question` records
the person's answer, sends the mission back to Todo on the same stage (``ready`` kept), and
the next prompt carries the thread (:mod:`storage.mission_context`), so the stage continues
with the answer. Messages are a replicated table, written like everything else through
:class:`~storage.changes.ChangeWriter`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import validation
from storage.changes import ChangeWriter
from storage.database import Database
from storage.documents import mission_docs_dir, read_lenient
from storage.errors import ConflictError, ValidationError
from storage.missions import Origin, apply_update, as_mission, end_of_list, fetch_mission
from storage.models import Mission, MissionMessage, User
from storage.types import utcnow

messages = MissionMessage.__table__
QUESTION = "question"
ANSWER = "answer"
ANSWERED = "answered"
MESSAGE_MAX = 20_000
#: The question document an agent may leave in its worktree instead of running ``mission ask``.
QUESTION_FILE = "question.md"
#: Questions one mission may hold: an agent in a loop cannot flood the thread.
MAX_QUESTIONS_PER_MISSION = 50


def _text(value: object, field: str) -> str:
    text = validation.long_text(value, field, MESSAGE_MAX)
    if text is None or not text.strip():
        raise ValidationError(field, "must not be empty")
    return text.strip()


async def thread_rows(conn: AsyncConnection, mission_id: str) -> list[MissionMessage]:
    query = (
        select(messages)
        .where(messages.c.mission_id == mission_id, messages.c.deleted.is_(False))
        .order_by(messages.c.created_at, messages.c.id)
    )
    return [MissionMessage(**dict(r)) for r in (await conn.execute(query)).mappings()]


async def thread(db: Database, mission_id: str) -> list[MissionMessage]:
    """The mission's messages, oldest first."""
    async with db.read() as conn:
        await fetch_mission(conn, mission_id)
        return await thread_rows(conn, mission_id)


def open_questions(found: list[MissionMessage]) -> list[MissionMessage]:
    """The questions asked since the last answer (one answer covers all before it)."""
    waiting: list[MissionMessage] = []
    for message in found:
        if message.kind == ANSWER:
            waiting = []
        elif message.kind == QUESTION:
            waiting.append(message)
    return waiting


async def ask_question(
    db: Database, mission_id: str, question: object, *, origin: Origin = "agent"
) -> Mission:
    """Record a question on the mission's thread and park the mission in Review for it."""
    text = _text(question, "question")
    async with db.write() as conn:
        current = await fetch_mission(conn, mission_id)
        if current["list"] == "done":
            raise ConflictError(
                f"mission {mission_id} is done; a question needs a mission still in progress"
            )
        found = await thread_rows(conn, mission_id)
        if sum(m.kind == QUESTION for m in found) >= MAX_QUESTIONS_PER_MISSION:
            raise ConflictError(
                f"mission {mission_id} already holds {MAX_QUESTIONS_PER_MISSION} questions; "
                "wait for the answers"
            )
        writer = ChangeWriter(db, conn)
        await _post(writer, current, QUESTION, text, origin=origin)
        fields = {"review_status": QUESTION, "review_requested_at": utcnow()}
        await _move_on(writer, current, fields, "review", f"asked: {text}", origin)
        return as_mission(await fetch_mission(conn, mission_id))


async def ask_from_document(db: Database, mission_id: str, worktree: Path | str) -> bool:
    """Ask the question an agent left in ``{docs}/question.md`` of its worktree, once: a text
    the thread already holds as a question is not asked again. True when it asked."""
    path = Path(worktree) / mission_docs_dir(mission_id) / QUESTION_FILE
    if not path.is_file():
        return False
    text = read_lenient(path, MESSAGE_MAX).strip()
    if not text:
        return False
    async with db.read() as conn:
        asked = {m.body for m in await thread_rows(conn, mission_id) if m.kind == QUESTION}
    if text in asked:
        return False
    await ask_question(db, mission_id, text, origin="agent")
    return True


async def _user_name(conn: AsyncConnection, user_id: str | None) -> str:
    if not user_id:
        return "someone"
    name = (
        await conn.execute(select(User.__table__.c.name).where(User.__table__.c.id == user_id))
    ).scalar_one_or_none()
    return name or "someone"


async def answer_question(
    db: Database, mission_id: str, answer: object, *, origin: Origin = "user"
) -> Mission:
    """Answer the mission's open questions (one message, after them); it goes back to Todo on
    the same stage."""
    text = _text(answer, "answer")
    async with db.write() as conn:
        current = await fetch_mission(conn, mission_id)
        waiting = open_questions(await thread_rows(conn, mission_id))
        if not waiting:
            raise ConflictError(
                f"mission {mission_id} has no open question; see 'solo-unicorn mission thread "
                f"{mission_id}'"
            )
        writer = ChangeWriter(db, conn)
        await _post(writer, current, ANSWER, text, origin=origin, parent=waiting[-1].id)
        fields = {
            "review_status": ANSWERED,
            "review_completed_at": utcnow(),
            "reviewed_by_user_id": db.user_id,
        }
        # Out of Review only: an answer to a mission someone already moved leaves it there.
        to_list = "todo" if current["list"] == "review" else current["list"]
        await _move_on(writer, current, fields, to_list, f"answered: {text}", origin)
        return as_mission(await fetch_mission(conn, mission_id))


async def _post(
    writer: ChangeWriter,
    mission: dict[str, Any],
    kind: str,
    text: str,
    *,
    origin: Origin,
    parent: str | None = None,
) -> None:
    """Add one message to the mission's thread, signed by the agent running it or this user."""
    agent = origin == "agent"
    user_id = None if agent else writer.db.user_id
    await writer.insert(
        messages,
        {
            "organization_id": mission["organization_id"],
            "mission_id": mission["id"],
            "kind": kind,
            "author_kind": "agent" if agent else "user",
            "author_user_id": user_id,
            "author_name": (mission["code_agent_name"] or "agent")
            if agent
            else await _user_name(writer.conn, user_id),
            "stage": mission["stage"],
            "body": text,
            "parent_message_id": parent,
        },
    )


async def _move_on(
    writer: ChangeWriter,
    mission: dict[str, Any],
    fields: dict[str, Any],
    to_list: str,
    summary: str,
    origin: Origin,
) -> None:
    """Set ``fields``, move the mission to the end of ``to_list`` and log one event."""
    if mission["list"] != to_list:
        fields = {
            **fields,
            "list": to_list,
            "list_order": await end_of_list(writer.conn, mission["project_id"], to_list),
        }
    kind = "question" if fields["review_status"] == QUESTION else "answered"
    await apply_update(
        writer, mission, fields, kind=kind, summary=summary.splitlines()[0][:130], origin=origin
    )
