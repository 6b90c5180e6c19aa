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
from textual.theme import Theme  # noqa: E402

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
        demo: bool = False,
        config_file: Path | None = None,
        fresh_home: bool = False,
    ) -> None:
        """``config_file``: where a theme or project chosen on the board is remembered (None:
        nowhere, as in the demo and the tests); ``demo`` says DEMO in the header;
        ``fresh_home``: no replica yet, so the welcome board shows before it is made."""
        super().__init__()
        self._open_data = open_data
        self.demo = demo
        self.fresh_home = fresh_home
        self.config_file = config_file
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
        self._remembered_theme = self.theme
        self.theme_changed_signal.subscribe(self, self._theme_chosen)
        self.board = BoardScreen(self._open_data, demo=self.demo, fresh_home=self.fresh_home)
        self.push_screen(self.board)

    def _theme_chosen(self, theme: Theme) -> None:
        if theme.name != self._remembered_theme:
            self._remembered_theme = theme.name
            self.remember_setting("theme", theme.name)

    def remember_setting(self, key: str, value: str) -> None:
        """Save one choice made on the board into config.json (atomically, in a thread)."""
        if self.config_file is None:
            return
        self.run_worker(self._save_setting(self.config_file, key, value), group="settings")

    async def _save_setting(self, config_file: Path, key: str, value: str) -> None:
        import asyncio

        from solo_unicorn_tui.config import save_config_value

        try:
            await asyncio.to_thread(save_config_value, config_file, key, value)
        except Exception as error:  # a config.json that is not valid JSON, an unwritable home
            log.warning("could not remember %s: %s", key, error)
            self.notify(f"Could not save {key} to {config_file}: {error}", severity="warning")

    def on_ready(self) -> None:
        log.info("first frame %.3f s after import", time.perf_counter() - self.started)

    def on_board_ready(self, _message: BoardReady) -> None:
        self.ready_seconds = time.perf_counter() - self.started
        log.info("board interactive %.3f s after import", self.ready_seconds)

    def apply_settings(self, settings: Any) -> None:
        """Theme and key map from the validated settings (they arrive once the replica opens)."""
        theme = getattr(settings, "theme", None)
        if theme and theme in self.available_themes and theme != self.theme:
            self._remembered_theme = theme
            self.theme = theme
        keymap = getattr(settings, "keymap", None)
        if keymap:
            self.set_keymap(keymap)

    async def on_unmount(self) -> None:
        if self.board is not None and self.board.data is not None:
            await self.board.data.close()
