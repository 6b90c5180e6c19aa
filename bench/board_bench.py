"""Board benchmark: cold start and key→frame latency at 1k / 10k / 100k missions.

Run: ``.venv/bin/python bench/board_bench.py`` (``--sizes 1000,10000`` to choose sizes).
``--first-run`` instead times ``solo-unicorn`` on a fresh home, from spawning it in a tmux pane to
the welcome board on screen (read with ``tmux capture-pane``), next to a minimal Textual app.

For each size it builds a replica (missions bulk-inserted in one transaction: this measures
reading, not the write path), then starts fresh processes:

* the board (``SoloUnicornApp``, exactly as ``solo-unicorn board`` builds it), and
* a baseline: a plain Textual app with four ``OptionList``s holding what the board holds, the
  first 240 cards (the board's window) of each list.

``--quick`` is 1k and 10k missions with one cold start each; ``--json`` prints only a JSON
list of rows (``figure``, ``value``, ``floor``, ``ratio``, ``target``, ``pass``).

Cold start is wall time from spawning the process to the first frame that shows cards
(the board: all four columns loaded; the baseline: options added). Key latency is measured
inside the app: the key event is handed to the driver and the time runs until the next frame
(``App._display``) that carries the change. "move card (saved)" runs until the write has
committed and the columns have reloaded from the replica. "undo z" presses ``z`` after the moves:
the next frame (the notice), and until the undo has committed and the columns have reloaded
(the card is back where it was).
"""

from __future__ import annotations

import time

SPAWNED_IMPORT = time.perf_counter()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = (160, 48)
WORDS = [
    "sync",
    "board",
    "agent",
    "worktree",
    "review",
    "flow",
    "cache",
    "index",
    "query",
    "login",
    "export",
    "parser",
]
SELECT_PRESSES = 120
#: The board's window of one list (``solo_unicorn_tui.ui.widgets.mission_list.WINDOW``).
BOARD_WINDOW = 240
MOVE_PRESSES = 40
UNDO_PRESSES = 20


# --- building replicas -------------------------------------------------------------------------


async def build(path: Path, count: int) -> None:
    from sqlalchemy import insert
    from ulid import ULID

    from storage.database import Database, sqlite_url
    from storage.identity import Machine, ensure_identity
    from storage.models import Mission

    db = await Database.open(sqlite_url(path))
    identity = await ensure_identity(db, Machine("bench", "bench-host", "linux", "x86_64", "", "0"))
    rng = random.Random(count)
    words = WORDS
    lists = ["todo"] * 30 + ["doing"] * 10 + ["review"] * 10 + ["done"] * 50
    orders = {"todo": 0.0, "doing": 0.0, "review": 0.0, "done": 0.0}
    rows = []
    for number in range(count):
        list_name = rng.choice(lists)
        orders[list_name] += 1000.0
        rows.append(
            {
                # ULIDs as the product mints them (random tails: id-tail lookups are real)
                "id": f"mission_{ULID.from_bytes(rng.randbytes(16))}",
                "organization_id": identity.organization_id,
                "project_id": identity.project_id,
                "title": f"{rng.choice(words).title()} {rng.choice(words)} #{number}",
                "priority": rng.randint(1, 5),
                "list": list_name,
                "list_order": orders[list_name],
                "stage": rng.choice(["clarify", "plan", "code"]),
                "ready": rng.random() < 0.4,
                "hlc": "",
                "site_id": db.site_id,
                "col_clocks": {},
            }
        )
    async with db.write() as conn:
        for start in range(0, len(rows), 5000):
            await conn.execute(insert(Mission.__table__), rows[start : start + 5000])
    await db.close()


# --- the child process: one app, measured from the inside --------------------------------------


def _median_p95(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def child(path: str, mode: str, spawned_at: float) -> None:
    from textual import events
    from textual.app import App

    frames: list[float] = []

    class Measured:
        """Mixed into both apps: record each frame and render it as a terminal would."""

        ready_wall: float | None = None
        want_ready = False

        def _display(self, screen: Any, renderable: Any) -> None:
            super()._display(screen, renderable)  # type: ignore[misc]
            if renderable is None:
                return
            if hasattr(renderable, "render_segments"):
                renderable.render_segments(self.console)  # type: ignore[attr-defined]
            now = time.perf_counter()
            frames.append(now)
            if self.want_ready and self.ready_wall is None:
                self.ready_wall = time.time()
                asyncio.get_running_loop().create_task(self.measure())  # type: ignore[attr-defined]

    async def next_frame_after(app: App[Any], key: str) -> float:
        before = len(frames)
        started = time.perf_counter()
        event = events.Key(key, key if len(key) == 1 else None)
        event.set_sender(app)
        app._driver.send_message(event)  # type: ignore[union-attr]
        while len(frames) == before:
            await asyncio.sleep(0.0005)
        return frames[before] - started

    async def idle(app: App[Any]) -> None:
        await asyncio.sleep(0.005)
        board = getattr(app, "board", None)
        while (board is not None and board.pending_writes) or any(
            w.is_running and w.group != "poll" for w in app.workers
        ):
            await asyncio.sleep(0.001)
        await asyncio.sleep(0.02)

    results: dict[str, Any] = {}

    if mode in ("board", "cli"):
        import solo_unicorn_tui.ui.app as app_module
        from solo_unicorn_tui.cli.board import run_board
        from solo_unicorn_tui.home import Home
        from solo_unicorn_tui.ui.app import SoloUnicornApp

        class BenchBoard(Measured, SoloUnicornApp):
            def on_board_ready(self, message: Any) -> None:
                super().on_board_ready(message)
                self.want_ready = True
                self.refresh()

            async def measure(self) -> None:
                await idle(self)
                if mode == "cli":
                    self.exit()
                    return
                select = []
                for i in range(SELECT_PRESSES):
                    select.append(await next_frame_after(self, "j" if (i // 30) % 2 == 0 else "k"))
                    await asyncio.sleep(0.01)
                shown, saved = [], []
                for i in range(MOVE_PRESSES):
                    key_started = time.perf_counter()
                    shown.append(await next_frame_after(self, "L" if i % 2 == 0 else "H"))
                    await idle(self)
                    saved.append(frames[-1] - key_started)
                undo_shown, undo_saved = [], []
                for _ in range(UNDO_PRESSES):
                    key_started = time.perf_counter()
                    undo_shown.append(await next_frame_after(self, "z"))
                    await idle(self)
                    undo_saved.append(frames[-1] - key_started)
                results.update(
                    select=select,
                    move_shown=shown,
                    move_saved=saved,
                    undo_shown=undo_shown,
                    undo_saved=undo_saved,
                )
                self.exit()

        holder: list[App[Any]] = []

        class Captured(BenchBoard):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                holder.append(self)

            async def run_async(self, **kwargs: Any) -> None:  # type: ignore[override]
                await super().run_async(headless=True, size=SIZE)

        async def run() -> None:
            await run_board(Home(Path(path).parent), app_class=Captured)

        if mode == "cli":
            # Exactly what `solo-unicorn board` runs: the CLI parser, then the board command.
            from solo_unicorn_tui.cli.main import main as cli_main

            os.environ["SOLO_UNICORN_HOME"] = str(Path(path).parent)
            app_module.SoloUnicornApp = Captured  # type: ignore[misc]
            cli_main(["board"])
        else:
            asyncio.run(run())
        app = holder[0]
    else:
        import sqlite3

        from textual.app import ComposeResult
        from textual.containers import Horizontal
        from textual.widgets import OptionList

        class Baseline(Measured, App[None]):
            def compose(self) -> ComposeResult:
                with Horizontal():
                    for name in ("todo", "doing", "review", "done"):
                        yield OptionList(id=name)

            def on_mount(self) -> None:
                # What the board holds: the first window (240 cards) of each list, not all
                conn = sqlite3.connect(path)
                grouped: dict[str, list[str]] = {}
                for name in ("todo", "doing", "review", "done"):
                    grouped[name] = [
                        f"P{priority} {title}\n  {stage}"
                        for title, priority, stage in conn.execute(
                            "SELECT title, priority, stage FROM missions WHERE deleted = 0 "
                            "AND list = ? ORDER BY list_order, id LIMIT ?",
                            (name, BOARD_WINDOW),
                        )
                    ]
                conn.close()
                for name, options in grouped.items():
                    self.query_one(f"#{name}", OptionList).add_options(options)
                self.query_one("#todo", OptionList).focus()
                self.want_ready = True

            async def measure(self) -> None:
                await idle(self)
                select = []
                for i in range(SELECT_PRESSES):
                    key = "down" if (i // 30) % 2 == 0 else "up"
                    select.append(await next_frame_after(self, key))
                    await asyncio.sleep(0.01)
                results.update(select=select)
                self.exit()

        app = Baseline()
        asyncio.run(app.run_async(headless=True, size=SIZE))

    results["cold"] = (app.ready_wall or time.time()) - spawned_at  # type: ignore[attr-defined]
    print("RESULT " + json.dumps(results))


# --- the parent: build, spawn, tabulate --------------------------------------------------------


def run_child(path: Path, mode: str) -> dict[str, Any]:
    spawned = time.time()
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(path), "--mode", mode, "--spawned", str(spawned)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{mode} run failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")


def ms(value: float) -> str:
    return f"{value * 1000:7.1f}"


# --- first run, from outside: tmux capture-pane ------------------------------------------------

#: A minimal Textual app, started the same way as the board, for the first-run comparison.
MINIMAL_APP = """
from textual.app import App
from textual.widgets import Footer, Static
class Minimal(App):
    BINDINGS = [("q", "quit", "Quit")]
    def compose(self):
        yield Static("minimal textual app ready")
        yield Footer()
Minimal().run()
"""


def first_frame_seconds(argv: list[str], marker: str, env: dict[str, str]) -> float:
    """Wall time from spawning ``argv`` in a fresh tmux pane until the pane shows ``marker``."""
    import shlex

    # A tmux server of its own each time: a new session must not meet one shutting down.
    socket = f"su-bench-{os.getpid()}-{time.monotonic_ns()}"
    session = "bench"
    command = " ".join(shlex.quote(part) for part in argv)
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    started = time.perf_counter()
    subprocess.run(
        [
            "tmux",
            "-L",
            socket,
            "new-session",
            "-d",
            "-s",
            session,
            "-x",
            "160",
            "-y",
            "48",
            f"env {exports} {command}",
        ],
        check=True,
    )
    try:
        while time.perf_counter() - started < 60:
            pane = subprocess.run(
                ["tmux", "-L", socket, "capture-pane", "-p", "-t", session],
                capture_output=True,
                text=True,
            ).stdout
            if marker in pane:
                return time.perf_counter() - started
            time.sleep(0.01)
        raise RuntimeError(f"{argv[0]} showed no {marker!r} within 60 s:\n{pane}")
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)


def first_run(runs: int) -> None:
    """``solo-unicorn`` on a fresh home (the welcome board, replica created) vs a minimal app."""
    cli = str(Path(sys.executable).with_name("solo-unicorn"))
    board, minimal = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="su-first-run-") as home:
            env = {"SOLO_UNICORN_HOME": home}
            board.append(first_frame_seconds([cli], "Three steps to a first run", env))
            minimal.append(
                first_frame_seconds([sys.executable, "-c", MINIMAL_APP], "minimal textual", {})
            )
    print(f"first interactive frame, fresh home, tmux 160x48, median (best) of {runs}:")
    for name, times in (("solo-unicorn (welcome board)", board), ("minimal Textual app", minimal)):
        print(f"  {name:30} {statistics.median(times):.3f} s ({min(times):.3f} s)")


def _json_row(figure: str, value: float, floor: float | None, target: float | None) -> Any:
    """``target`` bounds the ratio to the floor (None: the figure is shown, not judged)."""
    ratio = value / floor if floor else None
    return {
        "figure": figure,
        "value": round(value, 4),
        "floor": None if floor is None else round(floor, 4),
        "ratio": None if ratio is None else round(ratio, 2),
        "target": "" if target is None else f"≤ {target:g}× the floor",
        "pass": None if target is None or ratio is None else ratio <= target,
    }


def json_rows(size: int, cold: Any, cli_cold: Any, base_cold: Any, *lists: Any) -> list[Any]:
    select, base_select, shown, saved, undo = (list(values) for values in lists)
    at = f"{size:,} missions"
    s_med, s_p95 = _median_p95(select)
    b_med, b_p95 = _median_p95(base_select)
    m_med, m_p95 = _median_p95(shown)
    v_med, _ = _median_p95(saved)
    return [
        _json_row(f"board cold start (s), inside, {at}", cold[0], base_cold[0], 2),
        _json_row(f"`solo-unicorn board` cold start (s), {at}", cli_cold[0], base_cold[0], None),
        _json_row(f"select j/k median (ms), inside, {at}", s_med * 1000, b_med * 1000, None),
        _json_row(f"select j/k p95 (ms), inside, {at}", s_p95 * 1000, b_p95 * 1000, None),
        _json_row(f"move L/H shown median (ms), inside, {at}", m_med * 1000, b_med * 1000, None),
        _json_row(f"move L/H shown p95 (ms), inside, {at}", m_p95 * 1000, b_p95 * 1000, None),
        _json_row(f"move L/H saved median (ms), inside, {at}", v_med * 1000, None, None),
        _json_row(
            f"undo z shown median (ms), inside, {at}", _median_p95(undo[0])[0] * 1000, None, None
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--first-run", action="store_true", help="only: spawn to first frame on a fresh home"
    )
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--runs", type=int, default=3, help="cold starts per size (median)")
    parser.add_argument("--child")
    parser.add_argument("--mode", default="board")
    parser.add_argument("--spawned", type=float, default=0.0)
    parser.add_argument("--quick", action="store_true", help="1k and 10k, one cold start each")
    parser.add_argument("--json", action="store_true", help="print only the rows, as JSON")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.runs = "1000,10000", 1
    if args.child:
        child(args.child, args.mode, args.spawned)
        return
    if args.first_run:
        first_run(args.runs)
        return
    rows = []
    with tempfile.TemporaryDirectory(prefix="su-bench-") as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            (Path(tmp) / str(size)).mkdir()
            path = Path(tmp) / str(size) / "replica.db"
            started = time.perf_counter()
            asyncio.run(build(path, size))
            if not args.json:
                print(f"built {size:,} missions in {time.perf_counter() - started:.1f} s")
            run_child(path, "board")  # warm-up: file cache and bytecode, not counted
            boards, bases, cli_runs = [], [], []
            for _ in range(args.runs):
                # Interleaved, so a burst of load on the machine hits all three alike.
                boards.append(run_child(path, "board"))
                bases.append(run_child(path, "baseline"))
                cli_runs.append(run_child(path, "cli")["cold"])
            cli_cold = (statistics.median(cli_runs), min(cli_runs))
            colds = [b["cold"] for b in boards]
            cold = (statistics.median(colds), min(colds))
            base_colds = [b["cold"] for b in bases]
            base = {
                "cold": (statistics.median(base_colds), min(base_colds)),
                "select": [v for b in bases for v in b["select"]],
            }
            select = [v for b in boards for v in b["select"]]
            shown = [v for b in boards for v in b["move_shown"]]
            saved = [v for b in boards for v in b["move_saved"]]
            undo = (
                [v for b in boards for v in b["undo_shown"]],
                [v for b in boards for v in b["undo_saved"]],
            )
            rows.append(
                (size, cold, cli_cold, base["cold"], select, base["select"], shown, saved, undo)
            )
    if args.json:
        print(json.dumps([r for row in rows for r in json_rows(*row)]))
        return
    print()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"machine: {os.cpu_count()} cpus, load average {load}; Python {sys.version.split()[0]}; "
        f"terminal {SIZE}; cold starts: median (best) of {args.runs}"
    )
    print(
        "missions | cold start board | via `solo-unicorn board` | cold start 4×OptionList | "
        "select j/k median/p95 ms (board vs OptionList) | move card L/H shown median/p95 ms | "
        "move card saved median/p95 ms | undo z shown / saved median/p95 ms"
    )
    for size, cold, cli_cold, base_cold, select, base_select, shown, saved, undo in rows:
        s_med, s_p95 = _median_p95(select)
        b_med, b_p95 = _median_p95(base_select)
        m_med, m_p95 = _median_p95(shown)
        v_med, v_p95 = _median_p95(saved)
        z_med, z_p95 = _median_p95(undo[0])
        zs_med, zs_p95 = _median_p95(undo[1])
        print(
            f"{size:>8,} | {cold[0]:.2f} s ({cold[1]:.2f}) | "
            f"{cli_cold[0]:.2f} s ({cli_cold[1]:.2f}) | "
            f"{base_cold[0]:.2f} s ({base_cold[1]:.2f}) | "
            f"{ms(s_med)} /{ms(s_p95)}  vs {ms(b_med)} /{ms(b_p95)} | "
            f"{ms(m_med)} /{ms(m_p95)} | {ms(v_med)} /{ms(v_p95)} | "
            f"{ms(z_med)} /{ms(z_p95)} ; {ms(zs_med)} /{ms(zs_p95)}"
        )


if __name__ == "__main__":
    main()
