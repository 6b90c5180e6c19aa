"""The Fallback area at the end of Todo: templates a fallback run draws new missions from."""

from __future__ import annotations

from textual.widgets import Static

from storage.board_queries import TemplateRow

EMPTY = "No templates yet: standing missions that refill Todo when the backlog runs low."


class FallbackArea(Static):
    DEFAULT_CSS = """
    FallbackArea {
        height: auto; max-height: 5; border-top: solid $primary 50%;
        color: $text-muted; padding: 0 1;
    }
    """

    def on_mount(self) -> None:
        self.border_title = "Fallback"

    def show(self, templates: list[TemplateRow]) -> None:
        if not templates:
            self.update(EMPTY)
            return
        lines = [f"{'◆' if t.enabled else '◇'} P{t.priority} {t.name}" for t in templates[:5]]
        if len(templates) > 5:
            lines.append(f"… and {len(templates) - 5} more")
        self.update("\n".join(lines))
