"""The board as a user feels it, measured from outside through a real terminal (tmux).

    .venv/bin/python bench/terminal_bench.py [--sizes 1000,10000,100000] [--runs 5] [--json]

Every figure is read off a tmux pane at 160x48, the way a person sees it, next to a floor
measured in the same run: a minimal Textual app (`bench/minimal_textual_app.py`) started the
same way, showing the same cards in one list with the same caption line under it.

* **cold start**: from spawning the process to the first pane capture showing the first Todo
  card's title (the board: `solo-unicorn board`, exactly as a user starts it).
* **keys**: `j` pressed at a typing cadence of 100 ms, deep in the Todo list (after up to 20
  page downs, never past the list's end), each press timed until the pane shows the caption
  of the next card (the content is checked, not just "some frame"); `L` then `H` timed until
  the Todo count changed.
* **idle**: with nothing happening, the CPU the whole process tree uses over 10 s (from
  `/proc`) and the bytes written to the terminal (`tmux pipe-pane`).

Polling `capture-pane` costs a few milliseconds a probe; the floor pays the same cost, so the
ratio is fair, and the absolute figures are an upper bound.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

WIDTH, HEIGHT = 160, 48
CLI = Path(sys.executable).with_name("solo-unicorn")
MINIMAL_APP = ROOT / "bench" / "minimal_textual_app.py"
CADENCE = 0.100
KEY_PRESSES = 30
IDLE_SECONDS = 10.0
#: Page downs in the floor: it holds the board's window (240 cards), ~45 a page, and the
#: presses after them must stay inside it.
FLOOR_PAGES = 3
_CLK_TCK = os.sysconf("SC_CLK_TCK")
#: A tmux server of the bench's own (its own socket): no other session shares it, and a
#: session that stays (``keep``) means the server never exits between two panes.
TMUX = ["tmux", "-L", f"su-bench-{os.getpid()}"]


# --- a tmux pane -------------------------------------------------------------------------------


class Pane:
    """One detached tmux session running one command, read with capture-pane.

    A control-mode client (``tmux -C``) on the session reports every write to the pane
    (``%output``), so the pane is captured only after something was written, not polled: a
    probe costs one capture per frame the app draws, for the app and its floor alike, and an
    answer is timed at the write that preceded the capture that showed it.
    """

    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.name = name
        assignments = [f"{key}={value}" for key, value in env.items()]
        command = ["env", *assignments, *argv]
        self.writes: list[float] = []
        self._wrote = threading.Condition()
        self.spawned = time.perf_counter()
        subprocess.run(
            [
                *TMUX,
                *("new-session", "-d", "-s", name, "-x", str(WIDTH), "-y", str(HEIGHT)),
                subprocess.list2cmdline(command),
            ],
            check=True,
        )
        self._control = subprocess.Popen(
            [*TMUX, "-C", "attach", "-t", name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self._control.stdin is not None
        self._control.stdin.write(f"refresh-client -C {WIDTH}x{HEIGHT}\n".encode())
        self._control.stdin.flush()
        threading.Thread(target=self._follow, daemon=True).start()

    def _follow(self) -> None:
        assert self._control.stdout is not None
        for line in self._control.stdout:
            if line.startswith(b"%output"):
                with self._wrote:
                    self.writes.append(time.perf_counter())
                    self._wrote.notify_all()

    def capture(self) -> str:
        """The pane's text with its SGR styles (``-e``): the selection is a style."""
        done = subprocess.run(
            [*TMUX, "capture-pane", "-e", "-p", "-t", self.name], capture_output=True, text=True
        )
        return done.stdout

    def send(self, key: str) -> None:
        subprocess.run([*TMUX, "send-keys", "-t", self.name, key], check=True)

    def pid(self) -> int:
        done = subprocess.run(
            [*TMUX, "display-message", "-p", "-t", self.name, "#{pane_pid}"],
            capture_output=True,
            text=True,
            check=True,
        )
        return int(done.stdout.strip())

    def pipe_to(self, path: Path) -> None:
        subprocess.run([*TMUX, "pipe-pane", "-o", "-t", self.name, f"cat >> {path}"], check=True)

    def kill(self) -> None:
        subprocess.run([*TMUX, "kill-session", "-t", self.name], capture_output=True)
        self._control.kill()
        self._control.wait()

    def wait_for(
        self, check: Callable[[str], bool], since: float | None = None, timeout: float = 60.0
    ) -> float:
        """When (perf_counter) the pane was last written before the first capture for which
        ``check`` holds: captures follow writes (and one every 50 ms in case one was missed)."""
        deadline = time.perf_counter() + timeout
        since = self.spawned if since is None else since
        while time.perf_counter() < deadline:
            with self._wrote:
                last = self.writes[-1] if self.writes else None
                seen = len(self.writes)
            if check(self.capture()):
                return last if last is not None and last > since else time.perf_counter()
            with self._wrote:
                if len(self.writes) == seen:
                    self._wrote.wait(timeout=0.05)
        raise TimeoutError(
            f"{self.name}: the pane never showed what was expected:\n{self.capture()}"
        )


@contextmanager
def pane(name: str, argv: list[str], env: dict[str, str]) -> Iterator[Pane]:
    opened = Pane(name, argv, env)
    try:
        yield opened
    finally:
        opened.kill()


# --- what the two apps show --------------------------------------------------------------------


@dataclass
class Subject:
    """How to start one app and read its screen."""

    label: str
    argv: list[str]
    env: dict[str, str]
    #: reads the selected card's title off a styled capture (None: none selected yet)
    selected: Callable[[str], str | None]
    #: the Todo count in the screen text
    todo_count: re.Pattern[str] | None = None


def board_subject(home: Path) -> Subject:
    return Subject(
        label="board",
        argv=[str(CLI), "board"],
        env={"SOLO_UNICORN_HOME": str(home), "TERM": "xterm-256color"},
        selected=highlighted_card,
        todo_count=re.compile(r"Todo\s+(\d+)"),
    )


def floor_subject(replica: Path) -> Subject:
    return Subject(
        label="minimal Textual app",
        argv=[sys.executable, str(MINIMAL_APP), str(replica)],
        env={"TERM": "xterm-256color"},
        selected=caption_line,
    )


def first_todo_title(replica: Path) -> str:
    import sqlite3

    with sqlite3.connect(replica) as db:
        row = db.execute(
            "SELECT title FROM missions WHERE list = 'todo' AND deleted = 0 "
            "ORDER BY list_order, id LIMIT 1"
        ).fetchone()
    return str(row[0])


def todo_count(replica: Path) -> int:
    import sqlite3

    with sqlite3.connect(replica) as db:
        row = db.execute(
            "SELECT count(*) FROM missions WHERE list = 'todo' AND deleted = 0"
        ).fetchone()
    return int(row[0])


# --- the figures -------------------------------------------------------------------------------


@dataclass
class Figures:
    cold: list[float] = field(default_factory=list)
    j: list[float] = field(default_factory=list)
    move: list[float] = field(default_factory=list)
    idle_cpu: list[float] = field(default_factory=list)
    idle_bytes: list[int] = field(default_factory=list)


def tree_cpu_seconds(root_pid: int) -> float:
    """utime + stime of ``root_pid`` and every descendant, from /proc."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / _CLK_TCK
    tree = {root_pid}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return sum(times.get(pid, 0.0) for pid in tree)


_SGR = re.compile(r"\x1b\[[\d;]*m")
#: a card's first line: its style, the ▌ bar, its title
_CARD = re.compile(r"((?:\x1b\[[\d;]*m)+)▌((?:\x1b\[[\d;]*m)*)([^\x1b│]*)")
_BACKGROUND = re.compile(r"48;[\d;]+")
_CAPTION = re.compile(r"^ (.+?) — ", re.MULTILINE)


def plain(screen: str) -> str:
    return _SGR.sub("", screen)


def highlighted_card(screen: str) -> str | None:
    """The title of the one card drawn on a background no other card has: the selected one."""
    cards = [
        (_BACKGROUND.findall(style), title.strip()) for style, _, title in _CARD.findall(screen)
    ]
    counts: dict[str, int] = {}
    for backgrounds, _ in cards:
        for background in backgrounds[-1:]:
            counts[background] = counts.get(background, 0) + 1
    for backgrounds, title in cards:
        if backgrounds and counts[backgrounds[-1]] == 1 and title:
            return title
    return None


def caption_line(screen: str) -> str | None:
    found = _CAPTION.search(plain(screen))
    return found.group(1) if found else None


def measure(
    subject: Subject, first_title: str, run: int, figures: Figures, keys: bool, pages: int = 0
) -> None:
    name = f"su-bench-{os.getpid()}-{subject.label.split()[0]}-{run}"
    with pane(name, subject.argv, subject.env) as shown:
        ready = shown.wait_for(
            lambda screen: first_title in plain(screen) and subject.selected(screen) is not None
        )
        figures.cold.append(ready - shown.spawned)
        if not keys:
            return
        time.sleep(1.0)  # let start-up work (first sync attempt, panel) finish
        for _ in range(pages):
            shown.send("PageDown")
            time.sleep(0.05)
        time.sleep(0.5)
        for _ in range(KEY_PRESSES):
            before = subject.selected(shown.capture())
            pressed = time.perf_counter()
            shown.send("j")
            answered = shown.wait_for(
                lambda screen, was=before: subject.selected(screen) not in (None, was), pressed
            )
            figures.j.append(answered - pressed)
            time.sleep(max(0.0, CADENCE - (time.perf_counter() - pressed)))
        if subject.todo_count is not None:
            for key in ["L", "H"] * (KEY_PRESSES // 2):
                counted = subject.todo_count.search(plain(shown.capture()))
                before_count = counted.group(1) if counted else None
                pressed = time.perf_counter()
                shown.send(key)

                def moved(screen: str, before: str | None = before_count) -> bool:
                    found = subject.todo_count.search(plain(screen))  # type: ignore[union-attr]
                    return found is not None and found.group(1) != before

                figures.move.append(shown.wait_for(moved, pressed) - pressed)
                time.sleep(max(0.0, CADENCE - (time.perf_counter() - pressed)))
        time.sleep(2.0)
        with tempfile.NamedTemporaryFile(prefix="su-bench-pipe-", delete=False) as out:
            written = Path(out.name)
        try:
            shown.pipe_to(written)
            time.sleep(0.5)
            start_bytes = written.stat().st_size
            pid = shown.pid()
            cpu_before, wall_before = tree_cpu_seconds(pid), time.perf_counter()
            time.sleep(IDLE_SECONDS)
            cpu_after, wall_after = tree_cpu_seconds(pid), time.perf_counter()
            figures.idle_cpu.append((cpu_after - cpu_before) / (wall_after - wall_before))
            figures.idle_bytes.append(written.stat().st_size - start_bytes)
        finally:
            written.unlink(missing_ok=True)


# --- building the home -------------------------------------------------------------------------


def build_home(folder: Path, size: int) -> Path:
    from board_bench import build  # the board bench's replica builder: same rows as there

    home = folder / f"home-{size}"
    home.mkdir()
    asyncio.run(build(home / "replica.db", size))
    return home


def median_p95(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


Row = dict[str, object]


def _row(figure: str, value: float, floor: float | None, target: float, ratio_target: bool) -> Row:
    """One figure: ``target`` bounds the ratio to the floor or, else, the value itself."""
    ratio = value / floor if floor else None
    judged = ratio if ratio_target else value
    return {
        "figure": figure,
        "value": round(value, 4),
        "floor": None if floor is None else round(floor, 4),
        "ratio": None if ratio is None else round(ratio, 2),
        "target": f"≤ {target:g}× the floor" if ratio_target else f"≤ {target:g}",
        "pass": judged is not None and judged <= target,
    }


def table_rows(size: int, board: Figures, floor: Figures) -> list[Row]:
    at = f"{size:,} missions"
    j_med, j_p95 = median_p95(board.j)
    fj_med, fj_p95 = median_p95(floor.j)
    m_med, m_p95 = median_p95(board.move)
    return [
        _row(
            f"cold start to a card (s), {at}",
            statistics.median(board.cold),
            statistics.median(floor.cold),
            2,
            True,
        ),
        _row(f"`j` deep in the list, median (ms), {at}", j_med * 1000, fj_med * 1000, 16, False),
        _row(f"`j` deep in the list, p95 (ms), {at}", j_p95 * 1000, fj_p95 * 1000, 33, False),
        _row(f"`L`/`H` shown, median (ms), {at}", m_med * 1000, fj_med * 1000, 20, False),
        _row(f"`L`/`H` shown, p95 (ms), {at}", m_p95 * 1000, fj_p95 * 1000, 50, False),
        _row(
            f"idle CPU (% of a core), {at}",
            board.idle_cpu[0] * 100,
            floor.idle_cpu[0] * 100,
            2,
            False,
        ),
        _row(
            f"idle bytes written in {IDLE_SECONDS:g} s, {at}",
            board.idle_bytes[0],
            floor.idle_bytes[0],
            0,
            False,
        ),
    ]


def measure_sizes(sizes: str, runs: int, say: Callable[[str], None]) -> list[Row]:
    """Every figure at every size: the board and its floor, interleaved run by run."""
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="su-term-bench-") as tmp:
        for size in (int(value) for value in sizes.split(",")):
            started = time.perf_counter()
            home = build_home(Path(tmp), size)
            say(f"built {size:,} missions in {time.perf_counter() - started:.1f} s")
            replica = home / "replica.db"
            title = first_todo_title(replica)
            # Deep in the list but never past its end: about 14 cards a page on the board; the
            # floor holds the board's window of cards, so it goes as deep as fits in it.
            pages = min(20, todo_count(replica) // 100)
            floor_pages = min(pages, FLOOR_PAGES)
            board, floor = board_subject(home), floor_subject(replica)
            measure(board, title, -1, Figures(), keys=False)  # warm-up, not counted
            measure(floor, title, -1, Figures(), keys=False)
            got = {board.label: Figures(), floor.label: Figures()}
            for run in range(runs):
                # Interleaved, so a burst of load on the machine hits both alike.
                for subject, deep in ((board, pages), (floor, floor_pages)):
                    measure(subject, title, run, got[subject.label], keys=run == 0, pages=deep)
            rows += table_rows(size, got[board.label], got[floor.label])
    return rows


def main() -> None:
    global KEY_PRESSES, IDLE_SECONDS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--runs", type=int, default=5, help="cold starts per app and size")
    parser.add_argument(
        "--quick", action="store_true", help="10k missions, 2 runs, 20 presses, 5 s idle"
    )
    parser.add_argument("--json", action="store_true", help="print only the rows, as JSON")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.runs, KEY_PRESSES, IDLE_SECONDS = "10000", 2, 20, 5.0
    if shutil.which("tmux") is None:
        sys.exit("terminal_bench.py: error: tmux was not found; install it (apt install tmux)")
    say = (lambda text: None) if args.json else (lambda text: print(text, flush=True))
    subprocess.run([*TMUX, "new-session", "-d", "-s", "keep", "sleep 86400"], check=True)
    try:
        rows = measure_sizes(args.sizes, args.runs, say)
    finally:
        subprocess.run([*TMUX, "kill-server"], capture_output=True)
    if args.json:
        print(json.dumps(rows))
        return
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"\nmachine: {os.cpu_count()} cpus, load average {load}; tmux {WIDTH}x{HEIGHT}")
    print("| figure | board | floor | ratio | target | |")
    print("| --- | ---: | ---: | ---: | --- | --- |")
    for row in rows:
        ratio = "" if row["ratio"] is None else f"{row['ratio']}×"
        print(
            f"| {row['figure']} | {row['value']} | {row['floor']} | {ratio} | {row['target']} "
            f"| {'pass' if row['pass'] else 'FAIL'} |"
        )


if __name__ == "__main__":
    main()
