"""The mission CLI as a user runs it: separate processes on a temporary home."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from solo_unicorn_tui.home import Home


def _json(result) -> object:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_round_trip(home: Home, cli) -> None:
    created = _json(
        cli("mission", "add", "--title", "Write the README", "--priority", "4", "--ready", "--json")
    )
    assert {"id", "title", "list", "priority", "ready", "stage", "list_order"} <= set(created)
    assert (created["title"], created["list"], created["priority"], created["ready"]) == (
        "Write the README",
        "todo",
        4,
        True,
    )
    mission_id = created["id"]

    listed = _json(cli("mission", "list", "--json"))
    assert [m["id"] for m in listed] == [mission_id]

    moved = _json(cli("mission", "move", mission_id, "--to", "doing", "--json"))
    assert moved["list"] == "doing"
    assert _json(cli("mission", "list", "--list", "todo", "--json")) == []

    updated = _json(
        cli(
            "mission",
            "update",
            mission_id[-6:],
            "--title",
            "Write it well",
            "--not-ready",
            "--priority",
            "2",
            "--json",
        )
    )
    assert (updated["title"], updated["ready"], updated["priority"]) == ("Write it well", False, 2)

    branch = _json(cli("mission", "update", mission_id, "--target-branch", "release/2.0", "--json"))
    assert branch["target_branch"] == "release/2.0"

    shown = _json(cli("mission", "show", mission_id, "--json"))
    assert [e["kind"] for e in shown["events"]] == ["created", "moved", "updated", "updated"]

    deleted = _json(cli("mission", "delete", mission_id, "--json"))
    assert deleted == {"id": mission_id, "deleted": True}
    assert _json(cli("mission", "list", "--json")) == []


def test_plain_output_is_readable(home: Home, cli) -> None:
    cli("mission", "add", "--title", "Readable")
    result = cli("mission", "list")
    assert result.returncode == 0
    assert "Readable" in result.stdout
    assert result.stdout.splitlines()[0].split()[:3] == ["ID", "LIST", "PRI"]


def _counts(home: Home) -> tuple[int, int]:
    if not home.replica.exists():
        return (0, 0)
    with sqlite3.connect(home.replica) as conn:
        missions = conn.execute("select count(*) from missions").fetchone()[0]
        outbox = conn.execute("select count(*) from sync_outbox").fetchone()[0]
    return missions, outbox


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mission", "add", "--title", ""], "title: must not be empty"),
        (["mission", "add", "--title", "x", "--priority", "9"], "priority: 9 is out of range"),
        (["mission", "add", "--title", "x", "--list", "later"], "unknown list 'later'"),
        (["mission", "list", "--list", "later"], "unknown list 'later'"),
        (["mission", "move", "mission_nope", "--to", "done"], "no mission with id"),
        (["mission", "show", "nope42"], "no mission with id"),
        (["mission", "update", "nope42", "--title", "y"], "no mission with id"),
        (["mission", "delete", "nope42"], "no mission with id"),
        (["mission", "bogus"], "invalid choice"),
        (["mission", "add", "--title", "x", "--target-branch", "../x"], "not a valid git branch"),
        (["mission", "add", "--title", "x", "--target-branch", "a b"], "not a valid git branch"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    home: Home, cli, args: list[str], message: str
) -> None:
    cli("mission", "add", "--title", "Existing")
    before = _counts(home)
    result = cli(*args)
    assert result.returncode != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert _counts(home) == before


def test_huge_description_is_refused(home: Home, cli, tmp_path: Path) -> None:
    cli("mission", "add", "--title", "Existing")
    before = _counts(home)
    big = tmp_path / "description.md"
    big.write_text("x" * 1_000_000)
    result = cli("mission", "add", "--title", "Big", "--description-file", str(big))
    assert result.returncode == 1
    assert "description: is 1,000,000 characters long" in result.stderr
    assert _counts(home) == before
    piped = cli("mission", "add", "--title", "Big", "--description-file", "-", input="y" * 200_000)
    assert "description: is 200,000 characters long" in piped.stderr
    assert _counts(home) == before
    missing = cli("mission", "add", "--title", "Big", "--description-file", str(tmp_path / "no"))
    assert "cannot read --description-file" in missing.stderr
    assert _counts(home) == before


def test_malformed_config_is_reported(home: Home, cli) -> None:
    cli("mission", "add", "--title", "Existing")
    before = _counts(home)
    home.config_file.write_text('{"theme": "nord",,}')
    result = cli("mission", "add", "--title", "Not written")
    assert result.returncode == 1
    assert "config.json is not valid JSON (line 1" in result.stderr
    assert "Traceback" not in result.stderr
    assert _counts(home) == before


def test_unwritable_home_is_reported(tmp_path: Path, cli) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = cli("mission", "add", "--title", "X", env={"SOLO_UNICORN_HOME": str(blocker / "h")})
    assert result.returncode == 1
    assert "cannot write to the home folder" in result.stderr
    assert "set SOLO_UNICORN_HOME to a writable folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_doctor_reports_each_check(home: Home, cli) -> None:
    result = cli("doctor", "--json")
    checks = {c["check"]: c["status"] for c in _json(result)}
    assert checks["home"] == checks["replica"] == checks["schema"] == checks["git"] == "ok"
    assert checks["server"] == "ok"
    (agents,) = [c for c in _json(result) if c["check"] == "agents"]
    assert "MCP server for claude, codex, gemini, opencode" in json.dumps(agents)

    home.config_file.write_text("{oops")
    broken = cli("doctor")
    assert broken.returncode == 1
    assert any(line.startswith("FAIL  config") for line in broken.stdout.splitlines())


def test_doctor_fails_on_missing_git(home: Home, cli, tmp_path: Path) -> None:
    import sys

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    result = cli("doctor", env={"PATH": str(bin_dir)})
    assert result.returncode == 1
    assert "git not found on PATH" in result.stdout


def test_doctor_names_an_unreachable_server(home: Home, cli) -> None:
    result = cli("doctor", env={"SOLO_UNICORN_SERVER_URL": "postgresql://su@127.0.0.1:9/board"})
    assert result.returncode == 1
    line = next(x for x in result.stdout.splitlines() if x.startswith("FAIL  server"))
    assert "cannot reach the sync server postgresql://su@127.0.0.1:9/board" in line


def test_the_command_table_matches_what_each_module_registers() -> None:
    from solo_unicorn_tui.cli import main

    for name, (_module, help_text) in main.COMMANDS.items():
        sub = next(a for a in main.build_parser(name)._actions if a.dest == "command")
        registered = {choice.dest: choice.help for choice in sub._choices_actions}
        assert registered[name] == help_text, name
        assert sub.choices[name].add_help, name  # the real parser, not the listing stub


def _modules_after(*argv: str) -> list[str]:
    """The heavy modules a ``solo-unicorn`` call with ``argv`` imports (run in a new process)."""
    import os
    import subprocess
    import sys

    script = (
        "import sys\nfrom solo_unicorn_tui.cli.main import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "heavy = ('sqlalchemy', 'alembic', 'pydantic', 'asyncpg', 'keyring', 'httpx', 'textual')\n"
        "found = [m for m in sys.modules if m.split('.')[0] in heavy]\n"
        "found += [m for m in sys.modules if m.startswith('solo_unicorn_tui.cli.')]\n"
        "sys.stderr.write('MODULES ' + ' '.join(sorted(found)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *argv],
        capture_output=True,
        text=True,
        env=os.environ,
        timeout=60,
    )
    return done.stderr.rsplit("MODULES ", 1)[1].split()


def test_help_and_usage_errors_import_no_command_module() -> None:
    assert _modules_after("--help") == ["solo_unicorn_tui.cli.main"]
    assert _modules_after("no-such-command") == ["solo_unicorn_tui.cli.main"]
    only_mission = [
        "solo_unicorn_tui.cli.main",
        "solo_unicorn_tui.cli.mission",
        "solo_unicorn_tui.cli.output",
    ]
    assert _modules_after("mission", "add") == only_mission
    assert _modules_after("mission", "list", "--help") == only_mission


def test_read_commands_use_no_sqlalchemy_once_the_replica_exists(home: Home, cli) -> None:
    created = _json(cli("mission", "add", "--title", "Read me", "--json"))
    for argv in (
        ("mission", "list", "--json"),
        ("mission", "show", created["id"][-6:], "--json"),
        ("sync", "status", "--json"),
    ):
        found = _modules_after(*argv)
        assert not [m for m in found if not m.startswith("solo_unicorn_tui.")], (argv, found)


def test_mission_list_pages_with_limit_and_after(home: Home, cli) -> None:
    ids = [_json(cli("mission", "add", "--title", f"M{i}", "--json"))["id"] for i in range(5)]
    _json(cli("mission", "move", ids[4], "--to", "doing", "--json"))
    everything = [m["id"] for m in _json(cli("mission", "list", "--json"))]
    assert everything == [ids[4], *ids[:4]]  # by list (doing < todo), then order
    first = [m["id"] for m in _json(cli("mission", "list", "--limit", "2", "--json"))]
    assert first == everything[:2]
    rest = _json(cli("mission", "list", "--limit", "2", "--after", first[-1], "--json"))
    assert [m["id"] for m in rest] == everything[2:4]
    short = _json(cli("mission", "list", "--after", everything[3][-6:], "--json"))
    assert [m["id"] for m in short] == everything[4:]
    todo_rest = _json(cli("mission", "list", "--list", "todo", "--after", ids[0], "--json"))
    assert [m["id"] for m in todo_rest] == ids[1:4]

    bad = cli("mission", "list", "--limit", "0")
    assert bad.returncode == 2
    assert "--limit: must be a whole number of at least 1, not '0'" in bad.stderr
    unknown = cli("mission", "list", "--after", "nothing-like-it")
    assert unknown.returncode == 1
    assert "no mission with id 'nothing-like-it'" in unknown.stderr
