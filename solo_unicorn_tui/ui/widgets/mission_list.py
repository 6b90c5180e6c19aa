"""A virtualised list of mission cards: a Line-API ScrollView over a window of the list.

Only the window of cards around the viewport is held in memory (fetched through
:class:`~solo_unicorn_tui.ui.board_data.BoardData` in a worker) and only the visible lines are
rendered, each from an LRU cache of strips, so a list of 100k missions scrolls like one of ten.
"""

from __future__ import annotations

import textwrap
from collections import OrderedDict

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from solo_unicorn_tui.ui.board_data import BoardData, Window, WindowRequest
from storage.board_queries import CardRow

CARD_HEIGHT = 2
WINDOW = 240
MARGIN = 60
CACHE_SIZE = 512
SIZE_STEP = 32

EMPTY_TEXT = {
    "todo": "No missions here — press n to add one",
    "doing": "Nothing in progress",
    "review": "Nothing waiting for review",
    "done": "Nothing done yet",
}
SESSION_MARKS = {
    "starting": "◌ starting",
    "active": "▶ running",
    "completed": "✓ agent done",
    "failed": "✗ agent failed",
    "timeout": "⏱ timed out",
    "cancelled": "■ cancelled",
}


class MissionList(ScrollView, can_focus=False, inherit_bindings=False):
    """One board column's cards. The board screen owns selection and tells it which is active."""

    DEFAULT_CSS = """
    MissionList {
        height: 1fr;
        scrollbar-size-vertical: 1;
        background: $surface;
    }
    MissionList > .mission-list--card { background: $surface; color: $foreground; }
    MissionList > .mission-list--selected {
        background: $accent 40%; color: $foreground; text-style: bold;
    }
    MissionList > .mission-list--selected-inactive { background: $foreground 10%; }
    MissionList > .mission-list--dim { color: $text-muted; }
    MissionList > .mission-list--blocked { color: $error; text-style: bold; }
    MissionList > .mission-list--ready { color: $success; }
    MissionList > .mission-list--badge { color: $accent; }
    MissionList > .mission-list--p1 { color: $text-muted; }
    MissionList > .mission-list--p2 { color: $secondary; }
    MissionList > .mission-list--p3 { color: $accent; }
    MissionList > .mission-list--p4 { color: $warning; }
    MissionList > .mission-list--p5 { color: $error; text-style: bold; }
    """

    COMPONENT_CLASSES = {
        "mission-list--card",
        "mission-list--selected",
        "mission-list--selected-inactive",
        "mission-list--dim",
        "mission-list--blocked",
        "mission-list--ready",
        "mission-list--badge",
        "mission-list--p1",
        "mission-list--p2",
        "mission-list--p3",
        "mission-list--p4",
        "mission-list--p5",
    }

    class Clicked(Message):
        def __init__(self, mission_list: MissionList, index: int) -> None:
            super().__init__()
            self.mission_list = mission_list
            self.index = index

    class Loaded(Message):
        """The list's count or window changed (the column title shows the count)."""

        def __init__(self, mission_list: MissionList) -> None:
            super().__init__()
            self.mission_list = mission_list

    def __init__(self, list_name: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.list_name = list_name
        self.data: BoardData | None = None
        self.count = 0
        self.start = 0
        self.rows: list[CardRow] = []
        #: The list's last cards when ``rows`` does not reach its end (``Window.tail``).
        self.tail: list[CardRow] = []
        self.selected = 0
        self.active = False
        self.loaded = False
        self.filtered = False
        self._strips: OrderedDict[tuple[object, ...], Strip] = OrderedDict()
        self._styles: dict[str, Style] = {}
        self._wanted: int | None = None
        #: The card the selection stays on across reloads (the latest intent wins).
        self.follow_id: str | None = None
        #: Each running session's latest activity by mission id (the card's live line).
        self.activity: dict[str, str] = {}

    # --- model -----------------------------------------------------------------------------

    def card(self, index: int) -> CardRow | None:
        offset = index - self.start
        return self.rows[offset] if 0 <= offset < len(self.rows) else None

    @property
    def selected_card(self) -> CardRow | None:
        return self.card(self.selected) if self.count else None

    def set_window(self, count: int, start: int, rows: list[CardRow]) -> None:
        if self.loaded and (count, start, rows) == (self.count, self.start, self.rows):
            # a reload that finds what is shown (say after a move already shown) draws nothing
            self.selected = max(0, min(self.selected, count - 1))
            return
        self.count, self.start, self.rows = count, start, rows
        self.loaded = True
        self.selected = max(0, min(self.selected, count - 1))
        self._update_virtual_size()
        self.refresh()
        self.post_message(self.Loaded(self))

    def remove_selected(self) -> CardRow | None:
        """Take the selected card out (the move is shown before the write commits)."""
        row = self.selected_card
        if row is None:
            return None
        del self.rows[self.selected - self.start]
        self.tail = [card for card in self.tail if card.id != row.id]
        self.count -= 1
        self.selected = max(0, min(self.selected, self.count - 1))
        card = self.card(self.selected)
        self.follow_id = card.id if card else None
        self._update_virtual_size()
        self.refresh()
        self.post_message(self.Loaded(self))
        return row

    def append(self, row: CardRow) -> None:
        """Add a card at the end and select it (where a moved card lands)."""
        if self.start + len(self.rows) == self.count:
            self.rows.append(row)
        else:  # the end of the list, as last read: the card lands among its neighbours
            self.start, self.rows = self.count - len(self.tail), [*self.tail, row]
        self.tail = []
        self.count += 1
        self.selected = self.count - 1
        self.follow_id = row.id
        self._update_virtual_size()
        self.refresh()
        self.scroll_to_selected()
        self.post_message(self.Loaded(self))

    def swap_selected(self, step: int) -> bool:
        """Swap the selected card with its neighbour; False at either end of the list."""
        other = self.selected + step
        a, b = self.selected - self.start, other - self.start
        if not (0 <= other < self.count and 0 <= a < len(self.rows) and 0 <= b < len(self.rows)):
            return False
        self.rows[a], self.rows[b] = self.rows[b], self.rows[a]
        self.select(other)
        self.refresh_lines(min(a, b) * CARD_HEIGHT + self.start * CARD_HEIGHT, CARD_HEIGHT * 2)
        return True

    def select(self, index: int) -> None:
        if not self.count:
            return
        index = max(0, min(index, self.count - 1))
        previous, self.selected = self.selected, index
        card = self.card(index)
        self.follow_id = card.id if card else None
        self.refresh_lines(previous * CARD_HEIGHT, CARD_HEIGHT)
        self.refresh_lines(index * CARD_HEIGHT, CARD_HEIGHT)
        self.scroll_to_selected()

    def scroll_to_selected(self) -> None:
        region = Region(0, self.selected * CARD_HEIGHT, 1, CARD_HEIGHT)
        self.scroll_to_region(region, animate=False, immediate=True, x_axis=False)

    def set_activity(self, mission_id: str, activity: str | None) -> None:
        """Show (or, with None, clear) a running session's latest activity on its card."""
        if activity is None:
            if self.activity.pop(mission_id, None) is None:
                return
        elif self.activity.get(mission_id) == activity:
            return
        else:
            self.activity[mission_id] = activity
        for offset, row in enumerate(self.rows):
            if row.id == mission_id:
                self.refresh_lines((self.start + offset) * CARD_HEIGHT, CARD_HEIGHT)
                return

    def set_active(self, active: bool) -> None:
        if active != self.active:
            self.active = active
            self.refresh_lines(self.selected * CARD_HEIGHT, CARD_HEIGHT)

    @property
    def visible_cards(self) -> int:
        return max(1, self.scrollable_content_region.height // CARD_HEIGHT + 1)

    def _update_virtual_size(self) -> None:
        """Size the scroll area in steps of ``SIZE_STEP`` cards.

        A change of virtual size costs a full layout (~15 ms at 160×48); stepping it means moving
        a card between long lists almost never pays that, at the price of a few blank card slots
        past the end of a long list.
        """
        cards = (
            self.count
            if self.count <= self.visible_cards
            else -(-self.count // SIZE_STEP) * SIZE_STEP
        )
        size = Size(self.size.width, max(cards, 1) * CARD_HEIGHT)
        if size != self.virtual_size:
            self.virtual_size = size

    def on_resize(self) -> None:
        self._update_virtual_size()

    # --- loading ---------------------------------------------------------------------------

    def window_request(self) -> WindowRequest:
        """What to fetch to show this list again: the viewport, or the followed card."""
        top = int(self.scroll_offset.y) // CARD_HEIGHT
        anchor = top
        if not top <= self.selected < top + self.visible_cards:
            anchor = self.selected
        return WindowRequest(
            self.list_name, max(0, anchor - MARGIN), WINDOW, self.follow_id, MARGIN
        )

    def apply_window(self, window: Window) -> None:
        if window.selected is not None:
            self.selected = window.selected
        self._wanted = None
        self.tail = window.tail
        self.set_window(window.count, window.start, window.rows)
        card = self.card(self.selected)
        self.follow_id = card.id if card else None
        if window.selected is not None and self.active:
            self.scroll_to_selected()

    @work(exclusive=True, group="load")
    async def _load(self, around: int) -> None:
        """Fetch the window around a card scrolled into view that is not held yet."""
        data = self.data
        if data is None:
            return
        start = max(0, around - MARGIN)
        request = WindowRequest(self.list_name, start, WINDOW, anchor=self._anchor(start))
        window = (await data.windows([request]))[self.list_name]
        window.selected = None
        self.apply_window(window)

    def _anchor(self, start: int) -> tuple[int, tuple[float, str]] | None:
        """The first held card inside the window starting at ``start``: its index and key."""
        first = max(start, self.start)
        if first >= min(start + WINDOW, self.start + len(self.rows)):
            return None  # a jump past what is held: that window is read by OFFSET
        card = self.rows[first - self.start]
        return first, (card.list_order, card.id)

    def _want(self, index: int) -> None:
        if self._wanted is None:
            self._wanted = index
            self.call_later(self._load, index)

    # --- rendering -------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._strips.clear()

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            partial = name not in ("card", "selected", "selected-inactive")
            style = self.get_component_rich_style(f"mission-list--{name}", partial=partial)
            self._styles[name] = style
        return style

    def _text_line(self, text: str, width: int) -> Strip:
        base = self._style("card")
        return (
            Strip([Segment(" " + text, base + self._style("dim"))])
            .extend_cell_length(width, base)
            .crop(0, width)
        )

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        line = int(self.scroll_offset.y) + y
        base = self._style("card")
        if not self.loaded or not self.count:
            if not self.loaded:
                text = "Loading…"
            elif self.filtered:
                text = "No missions match the filter"
            else:
                text = EMPTY_TEXT.get(self.list_name, "Empty")
            lines = textwrap.wrap(text, max(8, width - 2))
            if line < len(lines):
                return self._text_line(lines[line], width)
            return Strip.blank(width, base)
        index, part = divmod(line, CARD_HEIGHT)
        if index >= self.count:
            return Strip.blank(width, base)
        row = self.card(index)
        if row is None:
            self._want(index)
            return self._text_line("…" if part == 0 else "", width)
        selected = index == self.selected
        key = (
            row.id,
            row.title,
            row.priority,
            row.stage,
            row.ready,
            row.agent_session_status,
            row.github_pr_number,
            row.review_status,
            row.blocked,
            self.activity.get(row.id) if part else None,
            part,
            width,
            selected,
            selected and self.active,
        )
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_card(row, part, width, selected)
            self._strips[key] = strip
            if len(self._strips) > CACHE_SIZE:
                self._strips.popitem(last=False)
        else:
            self._strips.move_to_end(key)
        return strip

    def _render_card(self, row: CardRow, part: int, width: int, selected: bool) -> Strip:
        if selected:
            base = self._style("selected" if self.active else "selected-inactive")
        else:
            base = self._style("card")
        dim = base + self._style("dim")
        priority = base + self._style(f"p{row.priority}")
        if part == 0:
            segments = [Segment("▌", priority), Segment(fit(row.title, width - 2), base)]
        else:
            segments = [Segment(f"  P{row.priority}", priority), Segment(f" {row.stage}", dim)]
            if row.ready:
                segments.append(Segment(" ● ready", base + self._style("ready")))
            if row.blocked:
                segments.append(Segment(" ⊘ blocked", base + self._style("blocked")))
            activity = self.activity.get(row.id)
            mark = SESSION_MARKS.get(row.agent_session_status)
            if mark and not activity:
                segments.append(Segment(f" {mark}", base + self._style("badge")))
            if row.review_status == "rejected":
                segments.append(Segment(" ↺ rejected", base + self._style("blocked")))
            elif row.review_status == "question":
                segments.append(Segment(" ? question", base + self._style("blocked")))
            if row.github_pr_number:
                pr = f" PR #{row.github_pr_number}"
                # "open" goes without saying; its review and checks marks do not
                shown = (row.pr_status or "").removeprefix("open").strip()
                if shown:
                    pr += f" {shown}"
                segments.append(Segment(pr, base + self._style("badge")))
            if activity:
                # the running session's latest activity stands in for its "▶ running" mark
                room = width - sum(cell_len(segment.text) for segment in segments)
                text = fit(f" ▸ {activity}", room)
                segments.append(
                    Segment(text or f" {SESSION_MARKS['active']}", base + self._style("badge"))
                )
        strip = Strip(fit_segments(segments, width)).extend_cell_length(width, base)
        return strip.crop(0, width)

    def on_click(self, event: events.Click) -> None:
        index = (int(self.scroll_offset.y) + event.y) // CARD_HEIGHT
        if 0 <= index < self.count:
            self.post_message(self.Clicked(self, index))


def fit_segments(segments: list[Segment], width: int) -> list[Segment]:
    """``segments`` cut to ``width`` cells; the last one kept ends in … when anything was cut."""
    out: list[Segment] = []
    used = 0
    for segment in segments:
        size = cell_len(segment.text)
        if used + size <= width:
            out.append(segment)
            used += size
            continue
        room = width - used
        cut = fit(segment.text, room) if room >= 4 else ""
        if cut:
            out.append(Segment(cut, segment.style))
        elif out:
            last = out.pop()
            allowed = cell_len(last.text) + room
            out.append(Segment(fit(last.text + "…", allowed) or "…", last.style))
        break
    return out


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells, ending in … when cut; "" when not even that fits."""
    if cell_len(text) <= width:
        return text
    if width < 4:
        return ""
    out: list[str] = []
    used = 0
    for char in text:
        size = cell_len(char)
        if used + size > width - 1:
            break
        out.append(char)
        used += size
    return "".join(out).rstrip() + "…"
