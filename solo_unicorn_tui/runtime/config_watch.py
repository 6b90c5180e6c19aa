"""Notice edits of the home's files (``code-agents.json``, ``config.json``) while a board runs.

A ``stat`` of each file on the caller's timer (every few seconds; no thread, no busy loop): a
changed modification time, size or existence counts as an edit, e.g. ``solo-unicorn agent add``
run in another terminal.
"""

from __future__ import annotations

from pathlib import Path

Stamp = tuple[int, int] | None


def _stamp(path: Path) -> Stamp:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


class ConfigWatch:
    def __init__(self, *paths: Path) -> None:
        self._stamps = {path: _stamp(path) for path in paths}

    def changed(self) -> list[Path]:
        """The files edited since the last call (or since the watch began)."""
        edited = []
        for path, before in self._stamps.items():
            now = _stamp(path)
            if now != before:
                self._stamps[path] = now
                edited.append(path)
        return edited
