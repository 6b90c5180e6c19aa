"""A modal form that saves through the domain before it closes.

The save runs in a worker; a storage error (one line) is shown under the fields and the form
stays open with everything the user typed. Cancelling with edits asks first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from solo_unicorn_tui.ui.errors import report_failure

Save = Callable[[dict[str, Any]], Awaitable[Any]]


class SavingForm(ModalScreen[bool]):
    """Subclasses compose their fields, a ``#form-error`` Static and save/cancel buttons."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="settings_form_save"),
        Binding("escape", "cancel", "Cancel", id="settings_form_cancel"),
    ]

    def __init__(self, save: Save) -> None:
        super().__init__()
        self._save_values = save
        self._initial: dict[str, Any] = {}

    def values(self) -> dict[str, Any]:
        raise NotImplementedError

    def on_mount(self) -> None:
        self._initial = self.values()

    @property
    def dirty(self) -> bool:
        return self.values() != self._initial

    def show_error(self, message: str) -> None:
        self.query_one("#form-error", Static).update(f"✗ {message}" if message else "")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        self.run_worker(self._save(self.values()), exclusive=True, group="form-save")

    async def _save(self, values: dict[str, Any]) -> None:
        with report_failure(self, show=self.show_error) as failed:
            await self._save_values(values)
        if failed:
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        from solo_unicorn_tui.ui.dialogs.confirm import ConfirmScreen

        if not self.dirty:
            self.dismiss(False)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(False)

        self.app.push_screen(
            ConfirmScreen(
                "Discard your changes?", "What you typed will be lost.", "Discard", "Keep editing"
            ),
            answered,
        )
