"""Runtime events as Textual messages: subscribe once, handle ``on_runtime_event`` anywhere.

The runtime runs on the app's own event loop, so its listener may post messages directly.
Output lines are usually better fed straight into a :class:`SessionLogView` (see
:meth:`RuntimeBridge.stream_to`), since a message per output batch would crowd the queue.
"""

from __future__ import annotations

from textual.message import Message
from textual.message_pump import MessagePump

from solo_unicorn_tui.runtime.core import Runtime
from solo_unicorn_tui.runtime.events import RuntimeEvent, SessionOutput
from solo_unicorn_tui.ui.widgets.session_log_view import SessionLogView


class RuntimeEventMessage(Message):
    """A runtime event (SessionStarted, SessionEnded, DispatcherChanged) for the UI."""

    def __init__(self, event: RuntimeEvent) -> None:
        super().__init__()
        self.event = event


class RuntimeBridge:
    """Posts every non-output runtime event to ``target`` as a :class:`RuntimeEventMessage`."""

    def __init__(self, runtime: Runtime, target: MessagePump) -> None:
        self.runtime = runtime
        self.target = target
        self._streams: dict[str, SessionLogView] = {}
        runtime.subscribe(self._on_event)

    def _on_event(self, event: RuntimeEvent) -> None:
        if isinstance(event, SessionOutput):
            view = self._streams.get(event.session_id)
            if view is not None:
                view.append_lines(event.lines)
            return
        self.target.post_message(RuntimeEventMessage(event))

    def stream_to(self, session_id: str, view: SessionLogView | None) -> None:
        """Send a running session's output lines to ``view`` (None stops it)."""
        self._streams = {session_id: view} if view is not None else {}

    def close(self) -> None:
        self.runtime.unsubscribe(self._on_event)
