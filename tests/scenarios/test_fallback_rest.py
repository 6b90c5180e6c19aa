"""The rest of Mission Fallback (seed 001): the run report in the repository, the run-summary
event, the monthly target, snoozing and tags — on a real replica and a real git checkout."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from solo_unicorn_tui.runtime.fallback_report import REPORT_DIR, write_item_report
from solo_unicorn_tui.workspace import Workspace
from storage import fallback
from storage.errors import ConflictError, ValidationError
from storage.missions import list_events
from tests.support.cli_run import ok
from tests.support.runtime_fixtures import git, link_repo, make_repo

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def _template(ws: Workspace, name: str, effort: int | None = 45) -> str:
    draft = fallback.TemplateDraft(name, estimated_effort_minutes=effort)
    return (await fallback.add_template(ws.db, ws.project_id, draft)).id


async def test_run_report_in_the_repository_and_the_summary_event(
    workspace: Workspace, tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    ws = workspace
    repo = make_repo(tmp_path / "app")
    await link_repo(ws, repo)
    await _template(ws, "Raise coverage")
    await _template(ws, "Tidy docs")
    await fallback.set_config(ws.db, ws.project_id, backlog_threshold=2)
    await ws.db.close()

    checked = json.loads(ok(cli("fallback", "check", "--json")))
    run_id = checked["run"]["id"]
    path = repo / REPORT_DIR / f"{run_id}.json"
    assert checked["report"] == str(path)
    report = json.loads(path.read_text())
    assert (report["runId"], report["status"], report["generated"]) == (
        run_id,
        "awaiting_review",
        2,
    )
    assert [i["status"] for i in report["items"]] == ["proposed", "proposed"]
    assert git(repo, "status", "--porcelain") == "?? solo-unicorn-docs/"  # written, not committed
    assert git(repo, "rev-list", "--count", "HEAD") == "1"

    first, second = (i["id"] for i in report["items"])
    ok(cli("fallback", "accept", first))
    assert json.loads(path.read_text())["accepted"] == 1  # rewritten after the decision
    ok(cli("fallback", "discard", second, "--feedback", "not now"))
    final = json.loads(path.read_text())
    assert (final["status"], final["accepted"], final["discarded"]) == ("completed", 1, 1)
    assert final["items"][1]["feedback"] == "not now"

    from storage.database import Database, sqlite_url

    db = await Database.open(sqlite_url(ws.home.replica))
    try:
        mission_id = final["items"][0]["missionId"]
        kinds = [(e.kind, e.origin, e.payload) for e in await list_events(db, mission_id)]
        assert kinds[-1] == (
            "fallback_run_completed",
            "fallback",
            {"runId": run_id, "generated": 2, "accepted": 1},
        )
        assert sum(k == "fallback_run_completed" for k, _o, _p in kinds) == 1
        # Without a checkout on this workstation there is no file (and no error).
        assert await write_item_report(db, first, "ws_elsewhere") is None
    finally:
        await db.close()


async def test_monthly_target_bounds_runs_launches_and_accepts(workspace: Workspace) -> None:
    db, pid = workspace.db, workspace.project_id
    tpl = await _template(workspace, "Raise coverage", effort=45)
    await fallback.set_config(db, pid, auto_accept=True, monthly_target_hours=2)
    check = await fallback.run_fallback_check(db, pid, now=MONDAY)
    # 45 + 45 + 45 = 135 minutes: a third one starts below the 120 and ends past it.
    assert len(check.missions) == 3
    assert "monthly target of 2 hours" in check.reason
    area = await fallback.fallback_area(db, pid, now=MONDAY)
    assert area.effort_this_month == 135
    with pytest.raises(ConflictError, match=r"monthly target of 2 hours .* --monthly-target"):
        await fallback.launch_template(db, tpl, now=MONDAY)
    later = await fallback.run_fallback_check(db, pid, now=MONDAY + timedelta(hours=1))
    assert later.run is None and "monthly target of 2 hours" in later.reason
    december = datetime(2026, 12, 1, 0, 5, tzinfo=UTC)
    assert (await fallback.launch_template(db, tpl, now=december)).origin == "fallback"

    await fallback.set_config(db, pid, weekly_mission_cap=1)  # December's launch was one
    with pytest.raises(ConflictError, match="weekly cap of 1 fallback missions"):
        await fallback.launch_template(db, tpl, now=december)
    await fallback.set_config(db, pid, weekly_mission_cap=9, monthly_target_hours=0)
    with pytest.raises(ConflictError, match="monthly target of 0 hours"):
        await fallback.launch_template(db, tpl, now=december)


async def test_snoozed_project_template_and_proposal(workspace: Workspace) -> None:
    db, pid = workspace.db, workspace.project_id
    coverage = await _template(workspace, "Raise coverage")
    docs = await _template(workspace, "Tidy docs")
    await fallback.set_config(
        db, pid, backlog_threshold=1, snoozed_until=MONDAY + timedelta(days=1)
    )
    assert (await fallback.get_config(db, pid)).status == "snoozed"
    snoozed = await fallback.run_fallback_check(db, pid, now=MONDAY)
    assert snoozed.run is None and "snoozed until 2026-11-24 09:00" in snoozed.reason
    await fallback.snooze_template(db, coverage, MONDAY + timedelta(days=3))

    day2 = MONDAY + timedelta(days=1, minutes=1)  # the project's snooze is over
    check = await fallback.run_fallback_check(db, pid, now=day2, triggered_by="manual")
    assert [i.template_id for i in check.items] == [docs]  # the snoozed template is skipped
    [proposal] = check.items
    item = await fallback.snooze_item(db, proposal.id, day2 + timedelta(hours=2))
    assert item.status == "snoozed"
    area = await fallback.fallback_area(db, pid, now=day2)
    assert area.proposals == []  # hidden while snoozed, not outstanding, its template skipped
    again = await fallback.run_fallback_check(db, pid, now=day2, triggered_by="manual")
    assert again.run is None and again.reason == "no enabled fallback templates"
    [first_run] = [r for r in await fallback.list_runs(db, pid) if r.id == check.run.id]  # type: ignore[union-attr]
    assert first_run.status == "awaiting_review"

    awake = day2 + timedelta(hours=3)
    assert [p.id for p in (await fallback.fallback_area(db, pid, now=awake)).proposals] == [
        proposal.id
    ]
    accepted = await fallback.accept_item(db, proposal.id, now=awake)
    assert accepted.origin == "fallback"
    with pytest.raises(ValidationError, match="snoozing needs an end time"):
        await fallback.set_config(db, pid, status="snoozed")
    await fallback.set_config(db, pid, status="active")
    assert (await fallback.get_config(db, pid)).snoozed_until is None


async def test_template_tags(workspace: Workspace) -> None:
    db, pid = workspace.db, workspace.project_id
    draft = fallback.TemplateDraft("Tagged", tags=["Docs", "chore", "docs"])
    template = await fallback.add_template(db, pid, draft)
    assert template.tags == ["docs", "chore"]
    edited = await fallback.edit_template(db, template.id, tags=["tests"])
    assert edited.tags == ["tests"]
    with pytest.raises(ValidationError, match="tag: 'two words': use one word"):
        await fallback.edit_template(db, template.id, tags=["two words"])
    with pytest.raises(ValidationError, match="at most 20"):
        await fallback.edit_template(db, template.id, tags=[f"t{n}" for n in range(21)])


def test_the_rule_is_one_for_every_way_a_mission_is_made() -> None:
    from storage.models import MissionFallbackConfig

    config = MissionFallbackConfig(weekly_mission_cap=3, monthly_target_hours=1)
    room = fallback.fallback_room(config, made_this_week=2, effort_this_month=30)
    assert (room.missions, room.effort_minutes, room.refusal(config)) == (1, 30, None)
    full_week = fallback.fallback_room(config, made_this_week=3, effort_this_month=0)
    assert "weekly cap of 3" in (full_week.refusal(config) or "")
    full_month = fallback.fallback_room(config, made_this_week=0, effort_this_month=60)
    assert "monthly target of 1 hours" in (full_month.refusal(config) or "")
    plans = fallback.plan_proposals(
        [
            {"id": "a", "estimated_effort_minutes": 20},
            {"id": "b", "estimated_effort_minutes": None},
        ],
        5,
        30,
    )
    assert [t["id"] for t in plans] == ["a", "b", "a"]  # 20, 20, 40: stops past the 30 left
