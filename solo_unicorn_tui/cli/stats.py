"""``solo-unicorn stats``: per agent profile figures from recorded sessions; ``--daily``: the
project's figures per UTC day (:mod:`storage.metrics`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from solo_unicorn_tui.cli.output import add_action, print_json, print_table
from solo_unicorn_tui.errors import UserError

if TYPE_CHECKING:
    from storage.agent_stats import AgentStats


def register(sub: Any) -> None:
    parser = add_action(
        sub, "stats", "per agent: missions completed, failure rate, mean duration, last used", run
    )
    parser.add_argument("--all-projects", action="store_true", help="not only this project")
    parser.add_argument(
        "--daily",
        action="store_true",
        help="this project per day: missions, sessions, failures, tokens, cost, fallback, backlog",
    )
    parser.add_argument(
        "--days", type=int, default=30, help="with --daily: how many days back (default 30)"
    )


def _or_unknown(value: Any, fmt: str = "{}") -> str:
    return "unknown" if value is None else fmt.format(value)


def rows(stats: list[AgentStats]) -> list[tuple[str, ...]]:
    return [
        (
            s.agent,
            str(s.missions_completed),
            str(s.sessions),
            _or_unknown(s.failure_rate, "{:.0%}"),
            _or_unknown(s.mean_duration_seconds, "{:.1f} s"),
            s.last_used_at.strftime("%Y-%m-%d %H:%M") if s.last_used_at else "never",
            _or_unknown(
                None
                if s.input_tokens is None and s.output_tokens is None
                else (s.input_tokens or 0) + (s.output_tokens or 0),
                "{:,}",
            ),
            _or_unknown(s.cached_input_tokens, "{:,}"),
            _or_unknown(s.cost_usd, "${:.2f}"),
        )
        for s in stats
    ]


async def _daily(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.workspace import workspace_session
    from storage.metrics import CELL_HEADERS, MAX_DAYS, daily_metrics

    if not 1 <= args.days <= MAX_DAYS:
        raise UserError(f"--days {args.days}: use 1 to {MAX_DAYS}")
    if args.all_projects:
        raise UserError("--daily covers this project; leave out --all-projects")
    async with workspace_session() as ws:
        days = await daily_metrics(ws.db, ws.project_id, days=args.days)
    if args.json:
        print_json([d.to_json() for d in days])
    else:
        print_table(CELL_HEADERS, [d.cells() for d in days])
    return 0


async def run(args: argparse.Namespace) -> int:
    """``stats``: per day with ``--daily``, else per agent (as ``agent stats``)."""
    if args.daily:
        return await _daily(args)
    return await run_agents(args)


async def run_agents(args: argparse.Namespace) -> int:
    """``agent stats`` (and ``stats`` without ``--daily``): per agent profile."""
    from solo_unicorn_tui.workspace import workspace_session
    from storage.agent_stats import agent_stats

    async with workspace_session() as ws:
        stats = await agent_stats(ws.db, None if args.all_projects else ws.project_id)
    if args.json:
        print_json([s.to_json() for s in stats])
    elif not stats:
        print("no agent sessions recorded yet")
    else:
        print_table(
            [
                "agent",
                "missions",
                "sessions",
                "failures",
                "mean",
                "last used",
                "tokens",
                "cached",
                "cost",
            ],
            rows(stats),
        )
    return 0
