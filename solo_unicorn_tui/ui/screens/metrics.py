"""The metrics screen (``M``): the project's last days at a glance, charts above the numbers.

Small charts (Textual ``Sparkline``) for what a person would rather look at than read —
missions done and created, sessions, failure rate, tokens, cost, fallback missions accepted and
the average backlog — each with the last day's value and the mean, and below them the table of
days, newest first (with fallback proposals made, which have no chart).
The figures come from :mod:`storage.metrics` through the loader the board hands in.
Keys: ``t`` cycles 7 / 30 / 90 days, ``r`` reloads, ``escape`` goes back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Sparkline, Static

if TYPE_CHECKING:
    from storage.metrics import DayMetrics

MetricsLoader = Callable[[int], Awaitable[list["DayMetrics"]]]
"""The last N days, oldest first (``BoardData.daily_metrics`` on the board)."""

RANGES = (7, 30, 90)
#: (chart id, label, the day's value, how a value reads)
CHARTS: tuple[tuple[str, str, Callable[[DayMetrics], float], Callable[[float], str]], ...] = (
    ("done", "Done", lambda d: d.missions_done, lambda v: f"{v:.3g}"),
    ("created", "Created", lambda d: d.missions_created, lambda v: f"{v:.3g}"),
    ("sessions", "Sessions", lambda d: d.sessions, lambda v: f"{v:.3g}"),
    ("failures", "Failed", lambda d: d.failure_rate or 0.0, lambda v: f"{v:.0%}"),
    ("tokens", "Tokens", lambda d: d.tokens, lambda v: f"{v:,.0f}"),
    ("cost", "Cost", lambda d: d.cost_usd, lambda v: f"${v:.2f}"),
    ("fallback", "Fallback", lambda d: d.fallback_accepted, lambda v: f"{v:.3g}"),
    ("backlog", "Backlog", lambda d: d.avg_backlog, lambda v: f"{v:.1f}"),
)


def chart_caption(
    label: str,
    days: list[DayMetrics],
    value: Callable[[DayMetrics], float],
    fmt: Callable[[float], str],
) -> str:
    """``label``, the last day's value in bold, and the mean over the days."""
    if not days:
        return label
    mean = sum(value(d) for d in days) / len(days)
    return f"{label} [b]{fmt(value(days[-1]))}[/b] · avg {fmt(mean)}"


class MetricsScreen(Screen[None]):
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS = [
        Binding("escape,q", "back", "Back", id="metrics_back"),
        Binding("t", "cycle_range", "Range", id="metrics_range"),
        Binding("r", "reload", "Reload", id="metrics_reload"),
    ]

    def __init__(self, load: MetricsLoader, *, days: int = 30, name: str | None = None) -> None:
        super().__init__(name=name)
        self.load = load
        self.days = days
        self.metrics: list[DayMetrics] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="metrics-title")
        with Grid(id="metrics-charts"):
            for chart_id, label, _value, _fmt in CHARTS:
                with Vertical(classes="metrics-chart"):
                    yield Static(label, id=f"caption-{chart_id}", classes="metrics-caption")
                    yield Sparkline([], id=f"chart-{chart_id}")
        yield DataTable(id="metrics-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        from storage.metrics import CELL_HEADERS

        self.query_one(DataTable).add_columns(*CELL_HEADERS)
        self.action_reload()

    @work(exclusive=True, group="metrics")
    async def action_reload(self) -> None:
        self.query_one("#metrics-title", Static).update(
            f"Project metrics · loading {self.days} days…"
        )
        self.show(await self.load(self.days))

    def show(self, metrics: list[DayMetrics]) -> None:
        self.metrics = metrics
        first = metrics[0].day.isoformat() if metrics else "-"
        last = metrics[-1].day.isoformat() if metrics else "-"
        self.query_one("#metrics-title", Static).update(
            f"[b]Project metrics[/b] · last {len(metrics)} days ({first} – {last}, UTC)"
        )
        for chart_id, label, value, fmt in CHARTS:
            self.query_one(f"#chart-{chart_id}", Sparkline).data = [value(d) for d in metrics]
            self.query_one(f"#caption-{chart_id}", Static).update(
                chart_caption(label, metrics, value, fmt)
            )
        table = self.query_one(DataTable)
        table.clear()
        for day in reversed(metrics):
            table.add_row(*day.cells(), key=day.day.isoformat())

    def action_cycle_range(self) -> None:
        following = [r for r in RANGES if r > self.days]
        self.days = following[0] if following else RANGES[0]
        self.action_reload()

    def action_back(self) -> None:
        self.dismiss()
