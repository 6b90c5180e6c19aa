"""Narrow the board: title text, priority, stage, ready."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from solo_unicorn_tui.ui.board_data import BoardData
from storage.board_queries import BoardFilter


class FilterScreen(ModalScreen[BoardFilter | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="filter_cancel"),
        Binding("ctrl+r", "clear", "Clear", id="filter_clear"),
    ]

    def __init__(self, current: BoardFilter, data: BoardData | None = None) -> None:
        super().__init__()
        self.current = current
        self.data = data

    def compose(self) -> ComposeResult:
        flt = self.current
        with Vertical(classes="dialog"):
            yield Static("Filter the board", classes="dialog-title")
            yield Label("Title contains")
            yield Input(flt.text, placeholder="any title", id="filter-text")
            with Horizontal(classes="filter-row"):
                with Vertical():
                    yield Label("Priority")
                    yield Select(
                        [(f"P{p}", p) for p in range(5, 0, -1)],
                        value=flt.priority if flt.priority is not None else Select.NULL,
                        prompt="any",
                        id="filter-priority",
                    )
                with Vertical():
                    yield Label("Stage")
                    yield Select(
                        [(flt.stage, flt.stage)] if flt.stage else [],
                        value=flt.stage or Select.NULL,
                        prompt="any",
                        id="filter-stage",
                    )
                with Vertical():
                    yield Label("Ready")
                    yield Select(
                        [("ready", True), ("not ready", False)],
                        value=flt.ready if flt.ready is not None else Select.NULL,
                        prompt="any",
                        id="filter-ready",
                    )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply (enter)", variant="primary", id="apply")
                yield Button("Clear (ctrl+r)", id="clear")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#filter-text", Input).focus()
        if self.data is not None:
            self._load_stages()

    @work
    async def _load_stages(self) -> None:
        assert self.data is not None
        stages = await self.data.stages()
        select = self.query_one("#filter-stage", Select)
        value = select.value
        select.set_options([(s, s) for s in stages])
        if value in stages:
            select.value = value

    def _build(self) -> BoardFilter:
        def chosen(widget_id: str) -> object:
            value = self.query_one(widget_id, Select).value
            return None if value is Select.NULL else value

        priority = chosen("#filter-priority")
        stage = chosen("#filter-stage")
        ready = chosen("#filter-ready")
        return BoardFilter(
            text=self.query_one("#filter-text", Input).value.strip(),
            # The priority options carry int values; Select hands them back untyped.
            priority=int(priority) if priority is not None else None,  # type: ignore[call-overload]
            stage=str(stage) if stage is not None else None,
            ready=bool(ready) if ready is not None else None,
        )

    def on_input_submitted(self) -> None:
        self.dismiss(self._build())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            self.dismiss(self._build())
        elif event.button.id == "clear":
            self.action_clear()
        else:
            self.action_cancel()

    def action_clear(self) -> None:
        self.dismiss(BoardFilter())

    def action_cancel(self) -> None:
        self.dismiss(None)
