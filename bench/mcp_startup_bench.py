"""Time from spawning ``solo-unicorn mcp`` to its ``initialize`` answer, next to two floors.

    .venv/bin/python bench/mcp_startup_bench.py [--runs 10]

An agent CLI starts the MCP server once per session and waits for this handshake before its
first model call, so this is start-up latency a person waits through. Measured, each run a
fresh process on a fresh pipe, on a replica with one project and a few missions:

* ``python -c pass``: the interpreter alone;
* ``SDK floor``: the smallest server on the same SDK (``MCPServer`` with one tool, stdio),
  answering the same ``initialize``: what importing the SDK costs;
* ``solo-unicorn mcp``: ours, bound to a mission (opens the replica, checks the mission).

Wall time depends on what else runs; the CPU column (user + system time of the whole process,
start to exit) is steadier on a shared machine. Target: well under a second for ours on an
idle machine, and close to the SDK floor.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

INITIALIZE = (
    json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": "0"},
            },
        }
    )
    + "\n"
)

SDK_FLOOR = """
from mcp.server.mcpserver import MCPServer
server = MCPServer("floor")

@server.tool()
def ping() -> str:
    return "pong"

server.run()
"""


def _cpu_of(process: subprocess.Popen[str]) -> float:
    """User + system CPU seconds the finished child used (less load-dependent than wall time)."""
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    return usage.ru_utime + usage.ru_stime


def handshake(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds from spawn to the first line of the ``initialize`` answer, and the CPU seconds
    of the whole process (start, handshake, exit on end of input)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(INITIALIZE)
    process.stdin.flush()
    answer = json.loads(process.stdout.readline())
    elapsed = time.perf_counter() - start
    assert answer.get("id") == 1 and "result" in answer, answer
    process.stdin.close()
    return elapsed, _cpu_of(process)


def plain(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    start = time.perf_counter()
    process = subprocess.Popen(argv, env=env)
    cpu = _cpu_of(process)
    return time.perf_counter() - start, cpu


def make_home(root: Path) -> tuple[dict[str, str], str]:
    env = {**os.environ, "SOLO_UNICORN_HOME": str(root)}
    cli = [PYTHON, "-m", "solo_unicorn_tui.cli.main"]
    mission = ""
    for title in ("Bench mission", "Another", "A third"):
        out = subprocess.run(
            [*cli, "mission", "add", "--title", title, "--json"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        mission = mission or json.loads(out)["id"]
    return env, mission


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env, mission = make_home(Path(folder) / "home")
        script = Path(PYTHON).parent / "solo-unicorn"
        ours = [str(script)] if script.exists() else [PYTHON, "-m", "solo_unicorn_tui.cli.main"]
        rows = [
            ("python -c pass", lambda: plain([PYTHON, "-c", "pass"], env)),
            ("SDK floor (MCPServer)", lambda: handshake([PYTHON, "-c", SDK_FLOOR], env)),
            (
                "solo-unicorn mcp --mission",
                lambda: handshake([*ours, "mcp", "--mission", mission], env),
            ),
        ]
        for _name, run in rows:
            run()  # warm the bytecode caches and the replica once
        print(f"{args.runs} runs each, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
        print(f"{'':28} {'wall min':>9} {'median':>8} {'max':>8} {'CPU median':>11}")
        for name, run in rows:
            measured = [run() for _ in range(args.runs)]
            wall = [w for w, _ in measured]
            cpu = statistics.median(c for _, c in measured)
            print(
                f"{name:28} {min(wall) * 1000:7.0f}ms {statistics.median(wall) * 1000:6.0f}ms "
                f"{max(wall) * 1000:6.0f}ms {cpu * 1000:9.0f}ms"
            )


if __name__ == "__main__":
    main()
