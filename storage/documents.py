"""Mission documents: ``solo-unicorn-docs/missions/{id}/solution.md`` and ``tasks/{n}.md``.

The agent writes them in its worktree; after a session they are read back into the mission row
(text and path), so the board shows them without touching the worktree. Reading never fails on
what an agent wrote: oversized files are cut (with a note), invalid UTF-8 and control characters
are replaced. Reporting through the CLI is strict instead (:func:`read_text_file`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.changes import ChangeWriter
from storage.database import Database
from storage.errors import ValidationError
from storage.missions import Origin, as_mission, fetch_mission, missions
from storage.models import Mission
from storage.types import utcnow
from storage.validation import DESCRIPTION_MAX

DOCS_ROOT = "solo-unicorn-docs/missions"
DOC_MAX_CHARS = DESCRIPTION_MAX
TASK_MAX_CHARS = 20_000
MAX_TASKS = 200
TRUNCATED_NOTE = "\n\n[… cut: the file is longer; read it in the repository]\n"
_TASK_FILE = re.compile(r"^(\d+)(?:[-_ .].*)?\.md$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^(?:\d+[.)]|[-*+])\s+(?:\[([ xX])\]\s+)?(.*)$")


@dataclass(frozen=True)
class MissionDocuments:
    solution: str | None
    solution_path: str | None
    tasks: list[dict[str, Any]] | None
    tasks_path: str | None

    @property
    def empty(self) -> bool:
        return self.solution is None and self.tasks is None


def mission_docs_dir(mission_id: str) -> str:
    """The documents folder of a mission, relative to the repository root."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", mission_id):
        raise ValidationError("mission id", f"{mission_id!r} is not a mission id")
    return f"{DOCS_ROOT}/{mission_id}"


def clean_text(text: str, limit: int) -> str:
    """Replace control characters (keeping newline and tab) and cut to ``limit`` characters."""
    text = text.replace("\r\n", "\n")
    text = "".join(
        "\ufffd" if unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t" else c for c in text
    )
    if len(text) > limit:
        text = text[: limit - len(TRUNCATED_NOTE)] + TRUNCATED_NOTE
    return text


def read_lenient(path: Path, limit: int) -> str:
    """A file an agent left: undecodable bytes and control characters replaced, cut to fit."""
    return _read_lenient(path, limit)


def _read_lenient(path: Path, limit: int) -> str:
    with path.open("rb") as handle:
        data = handle.read(limit * 4 + 1)
    return clean_text(data.decode("utf-8", errors="replace"), limit)


def _title_of(text: str, fallback: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        heading = _HEADING.match(line)
        title = heading.group(2) if heading else line
        return title[:200] or fallback
    return fallback


def task(number: int, text: str) -> dict[str, Any]:
    return {"number": number, "title": _title_of(text, f"Task {number}"), "text": text}


def read_mission_documents(worktree: Path | str, mission_id: str) -> MissionDocuments:
    """Read what the agent left in its worktree (missing files give None, not an error)."""
    folder = Path(worktree) / mission_docs_dir(mission_id)
    solution_file = folder / "solution.md"
    solution = solution_path = None
    if solution_file.is_file():
        solution = _read_lenient(solution_file, DOC_MAX_CHARS)
        solution_path = f"{mission_docs_dir(mission_id)}/solution.md"
    tasks = tasks_path = None
    tasks_dir = folder / "tasks"
    if tasks_dir.is_dir():
        numbered = []
        for entry in tasks_dir.iterdir():
            match = _TASK_FILE.match(entry.name)
            if match and entry.is_file():
                numbered.append((int(match.group(1)), entry.name, entry))
        numbered.sort()
        tasks = [
            task(number, _read_lenient(entry, TASK_MAX_CHARS))
            for number, _name, entry in numbered[:MAX_TASKS]
        ]
        tasks_path = f"{mission_docs_dir(mission_id)}/tasks"
    return MissionDocuments(solution, solution_path, tasks, tasks_path)


def read_text_file(path: Path | str, field: str, limit: int = DOC_MAX_CHARS) -> str:
    """Read a file a person or agent names on the command line; refuse what will not fit."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > limit * 4:
            raise ValidationError(
                field, f"{path} is {size:,} bytes; the limit is {limit:,} characters"
            )
        data = path.read_bytes()
    except OSError as error:
        raise ValidationError(field, f"cannot read {path}: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValidationError(
            field, f"{path} is not UTF-8 text (byte {error.start}); save it as UTF-8"
        ) from None
    if len(text) > limit:
        raise ValidationError(field, f"{path} is {len(text):,} characters; the limit is {limit:,}")
    return text


def split_tasks(text: str) -> list[dict[str, Any]]:
    """Tasks from a JSON list (strings or ``{"title", "text"}``) or from markdown.

    Markdown splits at its top-level headings; without headings, at top-level list items.
    """
    stripped = text.strip()
    if not stripped:
        raise ValidationError("tasks", "the tasks file is empty")
    if stripped.startswith("["):
        return _tasks_from_json(stripped)
    lines = stripped.splitlines()
    levels = [len(m.group(1)) for line in lines if (m := _HEADING.match(line))]
    chunks: list[list[str]] = []
    done: list[bool] = []
    if levels:
        top = min(levels)
        for line in lines:
            heading = _HEADING.match(line)
            if heading and len(heading.group(1)) == top:
                chunks.append([line])
            elif chunks:
                chunks[-1].append(line)
    else:
        for line in lines:
            item = _LIST_ITEM.match(line)
            if item:
                chunks.append([item.group(2)])
                done.append((item.group(1) or " ") in "xX")  # "- [x]" keeps its done mark
            elif chunks and line.strip():
                chunks[-1].append(line.strip())
    if not chunks:
        chunks = [lines]
    return _numbered(["\n".join(chunk).strip() for chunk in chunks], done)


def _tasks_from_json(text: str) -> list[dict[str, Any]]:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationError(
            "tasks", f"not valid JSON (line {error.lineno}: {error.msg})"
        ) from None
    if not isinstance(items, list) or not items:
        raise ValidationError("tasks", "the JSON must be a non-empty list")
    texts = []
    for position, item in enumerate(items, start=1):
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, dict) and isinstance(item.get("title", item.get("text")), str):
            title = item.get("title")
            body = item.get("text") or ""
            texts.append(f"# {title}\n\n{body}".strip() if title else body)
        else:
            raise ValidationError(
                "tasks", f"item {position} must be text or an object with a title"
            )
    return _numbered(texts)


def _numbered(texts: list[str], done: list[bool] | None = None) -> list[dict[str, Any]]:
    marks = done or [False] * len(texts)
    kept = [(t, d) for t, d in zip(texts, marks, strict=False) if t.strip()]
    texts = [t for t, _d in kept]
    if not texts:
        raise ValidationError("tasks", "no tasks found in the file")
    if len(texts) > MAX_TASKS:
        raise ValidationError("tasks", f"{len(texts)} tasks; the limit is {MAX_TASKS}")
    for number, text in enumerate(texts, start=1):
        if len(text) > TASK_MAX_CHARS:
            raise ValidationError(
                "tasks",
                f"task {number} is {len(text):,} characters; the limit is {TASK_MAX_CHARS:,}",
            )
    made = [task(number, clean_text(text, TASK_MAX_CHARS)) for number, text in enumerate(texts, 1)]
    for entry, (_text, finished) in zip(made, kept, strict=True):
        if finished:
            entry["done"] = True
    return made


async def store_mission_documents(
    db: Database,
    mission_id: str,
    *,
    solution: str | None = None,
    solution_path: str | None = None,
    tasks: list[dict[str, Any]] | None = None,
    tasks_path: str | None = None,
    clarification: str | None = None,
    origin: Origin = "agent",
) -> Mission:
    """Store what is given (None leaves a field as it is), with one event for the change."""
    fields: dict[str, Any] = {}
    if solution is not None:
        fields["solution"] = clean_text(solution, DOC_MAX_CHARS)
        if solution_path is not None:
            fields["solution_path"] = solution_path
    if tasks is not None:
        fields["tasks"] = tasks
        if tasks_path is not None:
            fields["tasks_path"] = tasks_path
    if clarification is not None:
        fields["clarification"] = clean_text(clarification, DOC_MAX_CHARS)
    async with db.write() as conn:
        current = await fetch_mission(conn, mission_id)
        fields = {k: v for k, v in fields.items() if current[k] != v}
        if "tasks" in fields and (current["tasks_current"] or 0) > len(tasks or []):
            fields["tasks_current"] = 0
        described = [k for k in ("solution", "tasks", "clarification") if k in fields]
        if fields:
            writer = ChangeWriter(db, conn)
            await writer.update(missions, mission_id, {**fields, "last_event_at": utcnow()})
            # The texts are on the row; the event only says what changed (no copies).
            await writer.event(
                current,
                "documents",
                "updated " + (", ".join(described) or "document paths"),
                origin=origin,
                payload={"fields": sorted(fields), "task_count": len(tasks or [])},
            )
        return as_mission(await fetch_mission(conn, mission_id))


async def sync_documents_from_worktree(
    db: Database, mission_id: str, worktree: Path | str, *, origin: Origin = "agent"
) -> Mission:
    """Read the mission's documents from ``worktree`` and store them (call after a session)."""
    docs = read_mission_documents(worktree, mission_id)
    return await store_mission_documents(
        db,
        mission_id,
        solution=docs.solution,
        solution_path=docs.solution_path,
        tasks=docs.tasks,
        tasks_path=docs.tasks_path,
        origin=origin,
    )
