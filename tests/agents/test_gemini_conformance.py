"""Gemini CLI 0.61.0, for real, against the Gemini stand-in, through ``solo-unicorn work``.

The API key comes from ``agent login gemini`` (the keyring) and reaches only that process;
gemini gets its own settings folder under ``sessions/`` (API-key auth, telemetry off), never
the user's ``~/.gemini``. A prompt of over 300 KB arrives intact on standard input; the model's
tool calls write a file and commit it; usage (its router's request included) and the session
id are recorded; the readable log shows the tool calls; a rejected stage resumes the session.
"""

from __future__ import annotations

from pathlib import Path

from tests.agents.harness import machine, readable_log
from tests.support.model_standin import gemini
from tests.support.model_standin.server import Script, Turn, serve

MEMORY = "MEMORY-START " + "✓é" * 49_000 + " MEMORY-END"
DESCRIPTION = "DESCRIPTION-START " + "ü" * 90_000 + " DESCRIPTION-END"


def _agent_requests(requests):  # type: ignore[no-untyped-def]
    return [r for r in requests if isinstance(r.body, dict) and r.body.get("tools")]


def test_gemini_mission_commits_records_usage_and_resumes(tmp_path: Path, gemini_bin: Path) -> None:
    turns = [
        Turn(
            text="I will write the file.",
            tool_calls=[("write_file", {"file_path": "hello.txt", "content": "hi\n"})],
            input_tokens=100,
            output_tokens=20,
            cached_tokens=40,
        ),
        Turn(
            tool_calls=[
                (
                    "run_shell_command",
                    {"command": "git add hello.txt && git commit -m 'add hello'"},
                )
            ],
            input_tokens=120,
            output_tokens=10,
        ),
        Turn(text="All done.", input_tokens=140, output_tokens=30),
        Turn(text="Nothing more to change.", input_tokens=200, output_tokens=7),
    ]
    with serve(gemini.routes(Script(turns))) as standin:
        box = machine(tmp_path, gemini_bin, "gemini", GOOGLE_GEMINI_BASE_URL=standin.url)
        box.ok("agent", "login", "gemini", input="g-standin-key\n")
        (tmp_path / "memory.md").write_text(MEMORY, encoding="utf-8")
        box.ok("memory", "set", "--file", str(tmp_path / "memory.md"))
        (tmp_path / "description.md").write_text(DESCRIPTION, encoding="utf-8")
        mission = box.ok(
            "mission",
            "add",
            "--title",
            "Say hello",
            "--ready",
            "--description-file",
            str(tmp_path / "description.md"),
            "--json",
        )
        run = box.cli("work", "--once")
        assert run.returncode == 0, run.stdout + run.stderr
        requests = _agent_requests(standin.requests)
        assert len(requests) == 3
        assert all(r.headers.get("x-goog-api-key") == "g-standin-key" for r in requests)
        prompt = gemini.user_texts(requests[0].body)
        assert any(MEMORY in text and DESCRIPTION in text for text in prompt)

        (session,) = box.sessions()
        assert session["status"] == "completed", session["error_message"]
        router = 1  # the stand-in answers gemini's tool-less router request with 1 in / 1 out
        assert session["input_tokens"] == 100 + 120 + 140 + router
        assert session["output_tokens"] == 20 + 10 + 30 + router
        assert session["cached_input_tokens"] == 40
        assert session["cost_usd"] is None  # gemini reports no cost
        assert session["agent_session_id"]
        branch = box.git("branch", "--list", "solo-unicorn/*", "--format=%(refname:short)")
        assert box.git("log", "--format=%s", branch).splitlines()[0] == "add hello"
        assert box.git("show", f"{branch}:hello.txt") == "hi"
        readable = readable_log(session)
        assert "▸ write_file hello.txt" in readable
        assert "▸ run_shell_command git add hello.txt && git commit -m 'add hello'" in readable
        assert "All done." in readable and '{"type"' not in readable
        settings = Path(session["log_path"]).parent / "agent-config" / mission["id"] / "gemini"
        assert (settings / ".gemini" / "settings.json").exists()
        assert not (Path(box.env["HOME"]) / ".gemini").exists()

        box.ok("mission", "reject", mission["id"], "--feedback", "Say it louder.")
        again = box.cli("work", "--once")
        assert again.returncode == 0, again.stdout + again.stderr

    requests = _agent_requests(standin.requests)
    assert len(requests) == 4
    texts = gemini.user_texts(requests[3].body)
    assert "Say it louder." in texts[-1]
    assert any(MEMORY in text for text in texts[:-1])  # the earlier conversation goes on
    first, second = box.sessions()
    assert second["status"] == "completed", second["error_message"]
    assert f"resumed agent session {first['agent_session_id']}" in second["start_reason"]
    assert second["agent_session_id"] == first["agent_session_id"]
