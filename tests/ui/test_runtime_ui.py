"""The runtime's widgets in a small host app: workstation panel, log view, session-log screen."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.app import App, ComposeResult

from solo_unicorn_tui.runtime.snapshot import (
    AgentState,
    RunningSession,
    WorkstationSnapshot,
    WorktreeState,
)
from solo_unicorn_tui.ui.screens.session_logs import SessionEntry, SessionLogsScreen
from solo_unicorn_tui.ui.widgets.session_log_view import (
    SessionLogView,
    render_log_line,
    sanitize_line,
)
from solo_unicorn_tui.ui.widgets.workstation_panel import WorkstationPanel, format_elapsed

NOW = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)


def fixed_snapshot() -> WorkstationSnapshot:
    return WorkstationSnapshot(
        workstation_id="ws_01TEST",
        workstation_name="devbox",
        dispatcher_running=True,
        taken_at=NOW,
        agents=(
            AgentState("script", "command", True, 1, 1, is_default=True),
            AgentState("claude", "claude", True, 0, 2),
            AgentState("codex", "codex", False, 0, 1),
        ),
        sessions=(
            RunningSession(
                session_id="session_01AAA",
                mission_id="mission_01HXYZABC123",
                mission_title="Add a greeting to the README",
                agent_name="script",
                stage="plan",
                started_at=NOW - timedelta(minutes=3, seconds=7),
                pid=4242,
                log_path="/tmp/x.log",
            ),
        ),
        worktrees=(
            WorktreeState(
                "worktree_1",
                "mission_01HXYZABC123",
                "solo-unicorn/abc123-add-a-greeting",
                "/w/app-solo-unicorn-abc123-add-a-greeting",
                "in_use",
                True,
                2,
                NOW,
                size_bytes=48 * 1024 * 1024,
            ),
            WorktreeState(
                "worktree_2",
                "mission_01HXYZDEF456",
                "solo-unicorn/def456-fix-login",
                "/w/app-solo-unicorn-def456-fix-login",
                "ready",
                False,
                0,
                NOW - timedelta(days=2),
                size_bytes=900 * 1024,
            ),
        ),
    )


class PanelHost(App[None]):
    def compose(self) -> ComposeResult:
        yield WorkstationPanel(fixed_snapshot(), clock=lambda: NOW, tick_seconds=None)


class LogHost(App[None]):
    def __init__(self, max_lines: int = 10_000) -> None:
        super().__init__()
        self.max_lines = max_lines

    def compose(self) -> ComposeResult:
        yield SessionLogView(max_lines=self.max_lines, id="log")


def _entries(tmp_path: Path) -> list[SessionEntry]:
    first = tmp_path / "s1.log"
    first.write_bytes(
        b"agent: starting\n"
        b"\x1b[32mcompiling\x1b[0m 12 files\n"
        b"ERROR: test_login failed\n"
        b"binary: \x00\x01\x07\x1b]0;title\x07 done\n"
        b"\x1b[1;34mall good\x1b[0m\n"
    )
    second = tmp_path / "s2.log"
    second.write_bytes(b"agent: older session\n")
    return [
        SessionEntry(
            "session_01AAA",
            "mission_1",
            "Add a greeting",
            "script",
            "plan",
            "failed",
            NOW,
            str(first),
        ),
        SessionEntry(
            "session_01BBB",
            "mission_2",
            "Fix login",
            "claude",
            "code",
            "completed",
            NOW - timedelta(hours=1),
            str(second),
        ),
    ]


class LogsHost(App[None]):
    def __init__(self, entries: list[SessionEntry]) -> None:
        super().__init__()
        self.entries = entries

    async def load(self) -> list[SessionEntry]:
        return self.entries

    def on_mount(self) -> None:
        self.push_screen(SessionLogsScreen(self.load))


async def _wait_lines(pilot, view: SessionLogView, count: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(100):
        view.flush()
        if view.line_count >= count:
            return
        await pilot.pause(0.02)
    raise AssertionError(f"only {view.line_count} lines arrived")


def test_format_elapsed():
    assert format_elapsed(187) == "03:07" and format_elapsed(3725) == "1:02:05"


def test_sanitize_keeps_colour_and_defuses_controls():
    raw = "\x1b[31mred\x1b[0m \x00\x07\x1b]0;evil title\x07\x1b[2J\x1b[Hok\tx\rdone"
    clean = sanitize_line(raw)
    assert "\x1b[31m" in clean and "\x1b[2J" not in clean and "evil title" not in clean
    text = render_log_line("\x1b[31mred\x1b[0m \x00 ok")
    assert text.plain == "red \ufffd ok"
    assert [(s.start, s.end, s.style.color.number) for s in text.spans] == [(0, 3, 1)]
    long = render_log_line("x" * 10_000, limit=100)
    assert long.plain.startswith("x" * 100) and "+9,900 chars" in long.plain


def test_workstation_panel_snapshot(snap_compare):
    assert snap_compare(PanelHost(), terminal_size=(60, 20))


async def test_workstation_panel_shows_state():
    app = PanelHost()
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        panel = app.query_one(WorkstationPanel)
        rendered = str(panel.render_lines(panel.region.reset_offset)[0].text)
        text = "\n".join(s.text for s in panel.render_lines(panel.region.reset_offset))
        assert "devbox" in rendered
        for part in ("script *", "busy", "missing", "03:07", "↑2", "Add a greeting"):
            assert part in text


async def test_log_view_caps_memory_and_follows():
    app = LogHost(max_lines=1000)
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(SessionLogView)
        for batch in range(50):
            view.append_lines(f"line {batch}-{i}" for i in range(1000))
            if batch % 10 == 0:
                view.flush()
        view.flush()
        await pilot.pause()
        assert view.line_count == 1000 and view.total_lines >= 40_000
        assert view.lines()[-1] == "line 49-999"
        assert view.follow and view.scroll_y == view.max_scroll_y
        view.scroll_home(animate=False, immediate=True)
        await pilot.pause()
        assert not view.follow
        await pilot.press("end")
        await pilot.pause()
        assert view.follow


async def test_log_view_search_and_errors():
    app = LogHost()
    async with app.run_test(size=(80, 10)) as pilot:
        view = app.query_one(SessionLogView)
        view.append_lines(
            ["ok"] * 50
            + ["Traceback (most recent call last):"]
            + ["ok"] * 50
            + ["needle here"]
            + ["ok"] * 10
        )
        view.flush()
        await pilot.pause()
        assert view.search("NEEDLE", backwards=True)
        assert view._highlight == 101 and not view.follow
        assert view.next_error(backwards=True)
        assert view._highlight == 50
        assert view.next_error(backwards=True) and view._highlight == 50  # wraps to itself
        assert not view.search("absent")


async def test_log_view_follows_a_growing_file(tmp_path):
    path = tmp_path / "live.log"
    path.write_bytes(b"first\n")
    app = LogHost()
    async with app.run_test(size=(80, 10)) as pilot:
        view = app.query_one(SessionLogView)
        view.follow_file(path)
        await _wait_lines(pilot, view, 1)
        with path.open("ab") as f:
            f.write(b"second\nthird " + b"y" * 200_000 + b"\n")
        await _wait_lines(pilot, view, 5)
        assert view.lines()[:2] == ["first", "second"]
        assert max(len(line) for line in view.lines()) <= 64 * 1024


async def test_session_logs_screen_switches_and_searches(tmp_path):
    app = LogsHost(_entries(tmp_path))
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SessionLogsScreen)
        view = screen.log_view
        await _wait_lines(pilot, view, 5)
        await pilot.press("e")
        await pilot.pause()
        assert view.lines()[view._highlight].startswith("ERROR")
        await pilot.press("slash")
        await pilot.press(*"all good")
        await pilot.press("enter")
        await pilot.pause()
        assert view.lines()[view._highlight].endswith("all good\x1b[0m")
        screen.query_one("#session-list").focus()
        await pilot.press("down")
        await _wait_lines(pilot, view, 1)
        await pilot.pause(0.2)
        assert screen.current.session_id == "session_01BBB"
        assert view.lines() == ["agent: older session"]


def test_session_logs_screen_snapshot(snap_compare, tmp_path):
    async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.pause()
        await _wait_lines(pilot, pilot.app.screen.log_view, 5)
        await pilot.press("e")
        await pilot.pause()

    assert snap_compare(LogsHost(_entries(tmp_path)), terminal_size=(110, 16), run_before=settle)


async def test_mission_log_pane_follows_a_live_session(workspace, tmp_path):
    from solo_unicorn_tui.runtime.events import SessionEnded, SessionStarted
    from solo_unicorn_tui.ui.runtime_bridge import RuntimeBridge, RuntimeEventMessage
    from solo_unicorn_tui.ui.widgets.mission_log_pane import MissionLogPane
    from tests.runtime.test_sessions import _mission, _setup
    from tests.support.runtime_fixtures import script_profile

    runtime, _ = await _setup(workspace, tmp_path, script_profile("binary"))
    received: list[object] = []

    class Board(App[None]):
        def compose(self) -> ComposeResult:
            yield MissionLogPane(id="pane")

        def on_runtime_event_message(self, message: RuntimeEventMessage) -> None:
            received.append(message.event)
            if isinstance(message.event, SessionStarted):
                pane = self.query_one(MissionLogPane)
                pane.follow_session(
                    message.event.session_id, message.event.log_path, message.event.mission_title
                )

    app = Board()
    async with app.run_test(size=(80, 16)) as pilot:
        RuntimeBridge(runtime, app)
        mission_id = await _mission(workspace, "Colourful")
        handle = await runtime.run_mission(mission_id)
        await handle.task
        pane = app.query_one(MissionLogPane)
        await _wait_lines(pilot, pane.view, 6)
        assert any("red text" in line for line in pane.view.lines())
        assert pane.session_id == handle.session_id
        assert [type(e) for e in received] == [SessionStarted, SessionEnded]
        pane.show_idle("nothing here")
        await pilot.pause()
        assert pane.view.line_count == 0


def test_agent_record_on_the_panel() -> None:
    from solo_unicorn_tui.ui.widgets.workstation_panel import agent_record

    fresh = AgentState("bot", "command", True, 0, 1)
    assert agent_record(fresh) == ""
    used = AgentState("bot", "command", True, 0, 1, missions_completed=3, failure_rate=0.25)
    assert agent_record(used) == "3 done · 25% failed"


async def test_session_logs_status_shows_the_sessions_usage(tmp_path):
    entries = _entries(tmp_path)
    entries[1] = replace(
        entries[1],
        input_tokens=12_800,
        cached_input_tokens=10_240,
        output_tokens=733,
        cost_usd=0.0421,
    )
    app = LogsHost(entries)
    async with app.run_test(size=(160, 20)) as pilot:
        await pilot.pause()
        screen = app.screen
        status = screen.query_one("#session-log-status")
        assert "in (" not in str(status.render())  # the first session reported no usage
        screen.query_one("#session-list").focus()
        await pilot.press("down")
        await pilot.pause(0.2)
        assert screen.current.session_id == "session_01BBB"
        text = str(status.render())
        assert "12,800 in (10,240 cached) / 733 out · $0.04" in text
