"""Mission Fallback on a real replica with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from solo_unicorn_tui.workspace import Workspace
from storage import fallback
from storage.errors import ConflictError, NotFoundError, ValidationError
from storage.missions import MissionDraft, create_mission, list_events, list_missions

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def _templates(ws: Workspace) -> tuple[str, str]:
    high = await fallback.add_template(
        ws.db,
        ws.project_id,
        fallback.TemplateDraft(
            "Raise test coverage",
            description="Find untested code and test it.",
            priority=5,
            estimated_effort_minutes=45,
            acceptance_criteria="Coverage goes up.",
        ),
    )
    low = await fallback.add_template(
        ws.db, ws.project_id, fallback.TemplateDraft("Tidy docs", priority=2)
    )
    await fallback.add_template(
        ws.db, ws.project_id, fallback.TemplateDraft("Disabled one", priority=5, enabled=False)
    )
    return high.id, low.id


async def test_launch_keeps_the_template(workspace: Workspace) -> None:
    high, _ = await _templates(workspace)
    mission = await fallback.launch_template(workspace.db, high, now=MONDAY)
    assert (mission.origin, mission.ready, mission.priority) == ("fallback", True, 5)
    assert "Acceptance criteria:\nCoverage goes up." in (mission.description or "")
    assert mission.fallback_item_id is not None
    assert (await fallback.get_template(workspace.db, high)).name == "Raise test coverage"
    [run] = await fallback.list_runs(workspace.db, workspace.project_id)
    assert (run.triggered_by, run.status, run.accepted_count) == ("manual", "completed", 1)
    [item] = await fallback.list_items(workspace.db, workspace.project_id, run_id=run.id)
    assert (item.status, item.mission_id, item.id) == (
        "accepted",
        mission.id,
        mission.fallback_item_id,
    )
    created, summary = await list_events(workspace.db, mission.id)
    assert "fallback template" in created.summary
    assert (summary.kind, summary.origin) == ("fallback_run_completed", "fallback")
    assert summary.payload == {"runId": run.id, "generated": 1, "accepted": 1}


async def test_threshold_cadence_and_proposals(workspace: Workspace) -> None:
    db, pid = workspace.db, workspace.project_id
    high, _ = await _templates(workspace)
    await fallback.set_config(db, pid, backlog_threshold=3, check_cadence_minutes=15)
    for n in range(3):
        await create_mission(db, pid, MissionDraft(f"ready {n}", ready=True))
    await create_mission(db, pid, MissionDraft("not ready"))

    check = await fallback.run_fallback_check(db, pid, now=MONDAY)
    assert (check.backlog, check.run) == (3, None)
    assert "not below the threshold 3" in check.reason

    ready = [m for m in await list_missions(db, pid) if m.ready]
    from storage.missions import move_mission

    await move_mission(db, ready[0].id, "doing")
    check = await fallback.run_fallback_check(db, pid, now=MONDAY)
    assert check.backlog == 2 and check.run is not None
    assert [i.template_id for i in check.items] == [high]
    assert check.items[0].status == "proposed" and check.missions == []
    assert check.run.status == "awaiting_review"

    await move_mission(db, ready[1].id, "doing")
    too_soon = await fallback.run_fallback_check(db, pid, now=MONDAY + timedelta(minutes=5))
    assert too_soon.run is None and "next after" in too_soon.reason
    later = await fallback.run_fallback_check(db, pid, now=MONDAY + timedelta(minutes=16))
    # Backlog 1 of 3 and one proposal still undecided: one more proposal.
    assert [i.template_id for i in later.items] == [high]

    mission = await fallback.accept_item(db, check.items[0].id, now=MONDAY)
    assert mission.origin == "fallback" and mission.ready
    discarded = await fallback.discard_item(db, later.items[0].id, "not now", now=MONDAY)
    assert (discarded.status, discarded.feedback) == ("discarded", "not now")
    runs = await fallback.list_runs(db, pid)
    assert {r.status for r in runs} == {"completed"}
    with pytest.raises(ConflictError, match="already accepted"):
        await fallback.accept_item(db, check.items[0].id, now=MONDAY)


async def test_auto_accept_round_robin_and_weekly_cap(workspace: Workspace) -> None:
    db, pid = workspace.db, workspace.project_id
    await _templates(workspace)
    await fallback.set_config(db, pid, backlog_threshold=3, auto_accept=True, weekly_mission_cap=4)
    first = await fallback.run_fallback_check(db, pid, now=MONDAY)
    assert [m.title for m in first.missions] == [
        "Raise test coverage",
        "Tidy docs",
        "Raise test coverage",
    ]
    assert first.run is not None and first.run.accepted_count == 3
    assert first.run.status == "completed"

    for mission in first.missions:
        await fallback_done(workspace, mission.id)
    second = await fallback.run_fallback_check(db, pid, now=MONDAY + timedelta(hours=1))
    assert len(second.missions) == 1  # the cap leaves one this week
    for mission in second.missions:
        await fallback_done(workspace, mission.id)
    capped = await fallback.run_fallback_check(db, pid, now=MONDAY + timedelta(hours=2))
    assert capped.run is None and "weekly cap of 4" in capped.reason
    next_week = await fallback.run_fallback_check(db, pid, now=MONDAY + timedelta(days=7))
    assert len(next_week.missions) == 3
    fallback_missions = [m for m in await list_missions(db, pid) if m.origin == "fallback"]
    assert len(fallback_missions) == 7


async def fallback_done(ws: Workspace, mission_id: str) -> None:
    from storage.missions import move_mission

    await move_mission(ws.db, mission_id, "done")


async def test_accept_respects_cap_and_bad_input(workspace: Workspace) -> None:
    db, pid = workspace.db, workspace.project_id
    await _templates(workspace)
    await fallback.set_config(db, pid, backlog_threshold=2, weekly_mission_cap=1)
    check = await fallback.run_fallback_check(db, pid, now=MONDAY, triggered_by="manual")
    assert len(check.items) == 1
    await fallback.accept_item(db, check.items[0].id, now=MONDAY)
    check2 = await fallback.run_fallback_check(db, pid, now=MONDAY, triggered_by="manual")
    assert check2.run is None and "weekly cap" in check2.reason

    with pytest.raises(ValidationError, match="name: must not be empty"):
        await fallback.add_template(db, pid, fallback.TemplateDraft("  "))
    with pytest.raises(NotFoundError, match="no flow"):
        await fallback.add_template(db, pid, fallback.TemplateDraft("X", flow_id="flow_nope"))
    with pytest.raises(ValidationError, match="backlog_threshold"):
        await fallback.set_config(db, pid, backlog_threshold=-1)
    with pytest.raises(NotFoundError):
        await fallback.launch_template(db, "fbtpl_nope")
    [disabled] = [t for t in await fallback.list_templates(db, pid) if not t.enabled]
    made = [r.id for r in await fallback.list_runs(db, pid)]
    with pytest.raises(ConflictError, match="'Disabled one' is disabled"):
        await fallback.launch_template(db, disabled.id)
    assert [r.id for r in await fallback.list_runs(db, pid)] == made
    assert len(await fallback.list_templates(db, pid)) == 3
    assert [t.name for t in await fallback.list_templates(db, pid, enabled_only=True)] == [
        "Raise test coverage",
        "Tidy docs",
    ]


async def test_background_watch_honours_cadence(workspace: Workspace) -> None:
    import asyncio

    from solo_unicorn_tui.runtime.housekeeping import watch_fallback

    db, pid = workspace.db, workspace.project_id
    await _templates(workspace)
    await fallback.set_config(db, pid, backlog_threshold=1, auto_accept=True)
    ticks = iter([MONDAY, MONDAY + timedelta(minutes=1), MONDAY + timedelta(minutes=20)])
    stop = asyncio.Event()
    heard: list[str] = []

    def clock() -> datetime:
        try:
            return next(ticks)
        except StopIteration:
            stop.set()
            return MONDAY + timedelta(minutes=21)

    async def on_run(result: fallback.FallbackCheck) -> None:
        heard.append(result.reason)
        # Drain the backlog so the next check (after the cadence) has work to do.
        for mission in result.missions:
            await fallback_done(workspace, mission.id)

    runs = await watch_fallback(db, pid, stop, interval=0.01, clock=clock, on_run=on_run)
    assert runs == 2 and len(heard) == 2


async def test_fallback_area_in_one_read(workspace: Workspace) -> None:
    db, pid = workspace.db, workspace.project_id
    empty = await fallback.fallback_area(db, pid)
    assert (empty.backlog, empty.templates, empty.last_run) == (0, [], None)
    assert empty.config.backlog_threshold == 5
    await _templates(workspace)
    check = await fallback.run_fallback_check(db, pid, now=MONDAY)
    area = await fallback.fallback_area(db, pid)
    assert [t.name for t in area.templates][:2] == ["Disabled one", "Raise test coverage"]
    assert len(area.proposals) == 5 and area.last_run is not None
    assert check.run is not None and area.last_run.id == check.run.id
    assert area.accepted_this_week == 0
    await fallback.accept_item(db, area.proposals[0].id, now=MONDAY)
    assert (await fallback.fallback_area(db, pid, now=MONDAY)).accepted_this_week == 1
    next_week = MONDAY + timedelta(days=7)
    assert (await fallback.fallback_area(db, pid, now=next_week)).accepted_this_week == 0
