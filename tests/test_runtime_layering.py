"""The runtime runs headless: none of its modules may import Textual."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import solo_unicorn_tui.runtime as runtime_pkg
from tests.conftest import ROOT


def test_runtime_never_imports_textual():
    modules = [
        f"solo_unicorn_tui.runtime.{m.name}" for m in pkgutil.iter_modules(runtime_pkg.__path__)
    ]
    modules += ["storage.sessions", "storage.repositories", "storage.worktrees"]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(modules) >= 12
