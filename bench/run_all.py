"""Run every bench in ``bench/`` and print one table against issue 18's targets.

    .venv/bin/python bench/run_all.py [--quick] [--only NAME …] [--skip NAME …] [--timeout S]

A bench is any ``bench/*.py`` (not starting with ``_``, not this file) whose source declares
both ``--json`` and ``--quick``: the convention every bench follows. Each runs as its own process
(``python bench/NAME.py --json [--quick]``) and prints, on stdout, JSON: a list of figures (or
``{"results": [...]}``), each ``{"figure", "value", "floor", "ratio", "target", "pass"}`` with
optional ``"unit"``, ``"floor_name"`` and ``"target_of"`` (``"ratio"``, the default when there is
a ratio, or ``"value"``); its human table goes to stderr. ``ratio`` is
value / floor from the same run, ``target`` the highest ratio (or value) the issue allows, None
for a figure shown for information. A bench that crashes, prints no JSON or runs past
``--timeout`` shows as one FAIL row with its one-line error; the table is always printed.
Exit status 0 only when every figure passes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
NOT_BENCHES = {"run_all", "minimal_textual_app"}


@dataclass
class Row:
    bench: str
    figure: str
    value: str
    floor: str
    ratio: str
    target: str
    verdict: str


def discover(folder: Path) -> list[Path]:
    """The benches in ``folder`` (see the module docstring for the convention)."""
    found = []
    for path in sorted(folder.glob("*.py")):
        if path.stem.startswith("_") or path.stem in NOT_BENCHES:
            continue
        source = path.read_text(encoding="utf-8", errors="replace")
        if '"--json"' in source and '"--quick"' in source:
            found.append(path)
    return found


def _one_line(text: str, limit: int = 110) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line = lines[-1] if lines else "no output"
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _parse(stdout: str) -> list[dict[str, Any]] | None:
    text = stdout.strip()
    candidates = [text]
    # A bench may print other lines first: take the JSON that starts a line, last one wins.
    for marker in ("\n[", "\n{"):
        at = text.rfind(marker)
        if at >= 0:
            candidates.append(text[at + 1 :])
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, dict):
            data = data.get("results")
        if isinstance(data, list) and all(isinstance(item, dict) for item in data):
            return data
    return None


def _number(value: Any, unit: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if abs(value) >= 100:
        return f"{value:.0f}{unit}"
    return f"{value:.2f}{unit}" if abs(value) >= 1 else f"{value:.3g}{unit}"


def _rows_of(bench: str, figures: list[dict[str, Any]]) -> list[Row]:
    rows = []
    for item in figures:
        unit = str(item.get("unit") or "")
        target = item.get("target")
        ratio = item.get("ratio")
        passed = item.get("pass")
        verdict = "info" if passed is None else "pass" if passed else "FAIL"
        floor = _number(item.get("floor"), unit)
        if item.get("floor_name"):
            floor = f"{floor} ({item['floor_name']})" if floor else str(item["floor_name"])
        rows.append(
            Row(
                bench,
                str(item.get("figure", "?")),
                _number(item.get("value"), unit),
                floor,
                f"{ratio:.2f}×" if isinstance(ratio, int | float) else "",
                target if isinstance(target, str) else _target(target, item, unit),
                verdict,
            )
        )
    return rows or [Row(bench, "(no figures)", "", "", "", "", "FAIL")]


def _target(target: Any, item: dict[str, Any], unit: str) -> str:
    """``≤3×`` for a target on the ratio, ``≤100ms`` for one on the value (``target_of``)."""
    if target is None:
        return ""
    on_value = item.get("target_of", "ratio" if item.get("ratio") is not None else "value")
    return f"≤{target:g}{unit}" if on_value == "value" else f"≤{target:g}×"


def run_bench(path: Path, quick: bool, timeout: float) -> list[Row]:
    argv = [sys.executable, str(path), "--json", *(["--quick"] if quick else [])]
    name = path.stem
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, check=False, cwd=BENCH_DIR.parent
        )
    except subprocess.TimeoutExpired:
        return [Row(name, "(bench)", "", "", "", "", f"FAIL: timed out after {timeout:g} s")]
    except OSError as error:
        return [Row(name, "(bench)", "", "", "", "", f"FAIL: {error}")]
    figures = _parse(done.stdout)
    if figures is None:
        why = _one_line(done.stderr or done.stdout)
        return [Row(name, "(bench)", "", "", "", "", f"FAIL (exit {done.returncode}): {why}")]
    return _rows_of(name, figures)


def render(rows: list[Row]) -> str:
    headers = Row("bench", "figure", "value", "floor", "ratio", "target", "result")
    table = [headers, *rows]
    widths = [max(len(getattr(r, f)) for r in table) for f in Row.__dataclass_fields__]
    lines = []
    for index, row in enumerate(table):
        cells = [getattr(row, f) for f in Row.__dataclass_fields__]
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (each bench's --quick)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these benches")
    parser.add_argument("--skip", nargs="+", metavar="NAME", default=[], help="skip these")
    parser.add_argument(
        "--timeout", type=float, default=1800.0, metavar="S", help="per bench (default 1800)"
    )
    parser.add_argument("--dir", type=Path, default=BENCH_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    benches = discover(args.dir)
    names = {p.stem for p in benches}
    unknown = sorted(set(args.only or []) - names) + sorted(set(args.skip) - names)
    if unknown:
        parser.error(f"no bench named {', '.join(unknown)} (benches: {', '.join(sorted(names))})")
    chosen = [
        p for p in benches if (not args.only or p.stem in args.only) and p.stem not in args.skip
    ]
    rows: list[Row] = []
    started = time.perf_counter()
    load = os.getloadavg()[0]
    for path in chosen:
        print(f"running {path.stem} …", file=sys.stderr, flush=True)
        rows.extend(run_bench(path, args.quick, args.timeout))
    print(
        f"{len(chosen)} benches{' (quick)' if args.quick else ''} in "
        f"{time.perf_counter() - started:.0f} s, {os.cpu_count()} CPUs, "
        f"load {load:.2f} → {os.getloadavg()[0]:.2f}"
    )
    print(render(rows))
    return 0 if rows and all(not r.verdict.startswith("FAIL") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
