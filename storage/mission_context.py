"""Everything a stage's prompt needs about a mission, gathered in one read.

The runtime writes each session's prompt file with :func:`render_prompt` (project memory, actor,
stage instructions, the mission text, documents so far, review feedback, the last failure);
:func:`prompt_sections` gives the same as ordered markdown sections, so the prompt and a review
screen agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage.actors import resolve_actor
from storage.database import Database
from storage.dependencies import blockers_query
from storage.documents import mission_docs_dir
from storage.flows import find_stage, resolve_flow, stage_after
from storage.missions import as_mission, fetch_mission
from storage.models import Actor, Flow, Mission, MissionMessage, Project
from storage.questions import QUESTION, thread_rows
from storage.rows import fetch_row


@dataclass(frozen=True)
class MissionContext:
    mission: Mission
    flow: Flow
    stage: dict[str, Any]
    """``{"name", "requires_review", "instructions"}`` of the mission's current stage."""
    next_stage: str | None
    actor: Actor | None
    memory: str
    review_feedback: str | None
    blockers: list[Mission]
    messages: tuple[MissionMessage, ...] = ()
    """The mission's thread: questions agents asked and people's answers, oldest first."""

    @property
    def docs_dir(self) -> str:
        return mission_docs_dir(self.mission.id)


async def mission_context(db: Database, mission_id: str) -> MissionContext:
    async with db.read() as conn:
        row = await fetch_mission(conn, mission_id)
        flow = await resolve_flow(conn, row)
        stage = find_stage(flow, row["stage"]) or {
            "name": row["stage"],
            "requires_review": False,
            "instructions": "",
        }
        actor = await resolve_actor(conn, row)
        project = await fetch_row(conn, Project.__table__, row["project_id"], "project")
        waiting = (await conn.execute(blockers_query(mission_id, unfinished_only=True))).mappings()
        blockers = [as_mission(r) for r in waiting]
        messages = tuple(await thread_rows(conn, mission_id))
    return MissionContext(
        mission=as_mission(row),
        flow=flow,
        stage=stage,
        next_stage=stage_after(flow, row["stage"]),
        actor=actor,
        memory=project["memory"] or "",
        review_feedback=row["review_feedback"],
        blockers=blockers,
        messages=messages,
    )


def _task_line(position: int, task: Any) -> str:
    if isinstance(task, dict):
        label = task.get("title") or task.get("text") or "(untitled)"
        return f"{task.get('number', position)}. {label}{' (done)' if task.get('done') else ''}"
    return f"{position}. {task}"


def shell_note(mission_id: str) -> str:
    """How an agent without the MCP server reports back and asks: ``solo-unicorn`` commands."""
    return (
        "To record a clarification (what you understood, questions answered), run "
        f"`solo-unicorn mission update {mission_id} --clarification TEXT`. If you cannot go on "
        f"without a person's answer, run `solo-unicorn mission ask {mission_id} --question "
        f"TEXT` (or write the question to `{mission_docs_dir(mission_id)}/question.md`) and end "
        "your session: the mission waits for the answer, which comes in the next prompt."
    )


def thread_text(messages: tuple[MissionMessage, ...] | list[MissionMessage]) -> str:
    """The thread as markdown: who said what, when, on which stage."""
    parts = []
    for message in messages:
        who = "Question" if message.kind == QUESTION else "Answer"
        when = f"{message.created_at:%Y-%m-%d %H:%M} UTC"
        parts.append(
            f"**{who}** from {message.author_name} ({message.stage or '?'} stage, {when}):\n\n"
            + "\n".join(f"> {line}" for line in message.body.splitlines())
        )
    return "\n\n".join(parts)


def commit_note(leftovers_committed: bool) -> str:
    """How the agent's work gets committed (agents in safe modes may not run git)."""
    if leftovers_committed:
        return "uncommitted work is committed for you when the session ends"
    return "commit your work here"


def prompt_sections(
    context: MissionContext,
    *,
    branch: str | None = None,
    tools_note: str | None = None,
    leftovers_committed: bool = True,
) -> list[tuple[str, str]]:
    """Ordered ``(heading, markdown)`` sections; empty ones are left out.

    ``branch`` is the worktree's branch when the runtime writes the prompt for a session.
    ``tools_note`` (``solo_unicorn_tui.mcp.wiring.tools_prompt``) replaces the line telling
    the agent to report through the shell, for sessions that have the MCP server.
    ``leftovers_committed`` is the profile's ``commit_leftovers``: the runner commits what the
    agent leaves uncommitted, so the prompt does not ask for git (a safe mode may forbid it).
    """
    mission = context.mission
    where = [f"Mission id: {mission.id}", f"Stage: {mission.stage}"]
    if branch:
        where.append(
            f"Branch: {branch} (you are in its worktree; {commit_note(leftovers_committed)})"
        )
    sections: list[tuple[str, str]] = [("Session", "\n".join(where))]
    if context.actor is not None:
        actor = context.actor
        lines = [actor.system_prompt or ""]
        if actor.methodology:
            lines.append(f"Methodology: {actor.methodology}")
        if actor.focus_areas:
            lines.append("Focus areas: " + ", ".join(actor.focus_areas))
        sections.append((f"Your role: {actor.name}", "\n\n".join(x for x in lines if x)))
    if context.memory.strip():
        sections.append(("Project memory", context.memory.strip()))
    text = [f"# {mission.title}", mission.description or ""]
    if mission.clarification:
        text.append("## Clarification\n\n" + mission.clarification)
    sections.append(("Mission", "\n\n".join(x for x in text if x)))
    stage = context.stage
    following = (
        f"After this stage comes {context.next_stage}."
        if context.next_stage
        else "This is the last stage."
    )
    review = (
        " A person reviews your work before the mission moves on."
        if stage["requires_review"]
        else ""
    )
    sections.append(
        (
            f"Stage: {stage['name']}",
            "\n\n".join(
                x
                for x in (
                    stage["instructions"],
                    f"Work on this stage only. {following}{review}",
                    f"Write the solution to `{context.docs_dir}/solution.md` and one file per "
                    f"task to `{context.docs_dir}/tasks/1.md`, `2.md`, … in this worktree.",
                    tools_note or shell_note(mission.id),
                )
                if x
            ),
        )
    )
    if context.review_feedback:
        sections.append(
            (
                "Review feedback to address",
                "Your previous attempt at this stage was sent back with this feedback:\n\n"
                + context.review_feedback,
            )
        )
    if context.messages:
        latest = context.messages[-1]
        note = (
            "\n\nYour question has been answered: continue this stage with the answer."
            if latest.kind != QUESTION
            else ""
        )
        sections.append(("Questions and answers", thread_text(context.messages) + note))
    if mission.solution:
        sections.append(("Solution so far", mission.solution))
    if mission.tasks:
        listed = "\n".join(_task_line(i, t) for i, t in enumerate(mission.tasks, start=1))
        sections.append(("Tasks so far", listed))
    if mission.last_error:
        sections.append(("The previous attempt failed with", mission.last_error))
    return sections


def render_prompt(
    context: MissionContext,
    *,
    branch: str | None = None,
    tools_note: str | None = None,
    leftovers_committed: bool = True,
) -> str:
    sections = prompt_sections(
        context, branch=branch, tools_note=tools_note, leftovers_committed=leftovers_committed
    )
    return "\n\n".join(f"## {heading}\n\n{body}" for heading, body in sections) + "\n"
