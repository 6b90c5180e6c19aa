"""Every board action in the command palette (ctrl+p)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from solo_unicorn_tui.ui.screens.board import BOARD_KEYS, BoardScreen

SKIP = {"clear_filter"}


class BoardCommands(Provider):
    def _commands(self) -> list[tuple[str, str, str]]:
        return [
            (text, action, keys.split(",")[0])
            for keys, action, text, _label in BOARD_KEYS
            if action not in SKIP
        ]

    def _board(self) -> BoardScreen | None:
        screen = self.screen
        return screen if isinstance(screen, BoardScreen) else None

    async def discover(self) -> Hits:
        board = self._board()
        if board is None:
            return
        for description, action, key in self._commands():
            yield DiscoveryHit(description, partial(board.run_action, action), help=f"key: {key}")

    async def search(self, query: str) -> Hits:
        board = self._board()
        if board is None:
            return
        matcher = self.matcher(query)
        for description, action, key in self._commands():
            score = matcher.match(description)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(description),
                    partial(board.run_action, action),
                    help=f"key: {key}",
                )
