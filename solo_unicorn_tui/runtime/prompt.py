"""The prompt an agent gets for one stage of a mission, written to a file next to its log."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class PromptContext:
    mission_id: str
    title: str
    stage: str
    stage_instructions: str | None = None
    description: str | None = None
    clarification: str | None = None
    solution: str | None = None
    tasks: list[Any] = field(default_factory=list)
    review_feedback: str | None = None
    last_error: str | None = None
    project_name: str | None = None
    project_memory: str | None = None
    actor_name: str | None = None
    actor_prompt: str | None = None
    actor_methodology: str | None = None
    branch: str | None = None
    docs_dir: str | None = None


def _section(title: str, body: str | None) -> list[str]:
    text = (body or "").strip()
    return [f"## {title}", "", text, ""] if text else []


def _task_line(index: int, task: Any) -> str:
    if isinstance(task, dict):
        label = task.get("title") or task.get("name") or task.get("description") or str(task)
        done = " (done)" if task.get("done") else ""
        return f"{index}. {label}{done}"
    return f"{index}. {task}"


def build_prompt(ctx: PromptContext) -> str:
    lines = [f"# Mission: {ctx.title}", ""]
    lines += [f"Mission id: {ctx.mission_id}", f"Stage: {ctx.stage}"]
    if ctx.branch:
        lines.append(f"Branch: {ctx.branch} (you are in its worktree; commit your work here)")
    if ctx.docs_dir:
        lines.append(f"Mission documents: {ctx.docs_dir}/ (solution.md, tasks/N.md)")
    lines.append("")
    if ctx.actor_name or ctx.actor_prompt:
        lines += _section(
            f"Your role: {ctx.actor_name or 'agent'}",
            "\n\n".join(t for t in (ctx.actor_prompt, ctx.actor_methodology) if t),
        )
    lines += _section(f"Project memory ({ctx.project_name or 'project'})", ctx.project_memory)
    lines += _section(f"Stage {ctx.stage}: what to do now", ctx.stage_instructions)
    lines += _section("Description", ctx.description)
    lines += _section("Clarification", ctx.clarification)
    lines += _section("Solution so far", ctx.solution)
    if ctx.tasks:
        lines += _section(
            "Tasks", "\n".join(_task_line(i, t) for i, t in enumerate(ctx.tasks, start=1))
        )
    lines += _section(
        "Review feedback to address (the reviewer rejected the last attempt)", ctx.review_feedback
    )
    lines += _section("The previous attempt failed with", ctx.last_error)
    return "\n".join(lines).rstrip() + "\n"


def write_prompt(path: Path, ctx: PromptContext) -> str:
    text = build_prompt(ctx)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    return text
