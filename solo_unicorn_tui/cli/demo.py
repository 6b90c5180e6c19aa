"""Sample missions for ``solo-unicorn demo``, written through the domain operations."""

from __future__ import annotations

import contextlib
import random
from typing import Any

from storage import missions as ops
from storage.database import Database
from storage.dependencies import add_dependency
from storage.errors import ConflictError
from storage.fallback import TemplateDraft, add_template
from storage.identity import Identity, create_project

PROJECTS: dict[str, list[str]] = {
    "Solo Unicorn": [
        "Sync the board across two laptops",
        "Add a dark/light theme toggle to settings",
        "Show session logs next to the board",
        "Dispatcher: respect max concurrent missions per repo",
        "Clean up worktrees unused for 7 days",
        "Doctor command checks git, agents and server",
        "Keyboard help lists remapped keys",
        "Import missions from GitHub issues",
        "Speed up cold start with 100k missions",
        "Fallback templates refill the backlog",
        "Write the getting-started guide",
        "Notify when a mission needs review",
        "Retry failed sessions with backoff",
        "Record files changed and commits per session",
    ],
    "Payments API": [
        "Idempotency keys for POST /charges",
        "Webhook signature verification",
        "Migrate ledger to double-entry tables",
        "Rate-limit refunds per merchant",
        "Add OpenAPI examples for payouts",
        "Fix rounding in currency conversion",
        "Reconcile Stripe payouts nightly",
        "Audit log for admin actions",
        "Remove deprecated v1 endpoints",
        "Load test the checkout path",
    ],
    "Docs site": [
        "Search across all versions",
        "Fix broken links in the API reference",
        "Dark mode code blocks",
        "Add a changelog page",
        "Translate the quick start to Japanese 日本語",
        "Deploy previews for pull requests",
        "Diagram of the sync protocol 🔄",
    ],
}
TEMPLATES = [
    ("Raise test coverage of the least-tested module", 2),
    ("Fix the oldest open TODO in the codebase", 2),
    ("Update dependencies and run the test suite", 3),
]
STAGES = ["clarify", "plan", "code"]
LISTS = ["todo", "todo", "todo", "doing", "review", "done"]


async def seed_demo(db: Database, identity: Identity, *, seed: int = 7) -> str:
    """Fill the replica with a few projects of sample missions; return the first project's id."""
    rng = random.Random(seed)
    first_project = ""
    for name, titles in PROJECTS.items():
        project = await create_project(db, identity.organization_id, name)
        first_project = first_project or project.id
        created: list[Any] = []
        for title in titles:
            list_name = rng.choice(LISTS)
            mission = await ops.create_mission(
                db,
                project.id,
                ops.MissionDraft(
                    title=title,
                    description=f"{title}.\n\nAcceptance: tests pass and the change is documented.",
                    priority=rng.choice([1, 2, 3, 3, 3, 4, 5]),
                    ready=rng.random() < 0.5,
                    list=list_name,
                ),
            )
            fields: dict[str, Any] = {"stage": rng.choice(STAGES)}
            if list_name == "review":
                fields.update(stage=rng.choice(["plan", "code"]), review_status="pending")
                fields["agent_session_status"] = "completed"
            elif list_name == "doing":
                fields["agent_session_status"] = rng.choice(["active", "inactive", "failed"])
            elif list_name == "done":
                fields["stage"] = "code"
                fields["agent_session_status"] = "completed"
            if list_name in ("review", "done") and rng.random() < 0.5:
                fields["github_pr_number"] = rng.randint(10, 400)
            created.append(await ops.update_mission(db, mission.id, **fields))
        await _block_some(db, rng, created)
        if project.id == first_project:
            await _templates(db, project.id)
    return first_project


async def _block_some(db: Database, rng: random.Random, created: list[Any]) -> None:
    open_missions = [m for m in created if m.list != "done"]
    for blocked in rng.sample(open_missions, k=min(2, len(open_missions))):
        blocker = rng.choice([m for m in open_missions if m.id != blocked.id])
        # Two picks that would block each other make a cycle, which is refused: skip that one.
        with contextlib.suppress(ConflictError):
            await add_dependency(db, blocked.id, blocker.id)


async def _templates(db: Database, project_id: str) -> None:
    for name, priority in TEMPLATES:
        await add_template(db, project_id, TemplateDraft(name, priority=priority))
