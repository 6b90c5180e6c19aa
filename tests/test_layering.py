"""The dependency arrows point one way: solo_unicorn_tui → sync → storage.

Checked two ways: statically (no module imports a package above it) and at run time (importing
every headless module — storage, sync and the agent runtime — does not load Textual).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "storage": ("sync", "solo_unicorn_tui", "textual"),
    "sync": ("solo_unicorn_tui", "textual"),
    "solo_unicorn_tui/runtime": ("textual",),
}
HEADLESS_PACKAGES = ("storage", "sync", "solo_unicorn_tui.runtime")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_no_module_imports_upwards() -> None:
    offences = []
    for folder, forbidden in FORBIDDEN.items():
        for path in (ROOT / folder).rglob("*.py"):
            for name in _imports(path):
                if name.split(".")[0] in forbidden or any(
                    name == f or name.startswith(f + ".") for f in forbidden
                ):
                    offences.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offences == []


def test_headless_modules_never_load_textual() -> None:
    script = f"""
import importlib, json, pkgutil, sys
loaded = []
for package_name in {HEADLESS_PACKAGES!r}:
    try:
        package = importlib.import_module(package_name)
    except ModuleNotFoundError:
        continue
    for info in pkgutil.walk_packages(package.__path__, package_name + "."):
        if ".migrations." in info.name:
            continue
        importlib.import_module(info.name)
        loaded.append(info.name)
textual = any(m.split(".")[0] == "textual" for m in sys.modules)
print(json.dumps({{"loaded": loaded, "textual": textual}}))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    )
    report = json.loads(result.stdout)
    assert "storage.missions" in report["loaded"]
    assert report["textual"] is False
