"""``z`` in the Fallback area snoozes a template or a proposal for a day (``z`` again wakes a
template)."""

from __future__ import annotations

from storage import fallback
from tests.support.board import app_on_db, settle
from tests.ui.conftest import Replica
from tests.ui.test_fallback_area import SIZE, notices, press, rows, seed_fallback, selected


async def test_z_snoozes_and_wakes_a_template_and_snoozes_a_proposal(replica: Replica) -> None:
    db, identity, _ids = replica
    await seed_fallback(db, identity, propose=True)
    app = app_on_db(db, identity)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "f")
        assert selected(app) == ("template", "Raise test coverage")
        await press(pilot, "z")
        [template] = [
            t
            for t in await fallback.list_templates(db, identity.project_id)
            if t.name == "Raise test coverage"
        ]
        assert template.snoozed_until is not None
        assert "Snoozed “Raise test coverage” for a day" in notices(app)
        assert "snoozed until" in str(rows(app).get_option_at_index(0).prompt)
        await press(pilot, "z")
        woken = await fallback.get_template(db, template.id)
        assert woken.snoozed_until is None and "Woke “Raise test coverage”" in notices(app)

        await press(pilot, "j", "j", "j")
        assert selected(app) == ("proposal", "Raise test coverage")
        await press(pilot, "z")
        area = await fallback.fallback_area(db, identity.project_id)
        assert [p.title for p in area.proposals] == ["Tidy docs"]  # the snoozed one is hidden
        assert sum(r.kind == "proposal" for r in rows(app).rows.values()) == 1
