"""The Textual application: a thin shell that opens the board screen.

Start-up time is recorded from import (``STARTED``) to the first interactive frame (the first
cards on screen) so ``bench/board_bench.py`` can read it from ``app.ready_seconds``.
"""

from __future__ import annotations

import logging
import time

STARTED = time.perf_counter()

from collections.abc import Awaitable, Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from textual.app import App  # noqa: E402

from solo_unicorn_tui.ui.board_data import BoardData  # noqa: E402
from solo_unicorn_tui.ui.commands import BoardCommands  # noqa: E402
from solo_unicorn_tui.ui.messages import BoardReady  # noqa: E402
from solo_unicorn_tui.ui.screens.board import BoardScreen  # noqa: E402

log = logging.getLogger(__name__)


class SoloUnicornApp(App[None]):
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "Solo Unicorn"
    COMMANDS = App.COMMANDS | {BoardCommands}

    def __init__(
        self,
        open_data: Callable[[], Awaitable[BoardData]],
        *,
        keymap: dict[str, str] | None = None,
        theme: str | None = None,
        started: float | None = None,
    ) -> None:
        super().__init__()
        self._open_data = open_data
        self._keymap_overrides = keymap or {}
        self._theme_name = theme
        self.started = started if started is not None else STARTED
        self.ready_seconds: float | None = None
        self.board: BoardScreen | None = None

    def on_mount(self) -> None:
        if self._theme_name and self._theme_name in self.available_themes:
            self.theme = self._theme_name
        if self._keymap_overrides:
            self.set_keymap(self._keymap_overrides)
        self.board = BoardScreen(self._open_data)
        self.push_screen(self.board)

    def on_ready(self) -> None:
        log.info("first frame %.3f s after import", time.perf_counter() - self.started)

    def on_board_ready(self, _message: BoardReady) -> None:
        self.ready_seconds = time.perf_counter() - self.started
        log.info("board interactive %.3f s after import", self.ready_seconds)

    def apply_settings(self, settings: Any) -> None:
        """Theme and key map from the validated settings (they arrive once the replica opens)."""
        theme = getattr(settings, "theme", None)
        if theme and theme in self.available_themes and theme != self.theme:
            self.theme = theme
        keymap = getattr(settings, "keymap", None)
        if keymap:
            self.set_keymap(keymap)

    async def on_unmount(self) -> None:
        if self.board is not None and self.board.data is not None:
            await self.board.data.close()
