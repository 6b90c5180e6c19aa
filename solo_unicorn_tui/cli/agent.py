"""``solo-unicorn agent …``: list, add and remove code agent profiles (``code-agents.json``)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import Any, NoReturn

from solo_unicorn_tui.cli.output import add_action, add_json_flag, print_json, print_table
from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.home import Home


def register(sub: Any) -> None:
    parser = sub.add_parser("agent", help="list, add and remove code agent profiles")
    commands = parser.add_subparsers(dest="agent_command", metavar="ACTION", required=True)

    add_action(commands, "list", "list profiles and whether their program is here", _list)

    add = commands.add_parser(
        "add",
        help="add a plain-command profile: agent add NAME [options] -- PROGRAM ARG...",
        description="agent add NAME [--default] [--type T] [--env KEY=VALUE]... "
        "[--pass-env NAME]... [--prompt-stdin] [--no-commit-leftovers] [--no-resume] "
        "[--api-key-env VAR] [--max-concurrency N] [--timeout SECONDS] [--json] "
        "-- PROGRAM ARG... "
        "Placeholders in arguments: {prompt} {prompt_file} {mission_id} {worktree}.",
    )
    add.add_argument("spec", nargs=argparse.REMAINDER, metavar="NAME [options] -- PROGRAM ARG...")
    add.set_defaults(handler=_add)

    login = commands.add_parser(
        "login",
        help="store an agent's API key in the OS keyring (read from standard input)",
        description="agent login NAME: the key is read from standard input (or typed, hidden) "
        "and handed only to that agent's process, as its profile's api_key_env variable.",
    )
    login.add_argument("name")
    login.add_argument("--remove", action="store_true", help="forget the stored key instead")
    login.set_defaults(handler=_login)

    remove = commands.add_parser("remove", help="remove a profile added with 'agent add'")
    remove.add_argument("name")
    remove.set_defaults(handler=_remove)

    from solo_unicorn_tui.cli import stats

    agent_stats = commands.add_parser(
        "stats", help="per agent: missions done, failure rate, duration, tokens (cached) and cost"
    )
    agent_stats.add_argument("--all-projects", action="store_true", help="not only this project")
    add_json_flag(agent_stats)
    agent_stats.set_defaults(handler=stats.run_agents)


async def _list(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.runtime.agent_profiles import AgentProfiles
    from solo_unicorn_tui.runtime.agents import versions

    home = Home.locate()
    profiles = AgentProfiles.load(home)
    default = profiles.default()
    found = await asyncio.to_thread(
        versions.detect_versions, profiles.all(), versions.cache_file(home.root)
    )
    rows: list[dict[str, Any]] = [
        {
            "name": p.name,
            "type": p.type,
            "available": p.available,
            "version": found.get(p.name),
            "verified": versions.verified_range(p) if p.verified_version else None,
            "version_warning": versions.verdict(p, found.get(p.name)),
            "default": default is not None and p.name == default.name,
            "builtin": p.builtin,
            "argv": p.argv,
            "max_concurrency": p.max_concurrency,
            "timeout_seconds": p.timeout_seconds,
            "resume": p.can_resume,
            "commit_leftovers": p.commit_leftovers,
            "mcp": p.gets_mcp,
        }
        for p in profiles.all()
    ]
    if args.json:
        print_json(rows)
        return 0
    print_table(
        ["name", "type", "available", "version", "max", "mcp", "command"],
        [
            (
                r["name"] + (" *" if r["default"] else ""),
                r["type"],
                "yes" if r["available"] else "no",
                (r["version"] or "-")
                + (f" ({r['version_warning']} than verified)" if r["version_warning"] else ""),
                r["max_concurrency"],
                "yes" if r["mcp"] else "no",
                " ".join(r["argv"])[:60],
            )
            for r in rows
        ],
    )
    return 0


async def _login(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.runtime.agent_profiles import AgentProfiles
    from solo_unicorn_tui.runtime.agents import credentials

    profile = AgentProfiles.load(Home.locate()).get(args.name)
    if args.remove:
        credentials.forget_api_key(profile)
        print(f"forgot the API key of {profile.name}")
        return 0
    if not profile.api_key_env:
        raise UserError(
            f"agent {profile.name!r} has no api_key_env: add it again with "
            "'agent add NAME --api-key-env VARIABLE -- ...' to say where its key goes"
        )
    if sys.stdin.isatty():
        key = getpass.getpass(f"API key for {profile.name} ({profile.api_key_env}): ")
    else:
        key = sys.stdin.readline()
    key = key.strip()
    if not key:
        raise UserError("no API key given; pipe it on standard input or type it at the prompt")
    credentials.store_api_key(profile, key)
    print(f"stored the API key of {profile.name} in the OS keyring ({profile.api_key_env})")
    return 0


def _parse_env(pairs: list[str]) -> dict[str, str]:
    from solo_unicorn_tui.runtime.agent_process import looks_secret

    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UserError(f"--env {pair!r} must look like KEY=VALUE")
        if looks_secret(key):
            raise UserError(
                f"--env {key} looks like a secret; secrets are never stored in code-agents.json "
                "(log the agent in with its own command instead)"
            )
        env[key] = value
    return env


class _OptionsParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UserError(f"agent add: {message} (usage: agent add NAME [options] -- PROGRAM ARG...)")


def _add_options() -> argparse.ArgumentParser:
    parser = _OptionsParser(prog="solo-unicorn agent add", add_help=False, exit_on_error=False)
    parser.add_argument("name")
    parser.add_argument("--type", default="command")
    parser.add_argument("--default", action="store_true")
    parser.add_argument("--env", action="append", default=[])
    parser.add_argument(
        "--pass-env",
        action="append",
        default=[],
        metavar="NAME",
        help="inherit this variable (an API key, say) from the environment the agent starts in",
    )
    parser.add_argument("--prompt-stdin", action="store_true")
    parser.add_argument("--no-commit-leftovers", action="store_true")
    parser.add_argument("--no-resume", action="store_true")
    parser.add_argument("--no-mcp", action="store_true")
    parser.add_argument("--api-key-env", default=None)
    parser.add_argument("--max-concurrency", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--json", action="store_true")
    return parser


def _split_spec(spec: list[str]) -> tuple[argparse.Namespace, list[str]]:
    cut = spec.index("--") if "--" in spec else len(spec)
    try:
        options, unknown = _add_options().parse_known_args(spec[:cut])
    except argparse.ArgumentError as error:
        raise UserError(f"agent add: {error}") from None
    if unknown:
        raise UserError(f"agent add: unrecognized {' '.join(unknown)} (put the command after --)")
    return options, spec[cut + 1 :]


async def _add(raw: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from solo_unicorn_tui.runtime.agent_profiles import AgentProfile, AgentProfiles

    args, argv = _split_spec(list(raw.spec))
    if not argv:
        raise UserError(
            "give the agent's command after '--', e.g. agent add my-agent -- my-cli {prompt}"
        )
    try:
        profile = AgentProfile(
            name=args.name,
            type=args.type,
            argv=argv,
            env=_parse_env(args.env),
            pass_env=args.pass_env,
            max_concurrency=args.max_concurrency,
            timeout_seconds=args.timeout,
            prompt_stdin=args.prompt_stdin,
            commit_leftovers=not args.no_commit_leftovers,
            resume=not args.no_resume,
            mcp=not args.no_mcp,
            api_key_env=args.api_key_env,
        )
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise UserError(f"agent {where}: {message}") from None
    profiles = AgentProfiles.load(Home.locate())
    profiles.add(profile, make_default=args.default)
    profiles.save()
    if args.json:
        print_json({"name": profile.name, "argv": profile.argv, "available": profile.available})
    else:
        note = "" if profile.available else f" (warning: {profile.argv[0]!r} not found)"
        print(f"added agent profile {profile.name}{note}")
    return 0


async def _remove(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.runtime.agent_profiles import AgentProfiles

    profiles = AgentProfiles.load(Home.locate())
    profiles.remove(args.name)
    profiles.save()
    print(f"removed agent profile {args.name}")
    return 0
