"""Stream agent output through a real session into an open log view; compare with a raw pipe.

    .venv/bin/python bench/log_stream_bench.py [--mb 50]

A generated agent prints ``--mb`` MB of mixed output (plain lines, ANSI-coloured lines, 200 KB
lines without a break, some binary bytes). Measured in the same run:

* baseline: the same program's output read raw from a pipe (64 KiB reads, nothing else);
* listener: a real session (worktree, log file, runner) whose output lines reach the open
  ``SessionLogView`` through the runtime listener (the board's live pane);
* file: the same, but the view follows the session's log file (the session-log screen).

For each: throughput, the longest event-loop stall seen by a 5 ms ticker on the app's loop (the
UI cannot repaint or take keys during a stall; target <= 50 ms) and the peak RSS growth of this
process during the run (target: flat, independent of the amount streamed). The session rows run
twice: with Python's default garbage collector, and with ``gc.freeze()`` after start-up.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textual.app import App, ComposeResult  # noqa: E402

from solo_unicorn_tui.home import Home  # noqa: E402
from solo_unicorn_tui.runtime.agent_profiles import AgentProfile, AgentProfiles  # noqa: E402
from solo_unicorn_tui.runtime.core import Runtime  # noqa: E402
from solo_unicorn_tui.runtime.events import (  # noqa: E402
    RuntimeEvent,
    SessionEnded,
    SessionOutput,
    SessionStarted,
)
from solo_unicorn_tui.ui.widgets.session_log_view import SessionLogView  # noqa: E402
from solo_unicorn_tui.workspace import open_workspace  # noqa: E402
from storage import missions as mission_ops  # noqa: E402
from storage.repositories import link_repository  # noqa: E402

AGENT = r"""
import sys
total = int(sys.argv[1])
parts = []
for i in range(12000):
    if i % 10 < 7:
        parts.append(f"{i:08d} compiling src/module_{i % 500}.py -> build/module_{i % 500}.o ok\n")
    elif i % 10 < 9:
        parts.append(f"\x1b[32m✓\x1b[0m test_case_{i} passed in \x1b[1m0.{i % 100:02d}s\x1b[0m\n")
    else:
        parts.append(f"\x1b[31mERROR\x1b[0m something failed at step {i}\n")
    if i % 4000 == 0:
        parts.append('{"minified": "' + "x" * 200_000 + '"}\n')
    if i % 3000 == 1:
        parts.append("binary: " + "".join(chr(c) for c in range(32)) + "\n")
block = "".join(parts).encode("utf-8", "surrogateescape")
out = sys.stdout.buffer
sent = 0
while sent < total:
    piece = block[: total - sent]
    out.write(piece)
    sent += len(piece)
out.flush()
"""


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class RssSampler:
    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.start = rss_bytes()
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, rss_bytes())

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.start) / 1e6


class StallMeter:
    """A ticker on the event loop: the longest gap beyond its period is the longest stall.

    ``busiest`` is the most CPU time the loop's thread itself used within one tick interval:
    the part of a stall spent running code on the loop, as opposed to waiting for a CPU (other
    processes, the agent) or for the GIL (reader threads).
    """

    def __init__(self, period: float = 0.005) -> None:
        self.period = period
        self.longest = 0.0
        self.busiest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        last, cpu = time.perf_counter(), time.thread_time()
        while True:
            await asyncio.sleep(self.period)
            now, cpu_now = time.perf_counter(), time.thread_time()
            self.longest = max(self.longest, now - last - self.period)
            self.busiest = max(self.busiest, cpu_now - cpu)
            last, cpu = now, cpu_now

    def start(self) -> None:
        self._task = asyncio.create_task(self._tick())

    def stop(self) -> None:
        if self._task:
            self._task.cancel()


class LogHost(App[None]):
    def compose(self) -> ComposeResult:
        yield SessionLogView(id="log", max_lines=10_000)


async def baseline(agent: Path, total: int) -> dict[str, float]:
    meter = StallMeter()
    meter.start()
    with RssSampler() as rss:
        t0 = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(agent), str(total), stdout=asyncio.subprocess.PIPE
        )
        assert proc.stdout is not None
        got = 0
        while chunk := await proc.stdout.read(65536):
            got += len(chunk)
        await proc.wait()
        elapsed = time.perf_counter() - t0
    meter.stop()
    return {
        "mb": got / 1e6,
        "s": elapsed,
        "stall": meter.longest,
        "busy": meter.busiest,
        "rss": rss.growth_mb,
        "kept": 0,
    }


def make_repo(path: Path) -> None:
    path.mkdir(parents=True)
    for args in (
        ["init", "-q", "-b", "main"],
        ["config", "user.email", "b@example.com"],
        ["config", "user.name", "Bench"],
    ):
        subprocess.run(["git", *args], cwd=path, check=True)
    (path / "README.md").write_text("bench\n")
    subprocess.run(["git", "add", "."], cwd=path, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "init"], cwd=path, check=True)


async def through_session(
    tmp: Path, agent: Path, total: int, mode: str, *, freeze: bool
) -> dict[str, float]:
    home = Home(tmp / f"home-{mode}-{freeze}")
    os.environ["SOLO_UNICORN_HOME"] = str(home.root)
    ws = await open_workspace(home)
    repo = tmp / f"repo-{mode}-{freeze}"
    make_repo(repo)
    await link_repository(
        ws.db,
        ws.project_id,
        ws.identity.workstation_id,
        name="bench",
        main_path=str(repo),
        default_branch="main",
    )
    profiles = AgentProfiles.load(home)
    profiles.add(
        AgentProfile(
            name="gen", argv=[sys.executable, str(agent), str(total)], timeout_seconds=600
        ),
        make_default=True,
    )
    runtime = Runtime.from_workspace(ws, profiles=profiles)
    mission = await mission_ops.create_mission(
        ws.db, ws.project_id, mission_ops.MissionDraft(title="Bench output", ready=True)
    )
    app = LogHost()
    result: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(SessionLogView)
        ended = asyncio.Event()
        log_path: list[str] = []

        def listener(event: RuntimeEvent) -> None:
            if isinstance(event, SessionOutput) and mode == "listener":
                view.append_lines(event.lines)
            elif isinstance(event, SessionStarted):
                log_path.append(event.log_path)
                if mode == "file":
                    view.follow_file(event.log_path, tail_bytes=None)
            elif isinstance(event, SessionEnded):
                ended.set()

        runtime.subscribe(listener)
        await pilot.pause()
        gc.collect()
        if freeze:
            gc.freeze()
        meter = StallMeter()
        meter.start()
        with RssSampler() as rss:
            t0 = time.perf_counter()
            await runtime.run_mission(mission.id)
            await ended.wait()
            if mode == "file":
                size = Path(log_path[0]).stat().st_size
                while view.source_offset < size:
                    await asyncio.sleep(0.01)
            view.flush()
            await pilot.pause()
            elapsed = time.perf_counter() - t0
        meter.stop()
        size = Path(log_path[0]).stat().st_size
        result = {
            "mb": size / 1e6,
            "s": elapsed,
            "stall": meter.longest,
            "busy": meter.busiest,
            "rss": rss.growth_mb,
            "kept": view.line_count,
        }
        view.stop_following_file()
    await ws.db.close()
    gc.unfreeze()
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=None, help="default 50 (quick: 5)")
    parser.add_argument("--quick", action="store_true", help="5 MB")
    parser.add_argument("--json", action="store_true", help="figures as JSON on stdout")
    args = parser.parse_args()
    total = int((args.mb or (5.0 if args.quick else 50.0)) * 1e6)
    out = sys.stderr if args.json else sys.stdout
    with tempfile.TemporaryDirectory(prefix="su-bench-") as tmp_name:
        tmp = Path(tmp_name)
        agent = tmp / "agent.py"
        agent.write_text(AGENT)
        rows = [("raw pipe read (baseline)", await baseline(agent, total))]
        # The product never calls gc.freeze(), so neither does a figure of this bench.
        for mode in ("listener", "file"):
            name = f"session -> {'listener' if mode == 'listener' else 'log file'} -> view"
            rows.append((name, await through_session(tmp, agent, total, mode, freeze=False)))
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs, load average {load:.2f} at the end of the run", file=out)
    print(
        f"{'path':<42} {'MB':>7} {'s':>7} {'MB/s':>8} {'stall ms':>9} {'busy ms':>8} "
        f"{'RSS +MB':>8} {'kept':>7}",
        file=out,
    )
    for name, r in rows:
        print(
            f"{name:<42} {r['mb']:7.1f} {r['s']:7.2f} {r['mb'] / r['s']:8.1f} "
            f"{r['stall'] * 1000:9.1f} {r['busy'] * 1000:8.1f} {r['rss']:8.1f} {int(r['kept']):7d}",
            file=out,
        )
    print(
        "stall = longest event-loop gap seen by a 5 ms ticker (target <= 50 ms); busy = most CPU "
        "the loop thread itself used within one tick (the part of a stall that is our code on "
        "the loop, not waiting for a CPU or the GIL); RSS = peak growth of this process during "
        "the run; kept = lines held by the view.\n"
        "",
        file=out,
    )
    if args.json:
        base = rows[0][1]
        figures = []
        for name, r in rows[1:]:
            figures.append(
                {
                    "figure": f"{name}: longest loop stall",
                    "value": r["stall"] * 1000,
                    "unit": "ms",
                    "floor": None,
                    "ratio": None,
                    "target": 50.0,
                    "pass": r["stall"] * 1000 <= 50.0,
                }
            )
            figures.append(
                {
                    "figure": f"{name}: throughput",
                    "value": r["mb"] / r["s"],
                    "unit": "MB/s",
                    "floor": base["mb"] / base["s"],
                    "floor_name": "raw pipe read",
                    "ratio": (r["mb"] / r["s"]) / (base["mb"] / base["s"]),
                    "target": None,
                    "pass": None,
                }
            )
        print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
