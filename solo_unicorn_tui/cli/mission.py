"""``solo-unicorn mission …``: add, list, show, move, update, delete."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from solo_unicorn_tui.cli.output import (
    add_action,
    print_deleted,
    print_json,
    print_json_list,
    print_mission,
    print_table,
)
from solo_unicorn_tui.errors import UserError
from storage.names import MISSION_LISTS


def register(sub: Any) -> None:
    parser = sub.add_parser("mission", help="add, list, show, move, update and delete missions")
    commands = parser.add_subparsers(dest="mission_command", metavar="ACTION", required=True)

    add = add_action(commands, "add", "create a mission in Todo", _add)
    add.add_argument("--title", required=True)
    _description_options(add)
    add.add_argument("--priority", default=3, help="1 (lowest) to 5 (highest), default 3")
    add.add_argument("--ready", action="store_true", help="mark it ready to be dispatched")
    add.add_argument(
        "--target-branch", help="branch the mission starts from and merges into (default: repo's)"
    )
    add.add_argument("--list", default="todo", dest="list_name", help="todo|doing|review|done")
    add.add_argument("--repo", help="repository name (default: the project's first repository)")
    _choice_options(add)
    _pr_mode_option(add, "default: the project's ('project set --pr-mode')")

    listing = add_action(commands, "list", "list missions by list and order", _list)
    listing.add_argument("--list", dest="list_name", help="|".join(MISSION_LISTS))
    listing.add_argument(
        "--limit", type=_positive_int, metavar="N", help="print at most N missions"
    )
    listing.add_argument(
        "--after",
        metavar="ID",
        help="start after this mission (the last id of the previous page)",
    )

    add_action(commands, "show", "show one mission with its timeline", _show, takes_id=True)

    move = add_action(commands, "move", "move a mission to another list", _move, takes_id=True)
    move.add_argument("--to", required=True, help="|".join(MISSION_LISTS))

    update = add_action(commands, "update", "change a mission's fields", _update, takes_id=True)
    update.add_argument("--title")
    _description_options(update)
    update.add_argument("--priority")
    update.add_argument("--target-branch", help="branch the mission starts from and merges into")
    _pr_mode_option(update, "")
    ready = update.add_mutually_exclusive_group()
    ready.add_argument("--ready", dest="ready", action="store_true", default=None)
    ready.add_argument("--not-ready", dest="ready", action="store_false")
    _choice_options(update)
    _document_options(update)

    add_action(commands, "delete", "delete a mission", _delete, takes_id=True)

    add_action(
        commands,
        "approve",
        "approve a mission in Review: next stage or Done",
        _approve,
        takes_id=True,
    )

    reject = add_action(
        commands,
        "reject",
        "send a mission in Review back to its stage, with feedback for the agent",
        _reject,
        takes_id=True,
    )
    _add_text_option(reject, "feedback", "what to change (goes into the next prompt)")

    ask = add_action(
        commands,
        "ask",
        "(for agents) ask a person a question; the mission waits in Review for the answer",
        _ask,
        takes_id=True,
    )
    _add_text_option(ask, "question", "the question")

    answer = add_action(
        commands,
        "answer",
        "answer a mission's open question; its stage continues with the answer",
        _answer,
        takes_id=True,
    )
    _add_text_option(answer, "text", "the answer (goes into the next prompt)", what="answer")

    add_action(commands, "thread", "show a mission's questions and answers", _thread, takes_id=True)

    depend = add_action(
        commands, "depend", "make a mission wait until another is done", _depend, takes_id=True
    )
    depend.add_argument("--on", required=True, metavar="OTHER", help="the mission it waits on")
    depend.add_argument("--remove", action="store_true", help="remove the dependency instead")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return value


PR_MODE_HELP = (
    "open a pull request after the flow's PR stage: enabled, disabled, or auto (when the "
    "repository is on GitHub and a token is stored)"
)


def _pr_mode_option(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument(
        "--pr-mode",
        choices=("disabled", "enabled", "auto"),
        help=PR_MODE_HELP + (f"; {default}" if default else ""),
    )


def _description_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--description")
    group.add_argument(
        "--description-file", metavar="FILE", help="read the description from FILE ('-': stdin)"
    )


def _choice_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--flow", metavar="FLOW", help="flow id or name ('': the project's default flow)"
    )
    parser.add_argument(
        "--actor", metavar="ACTOR", help="actor id or name ('': the project's default actor)"
    )
    parser.add_argument(
        "--agent",
        metavar="PROFILE",
        help="agent profile that runs every stage ('': the stage's, project's or "
        "workstation's default)",
    )


async def _choices(ws: Any, args: argparse.Namespace) -> dict[str, Any]:
    """``--flow``, ``--actor`` and ``--agent`` as mission fields (an empty value clears one)."""
    from solo_unicorn_tui.cli.named import pick_named
    from solo_unicorn_tui.runtime.agent_profiles import AgentProfiles
    from storage import actors, flows

    found: dict[str, Any] = {}
    if args.flow is not None:
        found["flow_id"] = args.flow.strip() and pick_named(
            await flows.list_flows(ws.db, ws.project_id), args.flow, "flow"
        )
    if args.actor is not None:
        found["actor_id"] = args.actor.strip() and pick_named(
            await actors.list_actors(ws.db, ws.project_id), args.actor, "actor"
        )
    if args.agent is not None:
        found["agent_name"] = (
            args.agent.strip() and AgentProfiles.load(ws.home).get(args.agent.strip()).name
        )
    return {key: value or None for key, value in found.items()}


def _document_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--solution-file", metavar="FILE", help="store FILE (markdown) as the mission's solution"
    )
    parser.add_argument(
        "--tasks-file",
        metavar="FILE",
        help="store the tasks in FILE: markdown (split at headings or list items) or a JSON list",
    )
    parser.add_argument("--clarification", help="store the clarified requirements")


def _repo_relative(path: Path) -> str:
    """The path relative to the git repository it sits in (as stored on the mission)."""
    resolved = path.resolve()
    for parent in resolved.parents:
        if (parent / ".git").exists():
            return resolved.relative_to(parent).as_posix()
    return str(resolved)


def _documents(args: argparse.Namespace) -> dict[str, Any]:
    """Read and check the document options before anything is written."""
    found: dict[str, Any] = {}
    if not (args.solution_file or args.tasks_file):
        if args.clarification is not None:
            found["clarification"] = args.clarification
        return found
    from storage import documents

    if args.solution_file:
        found["solution"] = documents.read_text_file(args.solution_file, "--solution-file")
        found["solution_path"] = _repo_relative(Path(args.solution_file))
    if args.tasks_file:
        text = documents.read_text_file(args.tasks_file, "--tasks-file")
        found["tasks"] = documents.split_tasks(text)
        found["tasks_path"] = _repo_relative(Path(args.tasks_file))
    if args.clarification is not None:
        found["clarification"] = args.clarification
    return found


def _description(args: argparse.Namespace) -> str | None:
    if args.description_file is None:
        return args.description
    if args.description_file == "-":
        return sys.stdin.read()
    try:
        return Path(args.description_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(
            f"cannot read --description-file {args.description_file}: {error}"
        ) from None


def _add(args: argparse.Namespace) -> Any:
    from storage.mission_rows import MissionDraft, create_mission_row

    draft = MissionDraft(
        title=args.title,
        description=_description(args),
        priority=args.priority,
        ready=args.ready,
        list=args.list_name,
        target_branch=args.target_branch,
        pr_mode=args.pr_mode,
    )
    if not args.repo and _no_choices(args):
        from solo_unicorn_tui.cli.quick import run_write

        row = run_write(lambda writer, project_id: create_mission_row(writer, project_id, draft))
        if row is not None:
            print_mission(row, args.json)
            return 0
    return _add_full(args, draft)


def _no_choices(args: argparse.Namespace) -> bool:
    """No ``--flow``/``--actor``/``--agent``: nothing to look up before the inline write."""
    return all(v is None for v in (args.flow, args.actor, args.agent))


async def _add_full(args: argparse.Namespace, draft: Any) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import missions as ops

    async with workspace_session() as ws:
        if args.repo:
            from storage.repositories import find_repository

            repo = await find_repository(
                ws.db, ws.project_id, ws.identity.workstation_id, args.repo
            )
            draft = replace(draft, repository_id=repo.id)
        draft = replace(draft, **await _choices(ws, args))
        mission = await ops.create_mission(ws.db, ws.project_id, draft)
    print_mission(mission, args.json)
    return 0


def _list(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.cli.quick import reading
    from storage import quick_reads as q

    with reading() as r:
        rows = q.iter_missions(
            r.replica, r.project_id, args.list_name, limit=args.limit, after=args.after
        )
        if args.json:
            print_json_list(q.mission_json(m) for m in rows)
            return 0
        found = list(rows)
    print_table(
        ["id", "list", "pri", "stage", "ready", "title"],
        [
            (
                m["id"],
                m["list"],
                m["priority"],
                m["stage"],
                "yes" if m["ready"] else "",
                m["title"][:70],
            )
            for m in found
        ],
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.cli.quick import reading
    from storage import quick_reads as q

    with reading() as r:
        mission_id = q.resolve_mission_id(r.replica, args.id)
        mission = q.get_mission(r.replica, mission_id)
        events = q.mission_events(r.replica, mission_id)
        waiting_on = q.blockers(r.replica, mission_id)
        messages = q.thread(r.replica, mission_id)
    if args.json:
        data = q.mission_json(mission)
        data["blocked_by"] = [m["id"] for m in waiting_on]
        data["github_pr_number"] = mission["github_pr_number"]
        data["events"] = [
            {
                "kind": e["kind"],
                "origin": e["origin"],
                "summary": e["summary"],
                "at": e["created_at"].isoformat(),
            }
            for e in events
        ]
        data["messages"] = [
            {
                "kind": m["kind"],
                "author": m["author_name"],
                "stage": m["stage"],
                "text": m["body"],
                "at": m["created_at"].isoformat(),
            }
            for m in messages
        ]
        print_json(data)
        return 0
    _print_row(mission)
    if mission["description"]:
        print()
        print(mission["description"])
    for blocker in waiting_on:
        print(f"  blocked by {blocker['id']}  [{blocker['list']}] {blocker['title'][:60]}")
    if mission["review_feedback"]:
        print(f"  review feedback: {mission['review_feedback'].splitlines()[0][:100]}")
    if messages:
        last = messages[-1]
        state = "waiting for an answer" if last["kind"] == "question" else "answered"
        print(
            f"  {len(messages)} message(s), {state}; last from {last['author_name']}: "
            f"{_one_line(last['body'])[:100]} (see 'mission thread {mission['id'][-6:]}')"
        )
    if mission["github_pr_url"]:
        print(f"  pull request #{mission['github_pr_number']}: {mission['github_pr_url']}")
    if mission["last_error"]:
        print(f"  last error: {_one_line(mission['last_error'])[:200]}")
    print()
    for event in events:
        print(
            f"  {event['created_at']:%Y-%m-%d %H:%M}  {event['origin']:<8} "
            f"{_one_line(event['summary'])}"
        )
    return 0


def _one_line(text: str) -> str:
    """Text from agents (errors, output tails) on one line, so the timeline stays a column."""
    return " ⏎ ".join(line.strip() for line in text.splitlines() if line.strip())


def _print_row(mission: dict[str, Any]) -> None:
    """A mission row as :func:`print_mission` prints a mission (text)."""
    ready = "ready" if mission["ready"] else "not ready"
    print(f"{mission['id']}  [{mission['list']}] P{mission['priority']} {mission['stage']} {ready}")
    print(f"  {mission['title']}")


def _move(args: argparse.Namespace) -> Any:
    from solo_unicorn_tui.cli.quick import run_write
    from storage.mission_rows import move_mission_row, resolve_mission_row_id

    row = run_write(
        lambda writer, _project: move_mission_row(
            writer, resolve_mission_row_id(writer.conn, args.id), args.to
        )
    )
    if row is not None:
        print_mission(row, args.json)
        return 0
    return _move_full(args)


async def _move_full(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import missions as ops

    async with workspace_session() as ws:
        mission_id = await ops.resolve_mission_id(ws.db, args.id)
        mission = await ops.move_mission(ws.db, mission_id, args.to)
    print_mission(mission, args.json)
    return 0


def _update(args: argparse.Namespace) -> Any:
    fields = {
        key: value
        for key, value in {
            "title": args.title,
            "description": _description(args),
            "priority": args.priority,
            "ready": args.ready,
            "target_branch": args.target_branch,
            "pr_mode": args.pr_mode,
        }.items()
        if value is not None
    }
    docs = _documents(args)
    choosing = not _no_choices(args)
    if not fields and not docs and not choosing:
        raise UserError("nothing to update; give at least one option (see 'mission update --help')")
    if not docs and not choosing:
        from solo_unicorn_tui.cli.quick import run_write
        from storage.mission_rows import resolve_mission_row_id, update_mission_row

        row = run_write(
            lambda writer, _project: update_mission_row(
                writer, resolve_mission_row_id(writer.conn, args.id), fields
            )
        )
        if row is not None:
            print_mission(row, args.json)
            return 0
    return _update_full(args, fields, docs)


async def _update_full(
    args: argparse.Namespace, fields: dict[str, Any], docs: dict[str, Any]
) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import documents
    from storage import missions as ops

    async with workspace_session() as ws:
        mission_id = await ops.resolve_mission_id(ws.db, args.id)
        fields.update(await _choices(ws, args))
        if fields:
            mission = await ops.update_mission(ws.db, mission_id, **fields)
        if docs:
            mission = await documents.store_mission_documents(ws.db, mission_id, **docs)
    print_mission(mission, args.json)
    return 0


async def _delete(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import missions as ops

    async with workspace_session() as ws:
        mission_id = await ops.resolve_mission_id(ws.db, args.id)
        await ops.delete_mission(ws.db, mission_id)
    print_deleted(mission_id, args.json)
    return 0


async def _approve(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import missions as ops
    from storage import review

    async with workspace_session() as ws:
        mission_id = await ops.resolve_mission_id(ws.db, args.id)
        mission = await review.approve_mission(ws.db, mission_id)
    print_mission(mission, args.json)
    return 0


async def _reject(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import missions as ops
    from storage import review

    feedback = _text_option(args, "feedback")
    async with workspace_session() as ws:
        mission_id = await ops.resolve_mission_id(ws.db, args.id)
        mission = await review.reject_mission(ws.db, mission_id, feedback)
    print_mission(mission, args.json)
    return 0


async def _depend(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import dependencies
    from storage import missions as ops

    async with workspace_session() as ws:
        mission_id = await ops.resolve_mission_id(ws.db, args.id)
        on_id = await ops.resolve_mission_id(ws.db, args.on)
        if args.remove:
            mission = await dependencies.remove_dependency(ws.db, mission_id, on_id)
        else:
            mission = await dependencies.add_dependency(ws.db, mission_id, on_id)
        waiting_on = await dependencies.blockers(ws.db, mission_id)
    if args.json:
        data = ops.mission_to_json(mission)
        data["blocked_by"] = [m.id for m in waiting_on]
        print_json(data)
    else:
        print_mission(mission, False)
        for blocker in waiting_on:
            print(f"  blocked by {blocker.id}  [{blocker.list}] {blocker.title[:60]}")
    return 0


def _add_text_option(
    parser: argparse.ArgumentParser, name: str, help: str, *, what: str | None = None
) -> None:
    """``--NAME TEXT`` or ``--NAME-file FILE``, one required (read back by :func:`_text_option`)."""
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument(f"--{name}", help=help)
    group.add_argument(f"--{name}-file", metavar="FILE", help=f"read the {what or name} from FILE")


def _text_option(args: argparse.Namespace, name: str) -> str:
    """``--NAME`` or the contents of ``--NAME-file``."""
    from storage import documents

    path = getattr(args, f"{name}_file")
    if path is not None:
        return documents.read_text_file(path, f"--{name}-file")
    return str(getattr(args, name))


def _message_json(message: Any) -> dict[str, Any]:
    from storage.codec import encode_value

    return {
        "id": message.id,
        "kind": message.kind,
        "author": message.author_name,
        "author_kind": message.author_kind,
        "stage": message.stage,
        "text": message.body,
        "at": encode_value(message.created_at),
    }


async def _ask(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import missions as ops
    from storage import questions

    text = _text_option(args, "question")
    async with workspace_session() as ws:
        mission_id = await ops.resolve_mission_id(ws.db, args.id)
        mission = await questions.ask_question(ws.db, mission_id, text, origin="agent")
    if args.json:
        print_mission(mission, True)
    else:
        print_mission(mission, False)
        print("  waiting in Review for an answer; end the session now, the answer comes next")
    return 0


async def _answer(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import missions as ops
    from storage import questions

    text = _text_option(args, "text")
    async with workspace_session() as ws:
        mission_id = await ops.resolve_mission_id(ws.db, args.id)
        mission = await questions.answer_question(ws.db, mission_id, text)
    print_mission(mission, args.json)
    return 0


async def _thread(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage import missions as ops
    from storage import questions

    async with workspace_session() as ws:
        mission_id = await ops.resolve_mission_id(ws.db, args.id)
        found = await questions.thread(ws.db, mission_id)
    if args.json:
        print_json([_message_json(m) for m in found])
        return 0
    if not found:
        print(f"mission {mission_id} has no questions yet")
    for message in found:
        print(
            f"{message.created_at:%Y-%m-%d %H:%M}  {message.kind:<8} {message.author_name} "
            f"({message.stage or '?'})"
        )
        for line in message.body.splitlines():
            print(f"    {line}")
    return 0
