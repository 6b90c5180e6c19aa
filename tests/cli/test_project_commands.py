"""``solo-unicorn project …`` and ``mission add|update --agent --flow --actor`` (in process,
through the same entry point), and projects with their settings and a mission's thread syncing
through the real PostgreSQL server as a member role."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from solo_unicorn_tui.home import Home
from storage import missions as ops
from storage import projects, questions
from tests.support.inprocess_cli import Ran, in_process, one_line_error
from tests.support.sync_env import (
    drop_test_roles,  # noqa: F401  (autouse)
    open_replica,
    sync,
    upgrade_server,
)


@pytest.fixture
def cli(home: Home, capsys: pytest.CaptureFixture[str]) -> Callable[..., Ran]:
    return in_process(capsys)


def _json(result) -> object:  # type: ignore[no-untyped-def]
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_project_commands_round_trip(cli) -> None:  # type: ignore[no-untyped-def]
    added = _json(cli("project", "add", "--name", "Website", "--pr-mode", "auto", "--json"))
    assert (added["name"], added["pr_mode_default"], added["status"]) == (
        "Website",
        "auto",
        "active",
    )
    assert added["current"] is False and added["default_flow_id"]

    renamed = _json(
        cli("project", "set", "website", "--name", "Web site", "--agent", "claude", "--json")
    )
    assert (renamed["id"], renamed["name"], renamed["default_agent_name"]) == (
        added["id"],
        "Web site",
        "claude",
    )
    one_line_error(cli("project", "set", "Web site", "--pr-mode", "sometimes"), "PR mode")
    one_line_error(cli("project", "rename", "nope", "--name", "x"), "no project named 'nope'")

    archived = _json(cli("project", "archive", added["id"][-6:], "--json"))
    assert archived["status"] == "archived"
    listed = _json(cli("project", "list", "--all", "--json"))
    assert [(p["name"], p["status"], p["current"]) for p in listed] == [  # type: ignore[union-attr]
        ("My project", "active", True),
        ("Web site", "archived", False),
    ]
    one_line_error(cli("project", "archive", "My project"), "the only active project")

    mission = _json(
        cli(
            "mission",
            "add",
            "--title",
            "Pick",
            "--agent",
            "claude",
            "--actor",
            "engineer",
            "--json",
        )
    )
    assert mission["agent_name"] == "claude" and mission["actor_id"]  # type: ignore[index]
    cleared = _json(cli("mission", "update", mission["id"], "--agent", "", "--json"))  # type: ignore[index]
    assert cleared["agent_name"] is None  # type: ignore[index]
    one_line_error(
        cli("mission", "update", mission["id"], "--agent", "nobody"),  # type: ignore[index]
        "no agent profile named 'nobody'",
    )


def test_archive_refuses_the_current_and_the_last_active_project(cli) -> None:  # type: ignore[no-untyped-def]
    current = _json(cli("project", "show", "--json"))
    one_line_error(
        cli("project", "archive", "My project"),
        "the only active project",
        "add another first: solo-unicorn project add --name NAME",
    )
    other = _json(cli("project", "add", "--name", "Web site", "--json"))
    one_line_error(
        cli("project", "archive", current["id"]),  # type: ignore[index]
        "'My project' is the current project",
        "switch first: solo-unicorn project use 'Web site'",
    )
    used = _json(cli("project", "use", "Web site", "--json"))
    assert (used["id"], used["current"]) == (other["id"], True)  # type: ignore[index]
    assert _json(cli("project", "show", "--json"))["id"] == other["id"]  # type: ignore[index]
    archived = _json(cli("project", "archive", "My project", "--json"))
    assert (archived["status"], archived["current"]) == ("archived", False)
    one_line_error(cli("project", "use", "My project"), "is archived; restore it first")
    one_line_error(cli("project", "archive", "Web site"), "the only active project")
    assert _json(cli("project", "archive", "My project", "--restore", "--json"))["status"] == (
        "active"
    )


@pytest.mark.postgres
async def test_projects_and_a_thread_sync_between_replicas(
    pg_database: str, tmp_path: Path
) -> None:
    await upgrade_server(pg_database)
    a, ident = await open_replica(tmp_path / "a.db", "alice")
    b, _ = await open_replica(tmp_path / "b.db", "bob")
    try:
        org = ident.organization_id
        site = await projects.add_project(a, org, "Website")
        await projects.set_project(a, site.id, default_agent_name="codex", pr_mode_default="auto")
        mission = await ops.create_mission(a, site.id, ops.MissionDraft(title="Logo"))
        await questions.ask_question(a, mission.id, "Round or square?")
        await sync(a, pg_database, allow_new_organization=True)
        await sync(b, pg_database, join=org)

        [seen] = [p for p in await projects.list_projects(b, org) if p.name == "Website"]
        assert (seen.id, seen.default_agent_name, seen.pr_mode_default) == (
            site.id,
            "codex",
            "auto",
        )
        assert [m.body for m in await questions.thread(b, mission.id)] == ["Round or square?"]
        await projects.rename_project(b, site.id, "Web site")
        await questions.answer_question(b, mission.id, "Round.")
        await sync(b, pg_database)
        await sync(a, pg_database)

        assert (await projects.list_projects(a, org))[-1].name == "Web site"
        assert [(m.kind, m.body) for m in await questions.thread(a, mission.id)] == [
            ("question", "Round or square?"),
            ("answer", "Round."),
        ]
        assert (await ops.get_mission(a, mission.id)).review_status == "answered"
        await projects.archive_project(a, site.id)
        await sync(a, pg_database)
        await sync(b, pg_database)
        assert [p.name for p in await projects.list_projects(b, org)] == ["My project"]
    finally:
        await a.close()
        await b.close()
