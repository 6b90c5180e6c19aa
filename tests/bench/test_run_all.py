"""bench/run_all.py: one table; a crashing bench is a FAIL row with its error, not an abort."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

GOOD = """
import json, sys
assert "--json" in sys.argv and "--quick" in sys.argv
print("a table for people", file=sys.stderr)
print(json.dumps([
    {"figure": "fast thing", "value": 0.02, "unit": "s", "floor": 0.01, "floor_name": "floor",
     "ratio": 2.0, "target": 3.0, "pass": True},
    {"figure": "slow thing", "value": 0.5, "unit": "s", "floor": 0.1, "ratio": 5.0,
     "target": 3.0, "pass": False},
]))
"""
CRASHES = """
import sys
if "--json" in sys.argv and "--quick" in sys.argv:
    raise RuntimeError("the server went away")
"""
NOT_A_BENCH = "print('no flags here')\n"


def test_table_shows_figures_and_a_crashed_bench(tmp_path: Path) -> None:
    (tmp_path / "a_good_bench.py").write_text(GOOD)
    (tmp_path / "b_crashing_bench.py").write_text(CRASHES)
    (tmp_path / "helper.py").write_text(NOT_A_BENCH)
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run_all.py"), "--quick", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].startswith("2 benches (quick)")
    assert lines[1].split() == ["bench", "figure", "value", "floor", "ratio", "target", "result"]
    body = "\n".join(lines[3:])
    assert body.splitlines()[0].split()[:2] == ["a_good_bench", "fast"]
    assert body.splitlines()[0].endswith("pass")
    assert "0.5s" in body and "5.00×" in body and "≤3×" in body
    assert body.splitlines()[1].endswith("FAIL")
    crashed = body.splitlines()[2]
    assert crashed.startswith("b_crashing_bench")
    assert "FAIL (exit 1): RuntimeError: the server went away" in crashed
    assert "helper" not in done.stdout and "Traceback" not in done.stdout


def test_only_names_a_bench_that_exists(tmp_path: Path) -> None:
    (tmp_path / "a_good_bench.py").write_text(GOOD)
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run_all.py"), "--dir", str(tmp_path), "--only", "x"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "no bench named x (benches: a_good_bench)" in done.stderr
