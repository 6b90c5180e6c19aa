"""What each MCP tool does, apart from the protocol: checks, the domain write, the answer.

Every function takes the server's :class:`Binding` (one replica, one project, and for a
session one mission) and refuses anything outside it with :class:`ToolRefused`. Input is
checked by the same functions the CLI uses (``storage.validation``, ``storage.documents``), so
a tool error reads like the CLI's one-line message. Writes go through the storage functions
with origin ``agent``, so they sync like any edit. Nothing here imports the MCP SDK
(:mod:`solo_unicorn_tui.mcp.server` does), and nothing runs a command.
"""

from __future__ import annotations

import json
from typing import Any

from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.mcp.binding import Binding
from storage import agent_tools, dependencies, documents, validation
from storage import missions as ops
from storage.database import Database
from storage.errors import NotFoundError, ValidationError
from storage.mission_context import mission_context as load_context
from storage.mission_context import prompt_sections
from storage.models import Mission

SHOWN_EVENTS = 50


class ToolRefused(UserError):
    """The call names something outside what this server is bound to."""


async def bind(db: Database, project_id: str, mission: str | None) -> Binding:
    """The binding for a server of ``project_id`` (and, for a session, of ``mission``).

    A session's mission decides the project (the runner may start agents of any project).
    """
    from storage.identity import get_project

    mission_id = None
    if mission:
        mission_id = await ops.resolve_mission_id(db, mission)
        project_id = (await ops.get_mission(db, mission_id)).project_id
    project = await get_project(db, project_id)
    return Binding(db, project.id, project.name, mission_id)


async def _in_project(binding: Binding, ident: str) -> Mission:
    """The mission ``ident`` names (full id or unique suffix), if it is in this project."""
    if not isinstance(ident, str) or not ident.strip():
        raise ValidationError("mission_id", "must be a mission id like 01J…")
    try:
        mission_id = await ops.resolve_mission_id(binding.db, ident)
    except NotFoundError:
        raise ToolRefused(
            f"no mission {ident.strip()!r} in project {binding.project_name!r} "
            "(list them with list_missions)"
        ) from None
    mission = await ops.get_mission(binding.db, mission_id)
    if mission.project_id != binding.project_id:
        # The same words as for a missing one: other projects are not even confirmed to exist.
        raise ToolRefused(
            f"no mission {ident.strip()!r} in project {binding.project_name!r} "
            "(this server serves that project only)"
        )
    return mission


async def _target(binding: Binding, mission_id: str | None, action: str) -> Mission:
    """The mission a writing tool acts on: the bound one, and no other."""
    if binding.mission_id is None:
        if not mission_id:
            raise ValidationError(
                "mission_id", f"this server is not bound to a mission; name the mission to {action}"
            )
        return await _in_project(binding, mission_id)
    if mission_id:
        named = await _in_project(binding, mission_id)
        if named.id != binding.mission_id:
            raise ToolRefused(
                f"this session may only {action} its own mission {binding.mission_id}, "
                f"not {named.id}"
            )
    return await ops.get_mission(binding.db, binding.mission_id)


def _summary(mission: Mission) -> dict[str, Any]:
    return {
        "id": mission.id,
        "title": mission.title,
        "list": mission.list,
        "stage": mission.stage,
        "priority": mission.priority,
        "ready": mission.ready,
        "origin": mission.origin,
    }


async def mission_context(binding: Binding, mission_id: str | None = None) -> str:
    """The mission as its prompt shows it (stage and instructions, memory, documents, feedback),
    plus what blocks it."""
    if mission_id:
        mission = await _in_project(binding, mission_id)
    elif binding.mission_id is not None:
        mission = await ops.get_mission(binding.db, binding.mission_id)
    else:
        raise ValidationError("mission_id", "this server is not bound to a mission; name one")
    from solo_unicorn_tui.mcp.wiring import tools_prompt

    context = await load_context(binding.db, mission.id)
    sections = prompt_sections(context, tools_note=tools_prompt())
    if context.blockers:
        sections.append(
            (
                "Blocked by",
                "\n".join(f"- {m.id} [{m.list}] {m.title}" for m in context.blockers),
            )
        )
    sections.insert(
        1,
        (
            "Board",
            f"Project: {binding.project_name}\nList: {mission.list}\n"
            f"Priority: {mission.priority}\nReady: {'yes' if mission.ready else 'no'}",
        ),
    )
    return "\n\n".join(f"## {heading}\n\n{body}" for heading, body in sections) + "\n"


def _stored(mission: Mission, what: str) -> str:
    return f"stored the {what} of mission {mission.id} ({mission.title[:80]})"


async def report_solution(binding: Binding, text: str, mission_id: str | None = None) -> str:
    checked = validation.long_text(text, "solution", documents.DOC_MAX_CHARS)
    if checked is None or not checked.strip():
        raise ValidationError("solution", "must not be empty; send the solution as markdown")
    mission = await _target(binding, mission_id, "report the solution of")
    await documents.store_mission_documents(binding.db, mission.id, solution=checked)
    return _stored(mission, "solution")


async def report_tasks(
    binding: Binding, tasks: str | list[Any], mission_id: str | None = None
) -> str:
    """``tasks``: markdown (split at headings or list items), or a list of texts or
    ``{"title", "text"}`` objects; split and checked as ``mission update --tasks-file`` does."""
    if isinstance(tasks, list):
        text = json.dumps(tasks)
    elif isinstance(tasks, str):
        text = tasks
    else:
        raise ValidationError("tasks", "must be markdown text or a list of tasks")
    if len(text) > documents.DOC_MAX_CHARS:
        raise ValidationError(
            "tasks", f"is {len(text):,} characters; the limit is {documents.DOC_MAX_CHARS:,}"
        )
    split = documents.split_tasks(text)
    mission = await _target(binding, mission_id, "report the tasks of")
    await documents.store_mission_documents(binding.db, mission.id, tasks=split)
    return _stored(mission, f"{len(split)} tasks")


async def report_clarification(binding: Binding, text: str, mission_id: str | None = None) -> str:
    checked = validation.long_text(text, "clarification")
    if checked is None or not checked.strip():
        raise ValidationError("clarification", "must not be empty")
    mission = await _target(binding, mission_id, "report the clarification of")
    await documents.store_mission_documents(binding.db, mission.id, clarification=checked)
    return _stored(mission, "clarification")


async def ask_question(binding: Binding, question: str, mission_id: str | None = None) -> str:
    """Ask a person and park the mission in Review until they answer (:mod:`storage.questions`)."""
    from storage import questions

    mission = await _target(binding, mission_id, "ask a question about")
    await questions.ask_question(binding.db, mission.id, question, origin="agent")
    return (
        f"asked about mission {mission.id}; it waits in Review for a person's answer. End your "
        "session now: the answer comes in the next prompt of this stage."
    )


async def propose_mission(
    binding: Binding,
    title: str,
    description: str | None = None,
    priority: int = 3,
    mission_id: str | None = None,
) -> dict[str, Any]:
    source = await _target(binding, mission_id, "propose follow-ups from")
    created = await agent_tools.propose_mission(
        binding.db, source.id, title=title, description=description, priority=priority
    )
    return {
        **_summary(created),
        "proposed_by": source.id,
        "note": "created in Todo, not ready: a person triages it before any agent works on it",
    }


async def list_missions(
    binding: Binding, list: str | None = None, limit: int = 50, after: str | None = None
) -> dict[str, Any]:
    page, next_after = await agent_tools.missions_page(
        binding.db, binding.project_id, list_name=list, limit=limit, after=after
    )
    return {
        "project": binding.project_name,
        "missions": [_summary(m) for m in page],
        "next_after": next_after,
    }


async def show_mission(binding: Binding, mission_id: str) -> dict[str, Any]:
    mission = await _in_project(binding, mission_id)
    data = ops.mission_to_json(mission)
    data["blocked_by"] = [m.id for m in await dependencies.blockers(binding.db, mission.id)]
    events = await ops.list_events(binding.db, mission.id)
    data["events"] = [
        {"kind": e.kind, "origin": e.origin, "summary": e.summary, "at": e.created_at.isoformat()}
        for e in events[-SHOWN_EVENTS:]
    ]
    return data


async def solution_document(binding: Binding) -> str:
    """The bound mission's solution (markdown), or a line saying there is none yet."""
    assert binding.mission_id is not None
    mission = await ops.get_mission(binding.db, binding.mission_id)
    return mission.solution or f"(mission {mission.id} has no solution yet)\n"


async def tasks_document(binding: Binding) -> str:
    """The bound mission's tasks as markdown, each under its own ``## Task N`` heading."""
    assert binding.mission_id is not None
    mission = await ops.get_mission(binding.db, binding.mission_id)
    if not mission.tasks:
        return f"(mission {mission.id} has no tasks yet)\n"
    parts = []
    for position, task in enumerate(mission.tasks, start=1):
        if isinstance(task, dict):
            done = " (done)" if task.get("done") else ""
            parts.append(
                f"## Task {task.get('number', position)}{done}\n\n{task.get('text') or ''}"
            )
        else:
            parts.append(f"## Task {position}\n\n{task}")
    return "\n\n".join(parts) + "\n"
