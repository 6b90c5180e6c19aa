"""``solo-unicorn board`` (the default command) and ``solo-unicorn demo``."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from solo_unicorn_tui.home import Home


def register(sub: Any) -> None:
    board = sub.add_parser("board", help="open the board on the local replica (the default)")
    board.add_argument(
        "--demo-if-empty",
        action="store_true",
        help="fill the replica with sample missions first if it has none",
    )
    board.set_defaults(handler=_board)
    demo = sub.add_parser(
        "demo", help="open the board on a throwaway replica filled with sample missions"
    )
    demo.set_defaults(handler=_demo)


async def _has_missions(ws: Any) -> bool:
    from sqlalchemy import text

    async with ws.db.read() as conn:
        found = await conn.execute(text("SELECT 1 FROM missions WHERE deleted = 0 LIMIT 1"))
        return found.first() is not None


async def run_board(home: Home, *, seed_if_empty: bool) -> int:
    from solo_unicorn_tui.config import load_settings
    from solo_unicorn_tui.ui.app import SoloUnicornApp
    from solo_unicorn_tui.ui.board_data import BoardData

    settings = load_settings(home)

    async def open_data() -> BoardData:
        from solo_unicorn_tui.workspace import open_workspace

        ws = await open_workspace(home)
        project_id = ws.project_id
        if seed_if_empty and not await _has_missions(ws):
            from solo_unicorn_tui.demo import seed_demo

            project_id = await seed_demo(ws.db, ws.identity)
        return BoardData(ws.db, ws.identity.organization_id, project_id, on_close=ws.db.close)

    app = SoloUnicornApp(open_data, keymap=settings.keymap, theme=settings.theme)
    await app.run_async()
    return app.return_code or 0


async def _board(args: argparse.Namespace) -> int:
    return await run_board(Home.locate(), seed_if_empty=args.demo_if_empty)


async def _demo(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="solo-unicorn-demo-") as root:
        return await run_board(Home(Path(root)), seed_if_empty=True)
