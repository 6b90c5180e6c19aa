"""Worktree set-up for a repository: ignored files to copy in, set-up and clean-up commands.

Commands are split like a shell would split them and run as an argv list, never through a
shell; the same settings are ``solo-unicorn repo set`` on the command line.
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from solo_unicorn_tui.ui.board_data import RepoSettings
from solo_unicorn_tui.ui.errors import report_failure

Save = Callable[[str, dict[str, object]], Awaitable[None]]


def _command(text: str, field: str) -> list[str] | None:
    try:
        argv = shlex.split(text)
    except ValueError as error:
        raise ValueError(f"{field}: {error}") from None
    return argv or None


class RepoSettingsScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="repo_settings_save"),
        Binding("escape", "cancel", "Cancel", id="repo_settings_cancel"),
    ]

    def __init__(self, repo: RepoSettings, save: Save) -> None:
        super().__init__()
        self.repo = repo
        self.save = save

    def compose(self) -> ComposeResult:
        repo = self.repo
        # It scrolls: on a small terminal (80x24) Tab brings every field into view.
        with VerticalScroll(classes="dialog form-dialog"):
            yield Static(f"Worktree set-up for {repo.name}", classes="dialog-title")
            yield Label("Ignored files to copy into each new worktree (globs, space-separated)")
            yield Input(
                " ".join(repo.copy_files), id="copy-files", placeholder=".env config/*.local"
            )
            yield Label("Set-up command, run once in each new worktree")
            yield Input(
                shlex.join(repo.setup_script or []), id="setup-script", placeholder="npm ci"
            )
            yield Label("Clean-up command, run before a worktree is removed")
            yield Input(shlex.join(repo.cleanup_script or []), id="cleanup-script")
            yield Static("", id="repo-settings-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        values = {
            name: self.query_one(f"#{name}", Input).value
            for name in ("copy-files", "setup-script", "cleanup-script")
        }
        try:
            changes: dict[str, object] = {
                "copy_files": shlex.split(values["copy-files"]),
                "setup_script": _command(values["setup-script"], "set-up command"),
                "cleanup_script": _command(values["cleanup-script"], "clean-up command"),
            }
        except ValueError as error:
            self._error(str(error))
            return
        self.run_worker(self._save(changes), exclusive=True)

    async def _save(self, changes: dict[str, object]) -> None:
        with report_failure(self, show=self._error) as failed:
            await self.save(self.repo.repo_id, changes)
        if not failed:
            self.dismiss(True)

    def _error(self, message: str) -> None:
        self.query_one("#repo-settings-error", Static).update(message)

    def action_cancel(self) -> None:
        self.dismiss(False)
