"""Sample missions for ``solo-unicorn demo``, written through the domain operations.

The samples agree with themselves: a card that says an agent ran has that session (with its log
file) behind it, and a card with a PR number has that pull request recorded, so the log pane, the
session list and the review view show what the card promises. They go into the demo's own
throwaway replica only (:func:`solo_unicorn_tui.cli.board.run_demo`).
"""

from __future__ import annotations

import contextlib
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from solo_unicorn_tui.home import Home
from storage import missions as ops
from storage.database import Database
from storage.dependencies import add_dependency
from storage.errors import ConflictError
from storage.fallback import TemplateDraft, add_template
from storage.identity import Identity, create_project
from storage.pull_requests import record_pull_request
from storage.repositories import link_repository
from storage.samples import SampleSession, record_sample_session

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
AGENTS = [("claude", "claude"), ("codex", "codex"), ("aider", "aider")]
#: (status, the end of the log) of a finished sample session
OUTCOMES = {
    "completed": "✓ tests pass; committed 2 files",
    "failed": "✗ the test suite failed: 1 error in test_checkout.py (exit code 1)",
}
DEMO_NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


SAMPLE_FILES = {
    "README.md": "# Sample app\n\nThe repository the demo's agent works on.\n",
    "src/app.py": 'def greet(name: str) -> str:\n    return f"Hello, {name}!"\n',
    "tests/test_app.py": (
        "from src.app import greet\n\n\ndef test_greet() -> None:\n"
        '    assert greet("demo") == "Hello, demo!"\n'
    ),
}
GIT_IDENTITY = ["-c", "user.name=Solo Unicorn demo", "-c", "user.email=demo@example.invalid"]
DEMO_AGENT = "demo-agent"


def _sample_repository(root: Path) -> Path:
    """A git repository with one commit in the demo's home: the sample projects link it and
    the demo's agent works in worktrees of it."""
    path = root / "sample-repo"
    if (path / ".git").exists():
        return path
    path.mkdir(parents=True, exist_ok=True)
    for name, text in SAMPLE_FILES.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text, encoding="utf-8")
    for argv in (
        ["init", "--quiet", "--initial-branch", "main"],
        ["add", "-A"],
        [*GIT_IDENTITY, "commit", "--quiet", "-m", "Sample app"],
    ):
        subprocess.run(["git", "-C", str(path), *argv], check=True, capture_output=True)
    return path


def install_demo_agent(home: Home) -> None:
    """Make ``demo-agent`` (:mod:`solo_unicorn_tui.cli.demo_agent`) the demo home's default
    agent profile, so ``r`` in the demo runs a real session on the sample repository."""
    from solo_unicorn_tui.runtime.agent_profiles import AgentProfile, AgentProfiles

    profiles = AgentProfiles.load(home)
    argv = [
        sys.executable,
        "-m",
        "solo_unicorn_tui.cli.demo_agent",
        "{prompt_file}",
        "{mission_id}",
    ]
    profiles.add(AgentProfile(name=DEMO_AGENT, argv=argv, timeout_seconds=120), make_default=True)
    profiles.save()


def _write_log(path: Path, title: str, stage: str, agent: str, status: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        f"[demo] {agent} on stage {stage}: {title}",
        "reading the mission and the project memory…",
        "planning: 3 steps",
        "editing src/app.py",
        "running the tests",
        OUTCOMES.get(status, status),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def seed_demo(
    db: Database, identity: Identity, *, home_root: Path | None = None, seed: int = 7
) -> str:
    """Fill the replica with a few projects of sample missions; return the first project's id.

    With ``home_root`` (the demo's home) the sessions' logs go to its ``sessions`` folder and a
    sample repository is linked, so the PRs the cards show exist; without, cards claim neither.
    """
    rng = random.Random(seed)
    first_project = ""
    clock = iter(DEMO_NOW - timedelta(minutes=17 * n) for n in range(1, 10_000))
    for name, titles in PROJECTS.items():
        project = await create_project(db, identity.organization_id, name)
        first_project = first_project or project.id
        repository_id = None
        if home_root is not None:
            link = await link_repository(
                db,
                project.id,
                identity.workstation_id,
                name=f"{name.lower().replace(' ', '-')}",
                main_path=str(_sample_repository(home_root)),
                default_branch="main",
            )
            repository_id = link.id
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
            outcome = None
            if list_name == "review":
                fields.update(stage=rng.choice(["plan", "code"]), review_status="pending")
                outcome = "completed"
            elif list_name == "doing":
                outcome = rng.choice(["completed", "failed"])
            elif list_name == "done":
                fields["stage"] = "code"
                outcome = "completed"
            mission = await ops.update_mission(db, mission.id, **fields)
            if home_root is not None and outcome is not None:
                await _sample_session(db, mission, home_root, outcome, rng, next(clock))
                pr = list_name in ("review", "done") and rng.random() < 0.5
                if pr and repository_id is not None:
                    number = rng.randint(10, 400)
                    await record_pull_request(
                        db,
                        mission.id,
                        repository_id=repository_id,
                        number=number,
                        url=f"https://github.com/example/{project.id[-6:]}/pull/{number}",
                        source_branch=f"mission/{mission.id[-8:]}",
                        target_branch="main",
                        title=title,
                        status="merged" if list_name == "done" else "open",
                    )
            created.append(await ops.get_mission(db, mission.id))
        await _block_some(db, rng, created)
        if project.id == first_project:
            await _templates(db, project.id)
    return first_project


async def _sample_session(
    db: Database, mission: Any, home_root: Path, status: str, rng: random.Random, ended: datetime
) -> None:
    agent_type, agent_name = rng.choice(AGENTS)
    log_path = home_root / "sessions" / f"demo-{mission.id[-12:]}.log"
    _write_log(log_path, mission.title, mission.stage, agent_name, status)
    sample = SampleSession(
        agent_type=agent_type,
        agent_name=agent_name,
        stage=mission.stage,
        status=status,
        log_path=str(log_path),
        started_at=ended - timedelta(minutes=rng.randint(3, 40)),
        ended_at=ended,
        input_tokens=rng.randint(8_000, 90_000),
        output_tokens=rng.randint(500, 6_000),
        cost_usd=round(rng.uniform(0.02, 0.9), 2),
        summary=OUTCOMES[status],
    )
    await record_sample_session(db, mission, sample)


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
