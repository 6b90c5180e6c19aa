"""A git diff, coloured line by line, in a virtualised ``Log`` (only visible lines are rendered).

The diff is text from the mission's branch, so anything may be in it: every control character
(escape sequences included) is shown as U+FFFD and very long lines are cut, so a 200k-character
diff or a minified file scrolls like a short one.
"""

from __future__ import annotations

import re

from rich.highlighter import Highlighter
from rich.style import Style
from rich.text import Text
from textual.widgets import Log

MAX_LINE_CHARS = 1_000
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")

#: (line prefix, component class), first match wins
KINDS: tuple[tuple[str, str], ...] = (
    ("diff --git", "diff-view--file"),
    ("+++", "diff-view--header"),
    ("---", "diff-view--header"),
    ("@@", "diff-view--hunk"),
    ("+", "diff-view--added"),
    ("-", "diff-view--removed"),
    ("…", "diff-view--note"),
)


def clean_line(line: str, limit: int = MAX_LINE_CHARS) -> str:
    """One line as it may be shown: tabs expanded, control characters visible, length capped."""
    line = line.removesuffix("\r")
    extra = len(line) - limit
    if extra > 0:
        line = line[:limit]
    line = _CONTROL.sub("\ufffd", line.expandtabs(4))
    return f"{line} … (+{extra:,} chars)" if extra > 0 else line


def file_of(header: str) -> str:
    """The path a ``diff --git a/X b/Y`` line is about (Y; X for a deletion's /dev/null)."""
    rest = header.removeprefix("diff --git ")
    if " b/" in rest:
        return rest.rsplit(" b/", 1)[1]
    return rest.removeprefix("a/")


def _split(text: str) -> list[str]:
    return text.removesuffix("\n").split("\n") if text else []


class DiffHighlighter(Highlighter):
    def __init__(self, styles: list[tuple[str, Style]]) -> None:
        self.styles = styles

    def highlight(self, text: Text) -> None:
        plain = text.plain
        for prefix, style in self.styles:
            if plain.startswith(prefix):
                text.stylize(style)
                return


class DiffView(Log):
    """Stat, then patch; ``show`` replaces the content and goes back to the top.

    The whole diff shows first; :meth:`show_file` shows one file's part alone (``]``/``[`` in
    the review step through them), ``None`` the whole diff again.
    """

    DEFAULT_CSS = """
    DiffView { scrollbar-gutter: stable; }
    DiffView > .diff-view--file { color: $warning; text-style: bold; }
    DiffView > .diff-view--header { text-style: bold; }
    DiffView > .diff-view--hunk { color: $secondary; }
    DiffView > .diff-view--added { color: $success; }
    DiffView > .diff-view--removed { color: $error; }
    DiffView > .diff-view--note { color: $text-muted; text-style: italic; }
    """
    COMPONENT_CLASSES = {name for _prefix, name in KINDS}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(highlight=True, auto_scroll=False, id=id)
        self.highlighter = DiffHighlighter([])
        self.files: list[tuple[int, str]] = []
        """(line where the file's part starts in the whole diff, its path), in diff order."""
        self.file_shown: int | None = None
        """The file shown alone, or None: the whole diff."""
        self._all: list[str] = []

    @classmethod
    def _process_line(cls, line: str) -> str:
        return _CONTROL.sub("\ufffd", line.expandtabs(4))

    def on_mount(self) -> None:
        self._resolve_styles()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self.is_mounted:
            self._resolve_styles()

    def _resolve_styles(self) -> None:
        self.highlighter = DiffHighlighter(
            [(prefix, self.get_component_rich_style(name)) for prefix, name in KINDS]
        )

    def show(self, stat: str, patch: str, truncated: bool) -> None:
        lines = [clean_line(line) for line in _split(stat)]
        if lines:
            lines.append(" ")  # Log drops an empty string
        start = len(lines)
        lines.extend(clean_line(line) for line in _split(patch))
        self.files = [
            (start + n, file_of(line))
            for n, line in enumerate(lines[start:])
            if line.startswith("diff --git ")
        ]
        if truncated:
            lines.append("… the diff is longer: the rest is cut (see it with git in the worktree)")
        self._all = lines
        self.show_file(None)

    def show_file(self, index: int | None) -> None:
        """Show file ``index`` of :attr:`files` alone, or (None) the whole diff, from its top."""
        if index is None or not self.files:
            self.file_shown = None
            shown = self._all
        else:
            self.file_shown = index = max(0, min(index, len(self.files) - 1))
            start = self.files[index][0]
            end = self.files[index + 1][0] if index + 1 < len(self.files) else len(self._all)
            shown = self._all[start:end]
        self.clear()
        self.write_lines(shown, scroll_end=False)
        self.scroll_home(animate=False, immediate=True)
