"""The architecture holds: the import contracts in pyproject.toml, headless imports, UI styles.

The contracts (``[tool.importlinter]``) are checked by the real ``lint-imports``, and each is shown
to fail on a copy of the sources with one bad import added. Importing the headless packages in a
fresh interpreter proves at run time what the contracts say statically: no Textual, nothing from a
package above.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("solo_unicorn_tui", "storage", "sync")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONTRACTS = {
    c["id"]: c["name"]
    for c in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "importlinter"
    ]["contracts"]
}
UI = ROOT / "solo_unicorn_tui" / "ui"

#: For each contract: a file added to the copy (or a line appended to one) that breaks it alone.
VIOLATIONS = {
    "arrows": ("storage/_violation.py", "import sync.errors\n"),
    "runtime-headless": (
        "solo_unicorn_tui/runtime/_violation.py",
        "def later() -> None:\n    import textual.app\n",
    ),
    "storage-sync-headless": ("sync/_violation.py", "from textual import on\n"),
    "views-no-database": (
        "solo_unicorn_tui/ui/widgets/_violation.py",
        "from sqlalchemy import select\n",
    ),
    "board-data-no-views": (
        "solo_unicorn_tui/ui/board_data.py",
        "\n\ndef _later() -> None:\n    import solo_unicorn_tui.ui.screens\n",
    ),
}


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    # Wide columns keep each contract's verdict on its own line.
    env = {**os.environ, "COLUMNS": "400", "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_import_contract_is_kept() -> None:
    done = _lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in CONTRACTS.values():
        assert f"{name} KEPT" in done.stdout
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in done.stdout


def test_each_contract_fails_on_a_bad_import(tmp_path: Path) -> None:
    assert set(VIOLATIONS) == set(CONTRACTS)
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    for path, code in VIOLATIONS.values():
        with (tmp_path / path).open("a", encoding="utf-8") as file:
            file.write(code)
    done = _lint_imports(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    for name in CONTRACTS.values():
        assert f"{name} BROKEN" in done.stdout, done.stdout
    assert f"Contracts: 0 kept, {len(CONTRACTS)} broken." in done.stdout
    for path, _ in VIOLATIONS.values():
        assert path.removesuffix(".py").replace("/", ".") in done.stdout


#: Per headless package: what importing all its modules must never load, and modules it has.
HEADLESS = {
    "storage": (("textual", "sync", "solo_unicorn_tui"), ("storage.missions", "storage.sessions")),
    "sync": (("textual", "solo_unicorn_tui"), ("sync.service", "sync.claims")),
    "solo_unicorn_tui.runtime": (("textual",), ("solo_unicorn_tui.runtime.core",)),
}
IMPORT_ALL = """
import importlib, json, pkgutil, sys
package_name, forbidden = sys.argv[1], tuple(sys.argv[2:])
def bad():
    return sorted({m.split(".")[0] for m in sys.modules} & set(forbidden))
loaded, first = [], None
package = importlib.import_module(package_name)
for info in pkgutil.walk_packages(package.__path__, package_name + "."):
    if ".migrations." in info.name:
        continue
    importlib.import_module(info.name)
    loaded.append(info.name)
    if first is None and bad():
        first = info.name
print(json.dumps({"loaded": loaded, "bad": bad(), "first": first}))
"""


@pytest.mark.parametrize("package", sorted(HEADLESS))
def test_headless_package_never_loads_textual_or_a_package_above(package: str) -> None:
    forbidden, known = HEADLESS[package]
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, package, *forbidden],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(known) <= set(report["loaded"])
    assert report["bad"] == [], f"importing {report['first']} loads {report['bad']}"


def test_no_module_reads_a_tcss_file_by_hand() -> None:
    offences = [
        str(path.relative_to(UI))
        for path in UI.rglob("*.py")
        if "read_text" in path.read_text(encoding="utf-8") and ".tcss" in path.read_text()
    ]
    assert offences == []
    for tcss in UI.rglob("*.tcss"):
        loader = tcss.with_suffix(".py")
        assert "CSS_PATH" in loader.read_text(), tcss
