"""The home folder (``~/.solo-unicorn``, or ``$SOLO_UNICORN_HOME``) and the files in it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from solo_unicorn_tui.errors import UserError

HOME_ENV = "SOLO_UNICORN_HOME"


class Home(NamedTuple):
    """The home folder (immutable; a named tuple: ``dataclasses`` costs the CLI ~10 ms)."""

    root: Path

    @classmethod
    def locate(cls) -> Home:
        configured = os.environ.get(HOME_ENV)
        root = Path(configured).expanduser() if configured else Path.home() / ".solo-unicorn"
        return cls(root.absolute())

    @property
    def config_file(self) -> Path:
        return self.root / "config.json"

    @property
    def agents_file(self) -> Path:
        return self.root / "code-agents.json"

    @property
    def replica(self) -> Path:
        return self.root / "replica.db"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def sessions_dir(self) -> Path:
        return self.root / "sessions"

    @property
    def workspaces_dir(self) -> Path:
        return self.root / "workspaces"

    def session_log(self, session_id: str) -> Path:
        return self.sessions_dir / f"{session_id}.log"

    def ensure(self) -> None:
        """Create the folders, or fail with a message that says how to fix it."""
        try:
            for folder in (self.root, self.logs_dir, self.sessions_dir):
                folder.mkdir(parents=True, exist_ok=True)
            probe = self.root / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise UserError(
                f"cannot write to the home folder {self.root} ({reason}); "
                f"set {HOME_ENV} to a writable folder"
            ) from None
