"""One mission insert path: a fallback mission starts at the first stage of its own flow."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from solo_unicorn_tui.workspace import Workspace
from storage import fallback
from storage.errors import ValidationError
from storage.flows import add_flow, flow_for_mission, parse_stage_spec, stage_after
from storage.missions import MissionDraft, create_mission
from storage.models import Mission

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def _spec_build_template(ws: Workspace) -> str:
    flow = await add_flow(ws.db, ws.project_id, "Spec then build", parse_stage_spec("spec,build!"))
    template = await fallback.add_template(
        ws.db, ws.project_id, fallback.TemplateDraft("Write a spec", flow_id=flow.id)
    )
    return template.id


async def _assert_at_first_stage(ws: Workspace, mission: Mission) -> None:
    assert mission.stage == "spec"
    flow = await flow_for_mission(ws.db, mission.id)
    assert stage_after(flow, mission.stage) == "build"


async def test_launched_template_starts_at_its_flows_first_stage(workspace: Workspace) -> None:
    template_id = await _spec_build_template(workspace)
    mission = await fallback.launch_template(workspace.db, template_id, now=MONDAY)
    await _assert_at_first_stage(workspace, mission)


async def test_accepted_proposal_starts_at_its_flows_first_stage(workspace: Workspace) -> None:
    await _spec_build_template(workspace)
    check = await fallback.run_fallback_check(
        workspace.db, workspace.project_id, now=MONDAY, triggered_by="manual"
    )
    assert check.items, check.reason
    mission = await fallback.accept_item(workspace.db, check.items[0].id, now=MONDAY)
    await _assert_at_first_stage(workspace, mission)


async def test_auto_accepted_mission_starts_at_the_project_default_flow(
    workspace: Workspace,
) -> None:
    from storage.flows import set_default_flow

    flow = await add_flow(
        workspace.db, workspace.project_id, "Spec then build", parse_stage_spec("spec,build!")
    )
    await set_default_flow(workspace.db, workspace.project_id, flow.id)
    await fallback.add_template(workspace.db, workspace.project_id, fallback.TemplateDraft("Tidy"))
    await fallback.set_config(workspace.db, workspace.project_id, auto_accept=True)
    check = await fallback.run_fallback_check(workspace.db, workspace.project_id, now=MONDAY)
    assert check.missions, check.reason
    for mission in check.missions:
        await _assert_at_first_stage(workspace, mission)


async def test_create_mission_validates_the_target_branch(workspace: Workspace) -> None:
    with pytest.raises(ValidationError, match="branch"):
        await create_mission(
            workspace.db, workspace.project_id, MissionDraft("Bad", target_branch="no..dots")
        )
