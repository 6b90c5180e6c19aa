"""Runtime events as Textual messages: subscribe once, handle ``on_runtime_event_message``.

The runtime runs on the app's own event loop, so its listener may post messages directly.
Output lines are not forwarded: a message per output batch would crowd the queue, and the log
pane follows the session's log file instead (read in a thread, flushed on a timer). Only a
change of a session's latest activity is, as a :class:`SessionActivityChanged` (merged per
mission in the queue), and a session's end clears it.
"""

from __future__ import annotations

from textual.message_pump import MessagePump

from solo_unicorn_tui.runtime.core import Runtime
from solo_unicorn_tui.runtime.events import RuntimeEvent, SessionEnded, SessionOutput
from solo_unicorn_tui.ui.messages import RuntimeEventMessage, SessionActivityChanged

__all__ = ["RuntimeBridge", "RuntimeEventMessage"]


class RuntimeBridge:
    """Posts every non-output runtime event to ``target`` as a :class:`RuntimeEventMessage`,
    and activity changes as :class:`SessionActivityChanged`."""

    def __init__(self, runtime: Runtime, target: MessagePump) -> None:
        self.runtime = runtime
        self.target = target
        runtime.subscribe(self._on_event)

    def _on_event(self, event: RuntimeEvent) -> None:
        if isinstance(event, SessionOutput):
            if event.activity is not None:
                self.target.post_message(SessionActivityChanged(event.mission_id, event.activity))
            return
        if isinstance(event, SessionEnded):
            self.target.post_message(SessionActivityChanged(event.mission_id, None))
        self.target.post_message(RuntimeEventMessage(event))

    def close(self) -> None:
        self.runtime.unsubscribe(self._on_event)
