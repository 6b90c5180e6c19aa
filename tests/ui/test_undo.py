"""``z`` undoes the board's triage actions through the normal write path."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from solo_unicorn_tui.ui.dialogs.feedback import FeedbackScreen
from solo_unicorn_tui.ui.screens.board import BoardScreen
from storage import missions as ops
from storage import undo
from storage.database import Database
from storage.errors import ConflictError, NotFoundError
from storage.models import OutboxEntry
from tests.support.board import app_on_db, settle

SIZE = (120, 40)


def board(app: Any) -> BoardScreen:
    assert isinstance(app.board, BoardScreen)
    return app.board


async def outbox_count(db: Database) -> int:
    async with db.read() as conn:
        return (await conn.execute(select(func.count()).select_from(OutboxEntry))).scalar_one()


async def state(db: Database, mission_id: str) -> tuple[Any, ...]:
    m = await ops.get_mission(db, mission_id)
    return (m.list, m.priority, m.ready, m.stage, m.review_status, m.review_feedback)


async def test_z_undoes_each_board_action_newest_first(replica) -> None:
    db, identity, ids = replica
    readme, review = ids["Write the README"], ids["Review the sync protocol"]
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = board(app)
        await pilot.press("z")
        await settle(pilot)
        assert (await state(db, readme)) == ("todo", 3, True, "clarify", None, None)

        todo_before = [c.id for c in screen.list_for("todo").rows]
        history = [await state(db, readme)]
        for key in ("plus", "space", "J", "L"):
            await pilot.press(key)
            await settle(pilot)
            history.append(await state(db, readme))
        assert history[-1] == ("doing", 4, False, "clarify", None, None)

        pushed = await outbox_count(db)
        for expected in reversed(history[:-1]):
            await pilot.press("z")
            await settle(pilot)
            assert await state(db, readme) == expected
        assert [c.id for c in screen.list_for("todo").rows] == todo_before
        selected = screen.current.selected_card
        assert selected is not None and selected.id == readme, "the undone card is selected"
        assert await outbox_count(db) > pushed, "an undo is a change that syncs"
        kinds = [e.kind for e in await ops.list_events(db, readme)]
        assert kinds.count("undone") == 4

        # approve and reject in Review, then delete: each comes back with z
        await pilot.press("l", "l")
        await settle(pilot)
        before_review = await state(db, review)
        await pilot.press("a")
        await settle(pilot)
        assert (await state(db, review))[:2] == ("todo", 3)
        await pilot.press("z")
        await settle(pilot)
        assert await state(db, review) == before_review
        assert screen.current.list_name == "review"

        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, FeedbackScreen)
        await pilot.press(*"needs tests", "ctrl+s")
        await settle(pilot)
        assert (await state(db, review))[4:] == ("rejected", "needs tests")
        await pilot.press("z")
        await settle(pilot)
        assert await state(db, review) == before_review

        await pilot.press("d", "y")
        await settle(pilot)
        with pytest.raises(NotFoundError):
            await ops.get_mission(db, review)
        await pilot.press("z")
        await settle(pilot)
        assert await state(db, review) == before_review
        assert screen.list_for("review").count == 1

        await pilot.press("z")
        await settle(pilot)
        assert "Nothing to undo" in str(list(app._notifications)[-1].message)


async def test_undo_is_refused_while_an_agent_works_on_the_mission(replica) -> None:
    db, _identity, ids = replica
    mission_id = ids["Write the README"]
    point = await undo.undo_point(db, mission_id)
    await ops.move_mission(db, mission_id, "doing")
    await ops.update_mission(db, mission_id, agent_session_status="active")
    with pytest.raises(ConflictError, match="cancel its session"):
        await undo.restore_mission(db, mission_id, point, action="move")
    assert (await ops.get_mission(db, mission_id)).list == "doing"
