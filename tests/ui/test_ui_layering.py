"""The UI's own arrows: views never reach the database, the board's data layer never a view."""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "solo_unicorn_tui" / "ui"
VIEWS = ("screens", "dialogs", "widgets")
DATABASE = ("sqlalchemy", "storage.database")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _under(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def test_screens_dialogs_and_widgets_never_import_the_database() -> None:
    offences = [
        f"{path.relative_to(UI)} imports {name}"
        for folder in VIEWS
        for path in (UI / folder).rglob("*.py")
        for name in _imports(path)
        if _under(name, DATABASE)
    ]
    assert offences == []


def test_the_board_data_layer_imports_no_view_and_no_textual() -> None:
    views = tuple(f"solo_unicorn_tui.ui.{folder}" for folder in VIEWS)
    names = _imports(UI / "board_data.py")
    assert [n for n in names if _under(n, (*views, "textual"))] == []


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
