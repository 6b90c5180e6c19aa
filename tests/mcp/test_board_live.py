"""A person sees what an agent reports by MCP on the open board, as it happens.

The real app runs on the home's replica, the mission open on its screen. Then, from a separate
process (``solo-unicorn mcp --mission ID`` driven by the SDK's own client, as an agent CLI
starts it), the agent reports its plan, asks its question and proposes a follow-up. Without a
restart or a key press the mission screen shows the plan and the question, the board's Review
column the question marker, and its Todo column the proposed card.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from solo_unicorn_tui.ui.screens.board import BoardScreen
from solo_unicorn_tui.ui.screens.mission import MissionScreen
from solo_unicorn_tui.ui.widgets.mission_list import CARD_HEIGHT, MissionList
from tests.mcp.conftest import Board, connect
from tests.support.board import app_on_db, settle

PLAN = "# Plan\n\nA toggle in the settings, stored per user."
QUESTION = "Should dark mode follow the system setting?"
FOLLOW_UP = "Dark mode for the exported PDFs"
#: Seconds to wait for the screen to catch up: the board polls twice a second, so a working
#: board shows each change well within this; only a board that never refreshes reaches it.
SEEN_WITHIN = 20


def cards(widget: MissionList) -> str:
    return "\n".join(widget.render_line(y).text for y in range(widget.count * CARD_HEIGHT))


async def seen(pilot: Pilot[Any], shown: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + SEEN_WITHIN
    while not shown():
        assert time.monotonic() < deadline, f"the board never showed {what}"
        await asyncio.sleep(0.05)
        await pilot.pause()


async def test_reports_questions_and_proposals_by_mcp_appear_on_the_open_board(
    board: Board,
) -> None:
    mission = board.mission
    app = app_on_db(board.ws.db, board.ws.identity)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = app.board
        assert isinstance(screen, BoardScreen)
        assert FOLLOW_UP not in cards(screen.list_for("todo"))
        screen.action_open_mission()  # the selected card: the first in Todo
        await settle(pilot)
        opened = app.screen
        assert isinstance(opened, MissionScreen) and opened.mission_id == mission.id

        def body() -> str:
            return str(opened.query_one("#mission-body", Static).render())

        def head() -> str:
            return str(opened.query_one("#mission-head", Static).render())

        assert "No solution yet" in body()

        async with connect(board.home, "--mission", mission.id) as server:
            call = server.session.call_tool
            assert not (await call("report_solution", {"text": PLAN})).is_error
            await seen(pilot, lambda: "A toggle in the settings" in body(), "the plan")

            assert not (await call("ask_question", {"question": QUESTION})).is_error
            await seen(pilot, lambda: QUESTION in body(), "the question on the mission screen")
            assert "review question" in head()
            review = screen.list_for("review")
            await seen(pilot, lambda: "? question" in cards(review), "the question marker")
            assert mission.title in cards(review)

            proposed = await call("propose_mission", {"title": FOLLOW_UP})
            assert not proposed.is_error
            todo = screen.list_for("todo")
            await seen(pilot, lambda: FOLLOW_UP in cards(todo), "the proposed card")
            assert app.screen is opened  # all of it while the mission stayed open

        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert "? question" in cards(screen.list_for("review"))
        assert FOLLOW_UP in cards(screen.list_for("todo"))
