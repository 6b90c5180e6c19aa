"""How long a ``solo-unicorn`` call takes, measured from outside, next to its floor.

    .venv/bin/python bench/cli_bench.py [--missions 10000] [--runs 15] [--fresh] [--quick]
        [--json] [--baseline SRC]

``--baseline SRC`` also times, in the same run and interleaved, the same commands from another
checkout of the source (``PYTHONPATH=SRC python -m solo_unicorn_tui.cli.main``), for a
before/after table. ``--json`` prints the figures as JSON on stdout (the table goes to stderr),
for ``bench/run_all.py``; ``--quick`` is 1000 missions and 5 runs.

Every figure is a whole process (``subprocess.run``, output captured) on a home holding
``--missions`` missions, and each is measured in the same run, interleaved run by run, with its
floor: ``python -c pass`` for ``--help`` and argument errors, ``python -c "import sqlalchemy"``
for writes, and for reads a standard-library script (``sqlite3`` + ``json``) that runs the same
query and prints the same JSON; the bench checks the bytes are identical. Both sides run on this
interpreter (``sys.executable``). One table, ratio = median / floor median, pass/fail against
issue 18's targets (help/errors ≤ 4×, writes ≤ 1.5×, reads ≤ 3×).

The home is built through the product's own write path: :func:`storage.missions.insert_mission`
(the one insert path behind ``mission add``, with its event and outbox entries) inside
``Database.write`` transactions of 500 missions, so rows are the same as from ``mission add``.
It is built once per schema head and size under the temp folder and copied for each run (the
write figures add and change missions in the copy).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PY = sys.executable
_SCRIPT = Path(PY).with_name("solo-unicorn")
CLI = [str(_SCRIPT)] if _SCRIPT.exists() else [PY, "-m", "solo_unicorn_tui.cli.main"]

LISTS = ("todo", "doing", "review", "done")

# --- floors: standard library only, the same queries, the same JSON -----------------------------

_FLOOR_COMMON = r"""
import json, sqlite3, sys
from datetime import UTC, datetime
db = sqlite3.connect(sys.argv[1])
FIELDS = %(fields)r
def decode(row):
    out = {}
    for k, v in row.items():
        if v is not None and k == "ready":
            v = bool(v)
        elif v is not None and k == "tasks":
            v = json.loads(v)
        elif v is not None and k in ("created_at", "updated_at"):
            v = datetime.fromisoformat(v).replace(tzinfo=UTC).isoformat()
        out[k] = v
    return out
def rows(sql, params):
    cur = db.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [decode(dict(zip(names, r))) for r in cur]
def emit(data):
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
meta = dict(db.execute("SELECT key, value FROM replica_meta"))
"""

FLOOR_LIST = r"""
found = rows(
    f"SELECT {', '.join(FIELDS)} FROM missions WHERE project_id = ? AND deleted = 0"
    " ORDER BY list, list_order, id" + (" LIMIT ?" if len(sys.argv) > 2 else ""),
    [meta["project_id"], *([int(sys.argv[2])] if len(sys.argv) > 2 else [])],
)
emit(found)
"""

FLOOR_SHOW = r"""
ident = sys.argv[2]
data = rows(f"SELECT {', '.join(FIELDS)}, github_pr_number FROM missions"
            " WHERE id = ? AND deleted = 0", [ident])[0]
number = data.pop("github_pr_number")
data["blocked_by"] = [r[0] for r in db.execute(
    "SELECT m.id FROM missions m JOIN mission_dependencies d ON d.depends_on_mission_id = m.id"
    " WHERE d.mission_id = ? AND d.deleted = 0 AND d.dependency_type = 'blocks'"
    " AND m.deleted = 0 AND m.list != 'done' ORDER BY m.priority DESC, m.list_order, m.id",
    [ident])]
data["github_pr_number"] = number
data["events"] = [
    {"kind": k, "origin": o, "summary": s,
     "at": datetime.fromisoformat(c).replace(tzinfo=UTC).isoformat()}
    for k, o, s, c in db.execute(
        "SELECT kind, origin, summary, created_at FROM mission_events"
        " WHERE mission_id = ? AND deleted = 0 ORDER BY hlc", [ident])
]
data["messages"] = [
    {"kind": k, "author": a, "stage": s, "text": b,
     "at": datetime.fromisoformat(c).replace(tzinfo=UTC).isoformat()}
    for k, a, s, b, c in db.execute(
        "SELECT kind, author_name, stage, body, created_at FROM mission_messages"
        " WHERE mission_id = ? AND deleted = 0 ORDER BY created_at, id", [ident])
]
emit(data)
"""

FLOOR_STATUS = r"""
emit({
    "server_url": None,
    "organization_id": meta["organization_id"],
    "site_id": meta["site_id"],
    "cursor": int(meta.get("sync_cursor") or 0),
    "pending": db.execute("SELECT count(*) FROM sync_outbox").fetchone()[0],
    "last_sync_at": meta.get("sync_last_at") or None,
    "last_error": meta.get("sync_last_error") or None,
    "last_error_at": meta.get("sync_last_error_at") or None,
    "rejected": int(meta.get("sync_rejected_count") or 0),
    "last_rejection": meta.get("sync_last_rejection") or None,
})
"""


# --- building the home ---------------------------------------------------------------------------


async def _build(home_root: Path, count: int) -> None:
    from solo_unicorn_tui.home import Home
    from solo_unicorn_tui.workspace import open_workspace
    from storage import dependencies
    from storage import missions as ops
    from storage.changes import ChangeWriter
    from storage.identity import get_project

    ws = await open_workspace(Home(home_root))
    try:
        project = await get_project(ws.db, ws.project_id)
        columns = ("id", "organization_id", "default_flow_id", "pr_mode_default")
        row = {c: getattr(project, c) for c in columns}
        made = 0
        while made < count:
            async with ws.db.write() as conn:
                writer = ChangeWriter(ws.db, conn)
                for _ in range(min(500, count - made)):
                    draft = ops.MissionDraft(
                        title=f"Mission {made}: make the thing number {made} work",
                        description=f"Details of mission {made}.\nSecond line.",
                        priority=1 + made % 5,
                        ready=made % 3 == 0,
                        list=LISTS[made % 4],
                    )
                    await ops.insert_mission(writer, row, draft)
                    made += 1
        listed = await ops.list_missions(ws.db, ws.project_id, "todo", limit=3)
        await dependencies.add_dependency(ws.db, listed[0].id, listed[1].id)
        await ops.update_mission(ws.db, listed[0].id, priority=4)
    finally:
        await ws.db.close()


def prepared_home(count: int, fresh: bool) -> Path:
    from storage.schema_head import head_revisions

    head = "-".join(sorted(head_revisions()))
    cached = Path(tempfile.gettempdir()) / f"solo-unicorn-cli-bench-{head}-{count}"
    if fresh and cached.exists():
        shutil.rmtree(cached)
    if not (cached / "built").exists():
        shutil.rmtree(cached, ignore_errors=True)
        cached.mkdir(parents=True)
        started = time.perf_counter()
        print(f"building a home with {count} missions in {cached} …", file=sys.stderr)
        asyncio.run(_build(cached, count))
        (cached / "built").write_text("ok")
        print(f"  built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    run_home = Path(tempfile.mkdtemp(prefix="solo-unicorn-cli-bench-run-"))
    shutil.copy2(cached / "replica.db", run_home / "replica.db")
    return run_home


# --- measuring -----------------------------------------------------------------------------------


@dataclass
class Figure:
    name: str
    command: Callable[[int], list[str]]
    floor_name: str
    floor: Callable[[int], list[str]]
    target: float | None
    same_output: bool = False
    memory_target: float | None = None
    """Also compare peak memory with the floor's (ratio of medians, against this target)."""


def _time(argv: Sequence[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, env=env, check=False)
    return time.perf_counter() - started, done


def _peak_rss(argv: Sequence[str], env: dict[str, str]) -> int:
    """Peak resident memory of the process in bytes, from GNU time (a child forked from this
    large interpreter would count the parent's pages as its own)."""
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *argv], capture_output=True, env=env, check=False
    )
    return int(done.stderr.decode().strip().splitlines()[-1]) * 1024


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(
    figure: Figure, runs: int, env: dict[str, str], baseline: dict[str, str] | None = None
) -> dict[str, object]:
    ours: list[float] = []
    floors: list[float] = []
    before: list[float] = []
    rss: list[int] = []
    floor_rss: list[int] = []
    identical = True
    for i in range(runs + 1):  # the first pair warms the page cache and is not counted
        spent, done = _time(figure.command(i), env)
        floor_spent, floor_done = _time(figure.floor(i), env)
        if baseline is not None:
            old_spent, old = _time(_as_baseline(figure.command(i)), {**env, **baseline})
            if old.returncode != done.returncode:
                sys.stderr.write(f"{figure.name}: the baseline exited {old.returncode}\n")
            if i:
                before.append(old_spent)
        differs = done.returncode != 0 or done.stdout != floor_done.stdout
        if figure.same_output and differs:
            if identical:
                sys.stderr.write(
                    f"{figure.name}: output differs from its floor\n"
                    f"{done.stderr.decode()[-500:]}{floor_done.stderr.decode()[-500:]}"
                )
            identical = False
        if i:
            ours.append(spent)
            floors.append(floor_spent)
        if i and figure.memory_target is not None and i <= 3:
            rss.append(_peak_rss(figure.command(i), env))
            floor_rss.append(_peak_rss(figure.floor(i), env))
    median, floor_median = statistics.median(ours), statistics.median(floors)
    ratio = median / floor_median
    memory_ratio = statistics.median(rss) / statistics.median(floor_rss) if rss else None
    ok = (figure.target is None or ratio <= figure.target) and identical
    if figure.memory_target is not None and memory_ratio is not None:
        ok = ok and memory_ratio <= figure.memory_target
    return {
        "figure": figure.name,
        "median": median,
        "p95": _p95(ours),
        "floor": figure.floor_name,
        "floor_median": floor_median,
        "floor_p95": _p95(floors),
        "ratio": ratio,
        "target": figure.target,
        "identical": identical if figure.same_output else None,
        "rss": statistics.median(rss) if rss else None,
        "floor_rss": statistics.median(floor_rss) if floor_rss else None,
        "memory_ratio": memory_ratio,
        "memory_target": figure.memory_target,
        "baseline_median": statistics.median(before) if before else None,
        "pass": ok,
    }


_BASELINE = (
    "import os, sys; sys.path.insert(0, os.environ['SOLO_UNICORN_BENCH_BASELINE']); "
    "from solo_unicorn_tui.cli.main import main; sys.exit(main())"
)


def _as_baseline(argv: list[str]) -> list[str]:
    """The same command, run from the baseline checkout's source (first on ``sys.path``)."""
    return [PY, "-c", _BASELINE, *argv[len(CLI) :]]


def figures(home: Path) -> list[Figure]:
    from storage.names import MISSION_JSON_FIELDS

    db = str(home / "replica.db")
    common = _FLOOR_COMMON % {"fields": MISSION_JSON_FIELDS}

    def floor(body: str, *extra: str) -> Callable[[int], list[str]]:
        return lambda _i: [PY, "-c", common + body, db, *extra]

    import sqlite3

    with sqlite3.connect(db) as conn:
        project = conn.execute("SELECT value FROM replica_meta WHERE key='project_id'").fetchone()
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM missions WHERE project_id = ? AND deleted = 0 AND list = 'todo'"
                " ORDER BY list_order, id LIMIT 20",
                project,
            )
        ]
    shown = ids[0]  # has a dependency and several events
    moved = ids[5]
    tail = ids[7]

    def cli(*args: str) -> Callable[[int], list[str]]:
        return lambda _i: [*CLI, *args]

    pass_floor = lambda _i: [PY, "-c", "pass"]  # noqa: E731
    sqla_floor = lambda _i: [PY, "-c", "import sqlalchemy"]  # noqa: E731
    return [
        Figure("--help", cli("--help"), "python -c pass", pass_floor, 4.0),
        Figure("unknown command", cli("bogus"), "python -c pass", pass_floor, 4.0),
        Figure(
            "mission add (no --title)", cli("mission", "add"), "python -c pass", pass_floor, 4.0
        ),
        Figure(
            "mission add --title x --json",
            lambda i: [*CLI, "mission", "add", "--title", f"bench {i}", "--json"],
            "import sqlalchemy",
            sqla_floor,
            1.5,
        ),
        Figure(
            "mission update ID --priority --json",
            lambda i: [*CLI, "mission", "update", tail, "--priority", str(1 + i % 5), "--json"],
            "import sqlalchemy",
            sqla_floor,
            1.5,
        ),
        Figure(
            "mission move ID --to --json",
            lambda i: [*CLI, "mission", "move", moved, "--to", LISTS[1 + i % 2], "--json"],
            "import sqlalchemy",
            sqla_floor,
            1.5,
        ),
        Figure(
            "mission show ID --json",
            cli("mission", "show", shown, "--json"),
            "stdlib script",
            floor(FLOOR_SHOW, shown),
            3.0,
            same_output=True,
        ),
        Figure(
            "mission list --limit 50 --json",
            cli("mission", "list", "--limit", "50", "--json"),
            "stdlib script",
            floor(FLOOR_LIST, "50"),
            3.0,
            same_output=True,
        ),
        Figure(
            "sync status --json",
            cli("sync", "status", "--json"),
            "stdlib script",
            floor(FLOOR_STATUS),
            3.0,
            same_output=True,
        ),
        Figure(
            "mission list --json (all)",
            cli("mission", "list", "--json"),
            "stdlib script",
            floor(FLOOR_LIST),
            None,
            same_output=True,
            memory_target=1.5,
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--missions", type=int, default=None, help="default 10000 (quick: 1000)")
    parser.add_argument("--runs", type=int, default=None, help="default 15 (quick: 5)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the cached home")
    parser.add_argument("--quick", action="store_true", help="1000 missions, 5 runs")
    parser.add_argument("--json", action="store_true", help="figures as JSON on stdout")
    parser.add_argument(
        "--baseline", type=Path, metavar="SRC", help="also time this checkout's source (before)"
    )
    args = parser.parse_args(argv)
    missions = args.missions or (1000 if args.quick else 10_000)
    runs = args.runs or (5 if args.quick else 15)

    home = prepared_home(missions, args.fresh)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOLO_UNICORN_")}
    env["SOLO_UNICORN_HOME"] = str(home)
    baseline = (
        None
        if args.baseline is None
        else {"SOLO_UNICORN_BENCH_BASELINE": str(args.baseline.resolve())}
    )
    load_before = os.getloadavg()
    try:
        results = [measure(f, runs, env, baseline) for f in figures(home)]
    finally:
        shutil.rmtree(home, ignore_errors=True)
    load_after = os.getloadavg()

    out = sys.stderr if args.json else sys.stdout
    print(
        f"solo-unicorn CLI, {missions} missions, {runs} paired runs each, "
        f"{os.cpu_count()} CPUs, load {load_before[0]:.2f} → {load_after[0]:.2f}",
        file=out,
    )
    header = (
        f"{'figure':38} {'median':>8} {'p95':>8}  {'floor':18} {'median':>8} {'p95':>8} "
        f"{'ratio':>6} {'target':>7} {'same':>4} {'memory':>14} "
        + ("{:>8} ".format("before") if baseline else "")
        + " result"
    )
    print(header, file=out)
    print("-" * len(header), file=out)
    for r in results:
        target = "info" if r["target"] is None else f"≤{r['target']:g}×"
        same = {None: "", True: "yes", False: "NO"}[r["identical"]]  # type: ignore[index]
        verdict = "info" if r["target"] is None and r["pass"] else ("pass" if r["pass"] else "FAIL")
        memory = (
            f"{r['rss'] / 2**20:.0f}M {r['memory_ratio']:.2f}×"  # type: ignore[operator]
            if r["rss"]
            else ""
        )
        old = (
            f"{r['baseline_median'] * 1000:7.0f}ms "  # type: ignore[operator]
            if baseline
            else ""
        )
        print(
            f"{r['figure']:38} {r['median'] * 1000:7.0f}ms {r['p95'] * 1000:7.0f}ms  "
            f"{r['floor']:18} {r['floor_median'] * 1000:7.0f}ms {r['floor_p95'] * 1000:7.0f}ms "
            f"{r['ratio']:5.2f}× {target:>7} {same:>4} {memory:>14} {old} {verdict}",
            file=out,
        )
    if args.json:
        print(json.dumps(_figures_json(results, missions)))
    return 0 if all(r["pass"] for r in results) else 1


def _figures_json(results: list[dict[str, object]], missions: int) -> list[dict[str, object]]:
    """The rows ``bench/run_all.py`` reads (its module docstring names the fields)."""
    rows: list[dict[str, object]] = []
    for r in results:
        rows.append(
            {
                "figure": f"{r['figure']} ({missions})",
                "value": r["median"],
                "unit": "s",
                "floor": r["floor_median"],
                "floor_name": r["floor"],
                "ratio": r["ratio"],
                "target": r["target"],
                "pass": None if r["target"] is None and r["identical"] is not False else r["pass"],
            }
        )
        if r["memory_target"] is not None and r["rss"]:
            rows.append(
                {
                    "figure": f"{r['figure']} peak memory ({missions})",
                    "value": r["rss"] / 2**20,  # type: ignore[operator]
                    "unit": "MiB",
                    "floor": r["floor_rss"] / 2**20,  # type: ignore[operator]
                    "floor_name": r["floor"],
                    "ratio": r["memory_ratio"],
                    "target": r["memory_target"],
                    "pass": r["memory_ratio"] <= r["memory_target"],  # type: ignore[operator]
                }
            )
    return rows


if __name__ == "__main__":
    sys.exit(main())
