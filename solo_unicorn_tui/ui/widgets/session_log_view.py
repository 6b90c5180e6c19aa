"""A live view of an agent's output: ANSI colours, harmless control bytes, flat memory.

Lines arrive with :meth:`SessionLogView.append_lines` (from a runtime listener) or from a log file
with :meth:`SessionLogView.follow_file` (read and split in a thread). Either way they wait in a
bounded buffer and are flushed on a short timer, so a flood of output costs one refresh per tick.
Only the last ``max_lines`` lines are kept; a line is parsed (``Text.from_ansi``) only when it is
on screen, and the rendered strips sit in a small LRU cache.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import Worker

from solo_unicorn_tui.runtime.agent_process import LineSplitter
from solo_unicorn_tui.runtime.agents.session_events import readable_log_path

READ_CHUNK = 1024 * 1024
#: The view shows at most ``max_line_chars`` of a line: longer lines are cut into pieces here
#: (the runner itself keeps agent lines whole up to ``agent_process.MAX_LINE_BYTES``).
VIEW_LINE_BYTES = 64 * 1024
TAIL_BYTES = 512 * 1024
ERROR_PATTERN = re.compile(
    r"\b(error|errors|exception|traceback|failed|failure|fatal|panic)\b", re.IGNORECASE
)

_OSC = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")
_CSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
REPLACEMENT = "\ufffd"


def _harmless(text: str) -> str:
    text = text.rsplit("\r", 1)[-1] if "\r" in text else text
    return _CONTROL.sub(REPLACEMENT, text).expandtabs(4)


def sanitize_line(raw: str, limit: int = 4096) -> str:
    """Keep colour (SGR) escapes, drop every other escape, make control characters visible."""
    if len(raw) > limit:
        raw = raw[:limit]
    raw = _OSC.sub("", raw)
    out: list[str] = []
    last = 0
    for match in _CSI.finditer(raw):
        out.append(_harmless(raw[last : match.start()]))
        if match.group().endswith("m"):
            out.append(match.group())
        last = match.end()
    out.append(_harmless(raw[last:]))
    return "".join(out)


def render_log_line(raw: str, limit: int = 4096) -> Text:
    text = Text.from_ansi(sanitize_line(raw, limit), no_wrap=True, end="")
    if len(raw) > limit:
        text.append(f" … (+{len(raw) - limit:,} chars)", style="dim")
    return text


def _read_lines(
    path: Path, offset: int, splitter: LineSplitter, keep: int
) -> tuple[int, list[str], bool]:
    """Read what the file gained since ``offset``: (new offset, last ``keep`` lines, more?)."""
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        return offset, [], False
    if size < offset:  # truncated or replaced: start over
        offset = 0
    if size == offset:
        return offset, [], False
    with path.open("rb") as f:
        f.seek(offset)
        chunk = f.read(READ_CHUNK)
    lines = splitter.feed(chunk)[-keep:]
    if not lines:
        return offset + len(chunk), [], True
    text = b"\n".join(lines).decode("utf-8", "replace").split("\n")
    return offset + len(chunk), text, True


class SessionLogView(ScrollView, can_focus=True):
    """Scrollable, searchable log of one session. Public API: see the methods below."""

    DEFAULT_CSS = """
    SessionLogView {
        background: $surface;
        color: $text;
        overflow: scroll;
        scrollbar-gutter: stable;
    }
    SessionLogView > .session-log--match {
        background: $warning 40%;
    }
    """
    COMPONENT_CLASSES = {"session-log--match"}
    BINDINGS = [
        Binding("end,G", "follow", "Follow", show=False, id="log_follow"),
        Binding("t", "toggle_raw", "Raw/readable", show=False, id="log_toggle_raw"),
        Binding("home", "scroll_home", "Top", show=False),
    ]

    follow: reactive[bool] = reactive(True)
    """Keep the newest line in view; scrolling up turns it off, End turns it back on."""

    class FollowChanged(Message):
        def __init__(self, view: SessionLogView, follow: bool) -> None:
            super().__init__()
            self.view = view
            self.follow = follow

    def __init__(
        self,
        *,
        max_lines: int = 10_000,
        flush_interval: float = 0.06,
        max_line_chars: int = 4096,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.max_lines = max_lines
        self.flush_interval = flush_interval
        self.max_line_chars = max_line_chars
        self._lines: deque[str] = deque(maxlen=max_lines)
        self._pending: deque[str] = deque(maxlen=max_lines)
        self._first = 0
        self._total = 0
        self._width = 0
        self._highlight: int | None = None
        self._cache: LRUCache[tuple[int, bool], Strip] = LRUCache(512)
        self._follower: Worker[None] | None = None
        self.source: Path | None = None
        self.session_log: Path | None = None
        """The raw session log given to :meth:`follow_log` (the readable one sits next to it)."""
        self.raw = False
        """Show the agent's raw output instead of the readable lines of its events."""
        self.source_offset = 0
        """How far into :attr:`source` the view has read."""

    # --- feeding ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.set_interval(self.flush_interval, self.flush)

    def append_lines(self, lines: Iterable[str]) -> None:
        """Queue lines for the next flush (cheap: call it from a runtime listener)."""
        batch = lines if isinstance(lines, list | tuple) else list(lines)
        self._total += len(batch)
        self._pending.extend(batch[-self.max_lines :])

    def clear(self) -> None:
        self._lines.clear()
        self._pending.clear()
        self._cache.clear()
        self._first = self._total = self._width = 0
        self._highlight = None
        self.virtual_size = Size(0, 0)
        self.scroll_to(0, 0, animate=False)
        self.refresh()

    def flush(self) -> None:
        """Move queued lines into the view; called by the timer (tests may call it directly)."""
        if not self._pending:
            return
        batch = list(self._pending)
        self._pending.clear()
        before = len(self._lines)
        self._lines.extend(batch)
        dropped = before + len(batch) - len(self._lines)
        self._first += dropped
        longest = max(map(len, batch))
        self._width = max(self._width, min(longest, self.max_line_chars + 24))
        self.virtual_size = Size(self._width, len(self._lines))
        if self.follow:
            self.scroll_end(animate=False, immediate=True)
        elif dropped:
            self.scroll_to(y=max(0, self.scroll_y - dropped), animate=False, immediate=True)
        self.refresh()

    def follow_file(self, path: Path | str, *, tail_bytes: int | None = TAIL_BYTES) -> None:
        """Show a log file and keep reading what is appended (``tail_bytes=None``: whole file)."""
        self.stop_following_file()
        self.clear()
        self.source = Path(path)
        self.source_offset = 0
        self.follow = True
        self._follower = self.run_worker(
            self._follow(self.source, tail_bytes), group="session-log-follow", exclusive=True
        )

    def follow_log(self, log_path: Path | str) -> None:
        """Follow a session: its readable log (parsed agent events), or the raw output when
        :attr:`raw` is on or the session has no readable log (it predates them)."""
        self.session_log = Path(log_path)
        self.follow_file(self.shown_log())

    def shown_log(self) -> Path:
        assert self.session_log is not None
        readable = readable_log_path(self.session_log)
        if not self.raw and (readable.exists() or not self.session_log.exists()):
            return readable
        return self.session_log

    def action_toggle_raw(self) -> None:
        """Switch between the readable lines and the raw output of the session shown."""
        self.raw = not self.raw
        if self.session_log is not None:
            self.follow_file(self.shown_log())

    def stop_following_file(self) -> None:
        if self._follower is not None:
            self._follower.cancel()
            self._follower = None

    async def _follow(self, path: Path, tail_bytes: int | None, poll: float = 0.1) -> None:
        splitter = LineSplitter(VIEW_LINE_BYTES)
        offset = 0
        skip_partial = False
        if tail_bytes is not None:
            size = path.stat().st_size if path.exists() else 0
            if size > tail_bytes:
                offset, skip_partial = size - tail_bytes, True
        while True:
            offset, lines, more = await asyncio.to_thread(
                _read_lines, path, offset, splitter, self.max_lines
            )
            self.source_offset = offset
            if skip_partial and lines:
                lines = lines[1:]
                skip_partial = False
            if lines:
                self.append_lines(lines)
            if not more:
                await asyncio.sleep(poll)

    # --- reading ---------------------------------------------------------------------------

    @property
    def line_count(self) -> int:
        return len(self._lines)

    @property
    def total_lines(self) -> int:
        """Every line ever shown, including those dropped beyond ``max_lines``."""
        return self._total

    def lines(self) -> list[str]:
        return list(self._lines)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        at_end = new_value >= self.max_scroll_y
        if at_end != self.follow:
            self.follow = at_end

    def watch_follow(self, follow: bool) -> None:
        self.post_message(self.FollowChanged(self, follow))

    def action_follow(self) -> None:
        self.follow = True
        self.scroll_end(animate=False)

    def scroll_to_line(self, index: int) -> None:
        """Bring line ``index`` (0 = oldest kept) into view, near the middle, and mark it."""
        self._highlight = self._first + index
        self.follow = False
        self.scroll_to(y=max(0, index - self.size.height // 2), animate=False)
        self.refresh()

    def _find(self, predicate: Callable[[str], bool], backwards: bool) -> bool:
        """Mark the next matching line after (before) the marked one, wrapping around."""
        count = len(self._lines)
        if count == 0:
            return False
        if self._highlight is not None and self._highlight >= self._first:
            start = self._highlight - self._first
        else:
            start = count if backwards else -1
        step = -1 if backwards else 1
        for offset in range(1, count + 1):
            index = (start + step * offset) % count
            if predicate(self._lines[index]):
                self.scroll_to_line(index)
                return True
        return False

    def search(self, term: str, *, backwards: bool = False) -> bool:
        """Jump to the next (previous) line containing ``term`` (case-insensitive)."""
        needle = term.lower()
        if not needle:
            return False
        return self._find(lambda line: needle in sanitize_line(line).lower(), backwards)

    def next_error(self, *, backwards: bool = False) -> bool:
        """Jump to the next (previous) line that looks like an error."""
        return self._find(lambda line: ERROR_PATTERN.search(line) is not None, backwards)

    # --- rendering -------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        style = self.rich_style
        if index >= len(self._lines):
            return Strip.blank(width, style)
        absolute = self._first + index
        marked = absolute == self._highlight
        key = (absolute, marked)
        strip = self._cache.get(key)
        if strip is None:
            text = render_log_line(self._lines[index], self.max_line_chars)
            if marked:
                match_style = self.get_component_rich_style("session-log--match")
                text.stylize(Style(bgcolor=match_style.bgcolor))
            strip = Strip(list(text.render(self.app.console)))
            self._cache[key] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, style).apply_style(style)
