"""``solo-unicorn flow …``: list, show, add and edit flows; choose the project's default."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from solo_unicorn_tui.cli.output import add_action, print_json, print_table
from solo_unicorn_tui.errors import UserError

if TYPE_CHECKING:
    from storage.models import Flow

STAGES_HELP = (
    "stages in order, '!' after a name = needs review, '+' = opens the pull request in PR mode "
    "(default: the stage named code), '@AGENT' = the agent profile that runs it: "
    "'clarify,plan@claude!,code@codex!+'"
)


def register(sub: Any) -> None:
    parser = sub.add_parser("flow", help="list, add and edit flows (the stages a mission walks)")
    commands = parser.add_subparsers(dest="flow_command", metavar="ACTION", required=True)

    add_action(commands, "list", "list the project's flows", _list)

    add_action(
        commands, "show", "show a flow's stages and their instructions", _show, takes_id=True
    )

    add = add_action(commands, "add", "create a flow", _add)
    add.add_argument("--name", required=True)
    _stage_options(add, required=True)
    add.add_argument("--description")

    edit = add_action(
        commands, "edit", "change a flow's name, stages or description", _edit, takes_id=True
    )
    edit.add_argument("--name")
    _stage_options(edit, required=False)
    edit.add_argument("--description")

    add_action(commands, "default", "make a flow the project's default", _default, takes_id=True)


def _stage_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--stages", help=STAGES_HELP)
    group.add_argument(
        "--stages-file",
        metavar="FILE",
        help='a JSON list of {"name", "requires_review", "instructions", "agent"}',
    )


def _stages(args: argparse.Namespace, keep: Flow | None = None) -> list[dict[str, Any]] | None:
    from storage import documents, flows

    if args.stages_file:
        text = documents.read_text_file(args.stages_file, "--stages-file")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise UserError(
                f"--stages-file {args.stages_file} is not valid JSON (line {error.lineno}: "
                f"{error.msg})"
            ) from None
        return flows.validate_stages(data)
    if args.stages is None:
        return None
    stages = flows.parse_stage_spec(args.stages)
    if keep is not None:
        # The short form has no instructions: keep those of stages that keep their name.
        for stage in stages:
            old = flows.find_stage(keep, stage["name"])
            if old:
                stage["instructions"] = old["instructions"]
    return stages


def _describe(flow: Flow) -> str:
    from storage.flows import opens_pull_request

    return " → ".join(
        s["name"]
        + (f"@{s['agent']}" if s.get("agent") else "")
        + ("!" if s["requires_review"] else "")
        + ("+" if opens_pull_request(s) else "")
        for s in flow.stages
    )


def _to_json(flow: Flow, default_id: str | None) -> dict[str, Any]:
    from storage.codec import encode_value

    return {
        "id": flow.id,
        "name": flow.name,
        "description": flow.description,
        "stages": flow.stages,
        "default": flow.id == default_id,
        "updated_at": encode_value(flow.updated_at),
    }


def _emit(flow: Flow, default_id: str | None, as_json: bool) -> None:
    if as_json:
        print_json(_to_json(flow, default_id))
        return
    marker = "  (default)" if flow.id == default_id else ""
    print(f"{flow.id}  {flow.name}{marker}")
    print(f"  {_describe(flow)}")


async def _list(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import flows
    from storage.identity import get_project

    async with workspace_session() as ws:
        found = await flows.list_flows(ws.db, ws.project_id)
        default_id = (await get_project(ws.db, ws.project_id)).default_flow_id
    if args.json:
        print_json([_to_json(f, default_id) for f in found])
    else:
        print_table(
            ["id", "default", "name", "stages (! = review, + = opens the PR)"],
            [(f.id, "*" if f.id == default_id else "", f.name, _describe(f)) for f in found],
        )
    return 0


async def _show(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import flows
    from storage.identity import get_project

    async with workspace_session() as ws:
        flow = await flows.get_flow(ws.db, await flows.resolve_flow_id(ws.db, args.id))
        default_id = (await get_project(ws.db, ws.project_id)).default_flow_id
    _emit(flow, default_id, args.json)
    if not args.json:
        for stage in flow.stages:
            marks = ["review"] if stage["requires_review"] else []
            if flows.opens_pull_request(stage):
                marks.append("opens the pull request")
            print(f"\n  {stage['name']}" + (f" ({', '.join(marks)})" if marks else ""))
            for line in (stage["instructions"] or "(no instructions)").splitlines():
                print(f"    {line}")
    return 0


async def _add(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import flows
    from storage.identity import get_project

    stages = _stages(args)
    async with workspace_session() as ws:
        flow = await flows.add_flow(
            ws.db, ws.project_id, args.name, stages or [], description=args.description
        )
        default_id = (await get_project(ws.db, ws.project_id)).default_flow_id
    _emit(flow, default_id, args.json)
    return 0


async def _edit(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import flows
    from storage.identity import get_project

    async with workspace_session() as ws:
        flow_id = await flows.resolve_flow_id(ws.db, args.id)
        stages = _stages(args, keep=await flows.get_flow(ws.db, flow_id))
        if args.name is None and stages is None and args.description is None:
            raise UserError("nothing to change; give --name, --stages(-file) or --description")
        flow = await flows.edit_flow(
            ws.db, flow_id, name=args.name, stages=stages, description=args.description
        )
        default_id = (await get_project(ws.db, ws.project_id)).default_flow_id
    _emit(flow, default_id, args.json)
    return 0


async def _default(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import flows

    async with workspace_session() as ws:
        flow_id = await flows.resolve_flow_id(ws.db, args.id)
        await flows.set_default_flow(ws.db, ws.project_id, flow_id)
        flow = await flows.get_flow(ws.db, flow_id)
    _emit(flow, flow_id, args.json)
    return 0
