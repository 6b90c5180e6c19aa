"""Agents ask, people answer — on the board: the card says "question", ``t`` opens the mission's
thread (who asked what, when), and the answer typed there sends the stage on."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static, TextArea

from solo_unicorn_tui.ui.dialogs.thread import ThreadScreen
from solo_unicorn_tui.ui.screens.board import BoardScreen
from solo_unicorn_tui.ui.screens.mission import MissionScreen
from storage import missions as ops
from storage import questions
from tests.support.board import app_on_db, open_replica, settle


async def test_the_person_reads_the_question_and_answers_it_on_the_board(tmp_path: Path) -> None:
    db, identity = await open_replica(tmp_path / "replica.db")
    try:
        mission = await ops.create_mission(
            db, identity.project_id, ops.MissionDraft(title="Dark mode", ready=True)
        )
        await questions.ask_question(db, mission.id, "Which palette: nord or solarized?")
        app = app_on_db(db, identity)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(pilot)
            screen = app.board
            assert isinstance(screen, BoardScreen)
            widget = screen.list_for("review")
            card = " ".join(widget.render_line(line).text for line in range(2))
            assert "Dark mode" in card and "? question" in card
            await pilot.press("l", "l")  # Todo → Doing → Review
            await settle(pilot)
            assert screen.current.selected_card.id == mission.id
            await pilot.press("t")
            await settle(pilot)
            thread = app.screen
            assert isinstance(thread, ThreadScreen)
            shown = str(thread.query_one("#thread-messages", Static).render())
            assert "agent asked" in shown and "Which palette: nord or solarized?" in shown
            assert "clarify" in shown and "UTC" in shown
            await pilot.press("ctrl+s")  # empty: refused in the dialog, nothing written
            await settle(pilot)
            assert "must not be empty" in str(thread.query_one("#thread-error", Static).render())
            thread.query_one("#thread-answer", TextArea).insert("Nord.")
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert app.screen is screen

            # A second question, answered from the mission screen (t there too).
            await questions.ask_question(db, mission.id, "Dark by default?")
            await app.push_screen(MissionScreen(screen.data, mission.id))
            await settle(pilot)
            body = str(app.screen.query_one("#mission-body", Static).render())
            assert "Questions and answers" in body and "Dark by default?" in body
            await pilot.press("t")
            await settle(pilot)
            app.screen.query_one("#thread-answer", TextArea).insert("Yes.")
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, MissionScreen)
            assert "Yes." in str(app.screen.query_one("#mission-body", Static).render())
        answered = await ops.get_mission(db, mission.id)
        assert (answered.list, answered.review_status, answered.stage) == (
            "todo",
            "answered",
            "clarify",
        )
        messages = await questions.thread(db, mission.id)
        assert [(m.kind, m.author_kind, m.body) for m in messages] == [
            ("question", "agent", "Which palette: nord or solarized?"),
            ("answer", "user", "Nord."),
            ("question", "agent", "Dark by default?"),
            ("answer", "user", "Yes."),
        ]
    finally:
        await db.close()
