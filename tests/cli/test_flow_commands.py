"""The issue-6 commands as a user runs them: separate processes on a temporary home."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from solo_unicorn_tui.home import Home


def ok(result) -> object:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def one_line_error(result, *fragments: str) -> str:
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("solo-unicorn: error: ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr
    return result.stderr


def _outbox(home: Home) -> int:
    with sqlite3.connect(home.replica) as conn:
        return conn.execute("SELECT count(*) FROM sync_outbox").fetchone()[0]


def test_review_walk_and_dependencies(home: Home, cli) -> None:
    a = ok(cli("mission", "add", "--title", "A", "--ready", "--json"))
    b = ok(cli("mission", "add", "--title", "B", "--ready", "--json"))
    c = ok(cli("mission", "add", "--title", "C", "--json"))
    assert ok(cli("mission", "depend", b["id"], "--on", a["id"], "--json"))["blocked_by"] == [
        a["id"]
    ]
    ok(cli("mission", "depend", c["id"], "--on", b["id"], "--json"))
    before = _outbox(home)
    one_line_error(cli("mission", "depend", a["id"], "--on", c["id"]), "cycle", "'A'")
    one_line_error(cli("mission", "depend", a["id"], "--on", "mission_nope"), "no mission")
    assert _outbox(home) == before

    one_line_error(cli("mission", "approve", a["id"]), "only a mission in Review")
    ok(cli("mission", "move", a["id"], "--to", "review", "--json"))
    one_line_error(cli("mission", "reject", a["id"], "--feedback", "  "), "feedback")
    rejected = ok(cli("mission", "reject", a["id"], "--feedback", "More tests.", "--json"))
    assert (rejected["list"], rejected["review_feedback"]) == ("todo", "More tests.")
    ok(cli("mission", "move", a["id"], "--to", "review", "--json"))
    approved = ok(cli("mission", "approve", a["id"][-6:], "--json"))
    assert (approved["list"], approved["stage"], approved["review_feedback"]) == (
        "todo",
        "plan",
        None,
    )
    shown = ok(cli("mission", "show", c["id"], "--json"))
    assert shown["blocked_by"] == [b["id"]]
    assert f"blocked by {b['id']}" in cli("mission", "show", c["id"]).stdout
    removed = ok(cli("mission", "depend", c["id"], "--on", b["id"], "--remove", "--json"))
    assert removed["blocked_by"] == []


def test_flow_actor_memory(home: Home, cli, tmp_path: Path) -> None:
    [default_flow] = ok(cli("flow", "list", "--json"))
    assert default_flow["default"] is True
    assert [s["name"] for s in default_flow["stages"]] == ["clarify", "plan", "code"]

    quick = ok(cli("flow", "add", "--name", "Quick", "--stages", "build,ship!", "--json"))
    assert [(s["name"], s["requires_review"]) for s in quick["stages"]] == [
        ("build", False),
        ("ship", True),
    ]
    stages_file = tmp_path / "stages.json"
    stages_file.write_text(
        json.dumps([{"name": "build", "instructions": "Build it well."}, {"name": "ship"}])
    )
    edited = ok(cli("flow", "edit", quick["id"], "--stages-file", str(stages_file), "--json"))
    assert edited["stages"][0]["instructions"] == "Build it well."
    kept = ok(cli("flow", "edit", quick["id"], "--stages", "build!,ship", "--json"))
    assert kept["stages"][0] == {
        "name": "build",
        "requires_review": True,
        "instructions": "Build it well.",
    }
    assert ok(cli("flow", "default", quick["id"], "--json"))["default"] is True
    mission = ok(cli("mission", "add", "--title", "New", "--json"))
    assert mission["flow_id"] == quick["id"]

    before = _outbox(home)
    one_line_error(
        cli("flow", "add", "--name", "Bad", "--stages", "a,,b"), "name must not be empty"
    )
    one_line_error(cli("flow", "add", "--name", "Bad", "--stages", "a,a"), "used twice")
    one_line_error(cli("flow", "add", "--name", " ", "--stages", "a"), "name: must not be empty")
    stages_file.write_text("[{")
    one_line_error(cli("flow", "edit", quick["id"], "--stages-file", str(stages_file)), "JSON")
    one_line_error(cli("flow", "default", "flow_nope"), "no flow")
    assert _outbox(home) == before

    actor = ok(
        cli(
            "actor",
            "add",
            "--name",
            "Tester",
            "--system-prompt",
            "You test.",
            "--focus",
            "tests, edge cases",
            "--json",
        )
    )
    assert actor["focus_areas"] == ["tests", "edge cases"]
    assert ok(cli("actor", "default", actor["id"], "--json"))["default"] is True
    assert len(ok(cli("actor", "list", "--json"))) == 2
    one_line_error(cli("actor", "edit", actor["id"], "--name", ""), "name: must not be empty")

    memory = tmp_path / "memory.md"
    memory.write_text("# Conventions\nUse ruff.\n")
    ok(cli("memory", "set", "--file", str(memory), "--json"))
    assert ok(cli("memory", "show", "--json"))["memory"] == "# Conventions\nUse ruff.\n"
    memory.write_bytes(b"\xff\xfe bad")
    one_line_error(cli("memory", "set", "--file", str(memory)), "not UTF-8")
    assert ok(cli("memory", "show", "--json"))["memory"] == "# Conventions\nUse ruff.\n"


def test_fallback_commands(home: Home, cli) -> None:
    template = ok(
        cli(
            "fallback",
            "template",
            "add",
            "--name",
            "Fix a flaky test",
            "--priority",
            "4",
            "--effort",
            "30",
            "--criteria",
            "Test passes 20 times.",
            "--json",
        )
    )
    assert ok(cli("fallback", "template", "list", "--json"))[0]["id"] == template["id"]
    mission = ok(cli("fallback", "template", "launch", template["id"], "--json"))
    assert (mission["origin"], mission["ready"], mission["title"]) == (
        "fallback",
        True,
        "Fix a flaky test",
    )
    assert len(ok(cli("fallback", "template", "list", "--json"))) == 1

    config = ok(cli("fallback", "config", "--threshold", "3", "--weekly-cap", "5", "--json"))
    assert (config["backlog_threshold"], config["weekly_mission_cap"]) == (3, 5)
    check = ok(cli("fallback", "check", "--json"))
    assert (check["backlog"], len(check["items"])) == (1, 2)
    assert check["run"]["status"] == "awaiting_review"
    proposals = ok(cli("fallback", "items", "--json"))
    assert len(proposals) == 2
    accepted = ok(cli("fallback", "accept", proposals[0]["id"], "--json"))
    assert accepted["origin"] == "fallback"
    discarded = ok(cli("fallback", "discard", proposals[1]["id"], "--feedback", "no", "--json"))
    assert discarded["status"] == "discarded"
    runs = ok(cli("fallback", "runs", "--json"))
    assert [(r["triggered_by"], r["status"]) for r in runs] == [
        ("manual", "completed"),
        ("manual", "completed"),
    ]

    before = _outbox(home)
    one_line_error(cli("fallback", "template", "add", "--name", ""), "name: must not be empty")
    one_line_error(cli("fallback", "template", "add", "--name", "X", "--priority", "9"), "priority")
    one_line_error(cli("fallback", "template", "launch", "fbtpl_nope"), "no fallback template")
    one_line_error(
        cli("fallback", "template", "add", "--name", "Y", "--repository", "repo_nope"),
        "no repository",
    )
    one_line_error(cli("fallback", "accept", proposals[0]["id"]), "already accepted")
    one_line_error(cli("fallback", "config", "--threshold", "-2"), "backlog_threshold")
    assert _outbox(home) == before
