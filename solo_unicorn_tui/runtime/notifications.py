"""Notifications when a session ends, fails, or its mission needs review.

Listeners in this process (the board's toast and bell) are called directly; a user's hook
command (an argv list from config) gets the event as JSON on stdin, so desktop or chat
notifications can be wired without a shell. A failing hook is logged, never fatal.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Literal

from solo_unicorn_tui.runtime.events import SessionEnded

log = logging.getLogger(__name__)

HOOK_TIMEOUT_SECONDS = 15.0

Kind = Literal["session_completed", "session_failed", "needs_review"]


@dataclass(frozen=True)
class Notification:
    kind: Kind
    mission_id: str
    title: str
    message: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


def notification_for(ended: SessionEnded, title: str | None) -> Notification:
    """What to tell the person at the board about a session that ended."""
    name = title or ended.mission_id
    if ended.status != "completed":
        return Notification("session_failed", ended.mission_id, name, ended.reason)
    if ended.mission_list == "review":
        return Notification(
            "needs_review", ended.mission_id, name, f"{ended.mission_stage} is ready for review"
        )
    return Notification(
        "session_completed",
        ended.mission_id,
        name,
        f"session done; now {ended.mission_list}, stage {ended.mission_stage}",
    )


class Notifier:
    def __init__(self, hook: list[str] | None = None) -> None:
        self.hook = hook
        self._listeners: list[Callable[[Notification], None]] = []

    def subscribe(self, listener: Callable[[Notification], None]) -> None:
        self._listeners.append(listener)

    async def notify(self, notification: Notification) -> None:
        for listener in list(self._listeners):
            try:
                listener(notification)
            except Exception:
                log.exception("notification listener failed")
        if self.hook:
            await self._run_hook(notification)

    async def _run_hook(self, notification: Notification) -> None:
        assert self.hook
        try:
            process = await asyncio.create_subprocess_exec(
                *self.hook,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as error:
            log.warning("notification hook %s could not start: %s", self.hook[0], error)
            return
        try:
            _, stderr = await asyncio.wait_for(
                process.communicate(notification.to_json().encode()), HOOK_TIMEOUT_SECONDS
            )
        except TimeoutError:
            process.kill()
            await process.wait()
            log.warning("notification hook %s timed out", self.hook[0])
            return
        if process.returncode:
            log.warning(
                "notification hook %s exited %s: %s",
                self.hook[0],
                process.returncode,
                stderr.decode(errors="replace")[-500:],
            )
