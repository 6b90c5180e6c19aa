"""How cheap is Mission Fallback's backlog check? (target from seed 001: under 20 ms)

Seeds a temporary replica with N missions through the real write path, then times, in the same
run: a raw sqlite3 COUNT (the baseline), ``storage.fallback.backlog_count`` and a whole
``run_fallback_check`` that finds the backlog full (the common case, run every cadence).

    .venv/bin/python bench/fallback_backlog.py [N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storage.changes import ChangeWriter
from storage.database import Database, sqlite_url
from storage.fallback import backlog_count, run_fallback_check, set_config
from storage.identity import Machine, ensure_identity
from storage.models import Mission

REPEAT = 200
LISTS = ("todo", "doing", "review", "done")


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95)] * 1000


TARGET_MS = 20.0


async def main(count: int, as_json: bool) -> None:
    folder = Path(tempfile.mkdtemp(prefix="su-bench-"))
    db = await Database.open(sqlite_url(folder / "replica.db"))
    identity = await ensure_identity(db, Machine("bench", "bench-host", "linux", "x86_64", "", "0"))
    async with db.write() as conn:
        writer = ChangeWriter(db, conn)
        for n in range(count):
            await writer.insert(
                Mission.__table__,
                {
                    "organization_id": identity.organization_id,
                    "project_id": identity.project_id,
                    "title": f"mission {n}",
                    "list": LISTS[n % 4],
                    "ready": n % 3 == 0,
                    "list_order": float(n),
                },
            )
    await set_config(db, identity.project_id, backlog_threshold=5)

    raw = sqlite3.connect(folder / "replica.db")
    query = (
        "SELECT count(*) FROM missions WHERE deleted = 0 AND ready = 1 AND list = 'todo' "
        "AND project_id = ?"
    )
    plan = " / ".join(row[-1] for row in raw.execute("EXPLAIN QUERY PLAN " + query, ("x",)))
    baseline = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        raw.execute(query, (identity.project_id,)).fetchone()
        baseline.append(time.perf_counter() - start)

    counted = []
    async with db.read() as conn:
        for _ in range(REPEAT):
            start = time.perf_counter()
            backlog = await backlog_count(conn, identity.project_id)
            counted.append(time.perf_counter() - start)
    checks = []
    for _ in range(REPEAT // 4):
        start = time.perf_counter()
        result = await run_fallback_check(db, identity.project_id)
        checks.append(time.perf_counter() - start)
    assert result.run is None, result.reason
    await db.close()

    out = sys.stderr if as_json else sys.stdout
    print(f"missions: {count:,}  ready backlog: {backlog:,}  plan: {plan}", file=out)
    print(f"{'what':<44} {'median ms':>10} {'p95 ms':>10}", file=out)
    for name, samples in (
        ("raw sqlite3 COUNT (baseline)", baseline),
        ("storage.fallback.backlog_count", counted),
        ("run_fallback_check (backlog full, no run)", checks),
    ):
        median, p95 = _ms(samples)
        print(f"{name:<44} {median:>10.3f} {p95:>10.3f}", file=out)
    if as_json:
        floor, _ = _ms(baseline)
        check, _ = _ms(checks)
        print(
            json.dumps(
                [
                    {
                        "figure": f"run_fallback_check, {count} missions",
                        "value": check,
                        "unit": "ms",
                        "floor": floor,
                        "floor_name": "raw sqlite3 COUNT",
                        "ratio": check / floor,
                        "target": TARGET_MS,
                        "target_of": "value",
                        "pass": check <= TARGET_MS,
                    }
                ]
            )
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=None, help="default 20000")
    parser.add_argument("--quick", action="store_true", help="2000 missions")
    parser.add_argument("--json", action="store_true", help="figures as JSON on stdout")
    args = parser.parse_args()
    asyncio.run(main(args.count or (2000 if args.quick else 20_000), args.json))
