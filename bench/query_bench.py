"""The board's and the dispatcher's storage paths stay O(log n): each timed at 1k missions
(the floor) and at the larger sizes in the same run; the target is ≤ 2× the 1k figure.

    .venv/bin/python bench/query_bench.py [--sizes 1000,100000] [--repeat 200] [--quick] [--json]

``--quick`` is 1k and 10k with fewer repeats. Each replica is built like the board bench's
(``board_bench.build``, ULID ids, 30% of the missions in Todo) plus a few agent sessions.
Every figure is the median of ``--repeat`` calls of the function the product calls, on a
warm replica file:

* **dispatch pick**: ``storage.sessions.dispatchable_missions`` (the dispatcher, every 2 s);
* **id-tail lookup**: ``storage.missions.resolve_mission_id`` with a 6-character tail (every
  CLI call that names a mission) and the board's ``missions_by_id_tail``;
* **card window at depth**: ``cards_around`` 240 cards around the card 30% down Todo (keyset),
  with ``card_window`` by OFFSET at the same depth shown for comparison (no target);
* **list counts**: ``list_counts`` unfiltered (the board, on every reload);
* **agent stats**: ``storage.agent_stats.agent_stats`` (the workstation panel).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

TARGET = 2.0


async def _add_sessions(path: Path, count: int) -> None:
    """A handful of finished sessions on Done missions (the stats have something to count)."""
    from sqlalchemy import insert, select

    from storage.database import Database, sqlite_url
    from storage.models import CodeAgentSession, Mission

    db = await Database.open(sqlite_url(path))
    try:
        async with db.write() as conn:
            done = (
                await conn.execute(
                    select(Mission.id, Mission.organization_id)
                    .where(Mission.list == "done")
                    .limit(count)
                )
            ).all()
            await conn.execute(
                insert(CodeAgentSession.__table__),
                [
                    {
                        "id": f"session_{number:026d}",
                        "organization_id": org,
                        "mission_id": mission_id,
                        "workstation_id": "ws_bench",
                        "code_agent_type": "claude",
                        "code_agent_name": "claude",
                        "stage": "code",
                        "status": "completed" if number % 4 else "failed",
                        "duration_seconds": 60 + number,
                        "hlc": "",
                        "site_id": db.site_id,
                        "col_clocks": {},
                    }
                    for number, (mission_id, org) in enumerate(done)
                ],
            )
    finally:
        await db.close()


async def _median_seconds(call: Callable[[], Awaitable[Any]], repeat: int) -> float:
    await call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def measure(path: Path, repeat: int) -> dict[str, float]:
    from storage import board_queries as q
    from storage.agent_stats import agent_stats
    from storage.database import Database, sqlite_url
    from storage.missions import resolve_mission_id
    from storage.sessions import dispatchable_missions

    connection = sqlite3.connect(path)
    project_id, count = connection.execute(
        "SELECT project_id, count(*) FROM missions WHERE list = 'todo' GROUP BY project_id"
    ).fetchone()
    depth = int(count * 0.3)
    deep_id, deep_order = connection.execute(
        "SELECT id, list_order FROM missions WHERE list = 'todo' ORDER BY list_order, id "
        "LIMIT 1 OFFSET ?",
        (depth,),
    ).fetchone()

    async def run(sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        return connection.execute(sql, params).fetchall()

    db = await Database.open(sqlite_url(path))
    try:
        tail = deep_id[-6:].lower()
        assert await resolve_mission_id(db, tail) == deep_id
        assert await q.missions_by_id_tail(run, project_id, tail) == [deep_id]
        around = await q.cards_around(run, project_id, "todo", (deep_order, deep_id), 60, 240)
        offset = await q.card_window(run, project_id, "todo", depth - 60, 240)
        assert [c.id for c in around] == [c.id for c in offset], "keyset ≠ OFFSET window"
        figures = {
            "dispatch pick": lambda: dispatchable_missions(db, project_id),
            "id-tail lookup (CLI, resolve_mission_id)": lambda: resolve_mission_id(db, tail),
            "id-tail lookup (board)": lambda: q.missions_by_id_tail(run, project_id, tail),
            "card window 30% deep (keyset)": lambda: q.cards_around(
                run, project_id, "todo", (deep_order, deep_id), 60, 240
            ),
            "card window 30% deep (OFFSET, no target)": lambda: q.card_window(
                run, project_id, "todo", depth - 60, 240
            ),
            "list counts": lambda: q.list_counts(run, project_id),
            "agent stats": lambda: agent_stats(db, project_id),
        }
        return {name: await _median_seconds(call, repeat) for name, call in figures.items()}
    finally:
        await db.close()
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="1k and 10k, 50 repeats")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    sizes = [1000, 10000] if args.quick else [int(v) for v in args.sizes.split(",")]
    repeat = 50 if args.quick else args.repeat
    if sizes[0] != 1000:
        sizes.insert(0, 1000)  # the floor
    from board_bench import build

    results: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="su-query-bench-") as tmp:
        for size in sizes:
            path = Path(tmp) / f"replica-{size}.db"
            started = time.perf_counter()
            asyncio.run(build(path, size))
            asyncio.run(_add_sessions(path, 20))
            if not args.json:
                print(
                    f"built {size:,} missions in {time.perf_counter() - started:.1f} s", flush=True
                )
            results[size] = asyncio.run(measure(path, repeat))
    rows = []
    floor = results[1000]
    for size in sizes[1:]:
        for figure, value in results[size].items():
            ratio = value / floor[figure]
            graded = "no target" not in figure
            rows.append(
                {
                    "figure": f"{figure}, {size:,} missions",
                    "value": round(value * 1000, 4),
                    "floor": round(floor[figure] * 1000, 4),
                    "ratio": round(ratio, 2),
                    "target": f"≤ {TARGET:g}× the 1k figure" if graded else "",
                    "pass": ratio <= TARGET if graded else None,
                }
            )
    if args.json:
        print(json.dumps(rows))
        return
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"\nmachine: {os.cpu_count()} cpus, load average {load}; medians of {repeat} calls")
    print("| figure | value (ms) | floor: 1k (ms) | ratio | target | |")
    print("| --- | ---: | ---: | ---: | --- | --- |")
    for row in rows:
        verdict = "" if row["pass"] is None else ("pass" if row["pass"] else "FAIL")
        print(
            f"| {row['figure']} | {row['value']:.3f} | {row['floor']:.3f} | {row['ratio']:.2f}× "
            f"| {row['target']} | {verdict} |"
        )


if __name__ == "__main__":
    main()
