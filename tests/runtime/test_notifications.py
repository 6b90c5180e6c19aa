"""A notification reaches in-process listeners and the user's hook command."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from solo_unicorn_tui.runtime.notifications import Notification, Notifier


async def test_hook_receives_the_event_as_json(tmp_path: Path) -> None:
    out = tmp_path / "received.json"
    hook = [sys.executable, "-c", f"import sys; open({str(out)!r}, 'w').write(sys.stdin.read())"]
    seen: list[Notification] = []
    notifier = Notifier(hook)
    notifier.subscribe(seen.append)
    event = Notification("needs_review", "mission_1", "Fix login; rm -rf ~", "plan ready")
    await notifier.notify(event)
    assert seen == [event]
    assert json.loads(out.read_text())["title"] == "Fix login; rm -rf ~"


async def test_broken_hooks_and_listeners_are_not_fatal(tmp_path: Path) -> None:
    def explode(_: Notification) -> None:
        raise RuntimeError("listener bug")

    for hook in ([str(tmp_path / "missing-binary")], [sys.executable, "-c", "raise SystemExit(3)"]):
        notifier = Notifier(hook)
        notifier.subscribe(explode)
        await notifier.notify(Notification("session_failed", "m", "t", "boom"))
