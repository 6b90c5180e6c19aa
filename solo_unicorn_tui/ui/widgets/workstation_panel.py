"""The workstation panel: this machine, its agents, running sessions and worktrees, then the team.

The team section lists every workstation of the organization (this one first): online or
offline (by its replicated heartbeat), when it was last seen, its agents' states and its
running sessions.

One reactive, ``snapshot`` (a :class:`~solo_unicorn_tui.runtime.snapshot.WorkstationSnapshot`
the runtime host takes in a worker and the board sets on a ``WorkstationSnapshotChanged``); it
never touches the database or git itself. Elapsed times tick once a second from an injectable
clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from solo_unicorn_tui.runtime.disk import human_size
from solo_unicorn_tui.runtime.snapshot import AgentState, WorkstationSnapshot
from storage.ids import short_id

if TYPE_CHECKING:
    from storage.workstations import TeamWorkstation

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def format_elapsed(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def agent_record(agent: AgentState) -> str:
    """Missions this profile finished and how often its sessions failed ("" before any)."""
    if agent.failure_rate is None and not agent.missions_completed:
        return ""
    failed = "" if agent.failure_rate is None else f" · {agent.failure_rate:.0%} failed"
    return f"{agent.missions_completed} done{failed}"


def format_age(now: datetime, since: datetime | None) -> str:
    if since is None:
        return ""
    seconds = max(0, int((now - since).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


class WorkstationPanel(Widget):
    DEFAULT_CSS = """
    WorkstationPanel {
        height: auto;
        padding: 0 1;
    }
    """

    snapshot: reactive[WorkstationSnapshot | None] = reactive(None, layout=True)

    def __init__(
        self,
        snapshot: WorkstationSnapshot | None = None,
        *,
        clock: Clock = utcnow,
        tick_seconds: float | None = 1.0,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.set_reactive(WorkstationPanel.snapshot, snapshot)
        self.clock = clock
        self.tick_seconds = tick_seconds

    def on_mount(self) -> None:
        if self.tick_seconds:
            self.set_interval(self.tick_seconds, self._tick)

    def _tick(self) -> None:
        if self.snapshot is not None and self.snapshot.sessions:
            self.refresh()

    def render(self) -> RenderableType:
        snap = self.snapshot
        if snap is None:
            return Text("workstation: loading…", style="dim")
        parts: list[RenderableType] = []
        title = Text.assemble(
            ("Workstation ", "bold"),
            (snap.workstation_name, "bold cyan"),
            ("  dispatcher ", "dim"),
            ("on", "bold green") if snap.dispatcher_running else ("off", "dim"),
        )
        parts.append(title)
        parts.append(Text("Agents", style="bold underline"))
        agents = Table.grid(padding=(0, 1))
        for agent in snap.agents:
            if not agent.available:
                state = Text("○ missing", style="dim")
            elif agent.rate_limited_until is not None:
                until = agent.rate_limited_until.astimezone().strftime("%H:%M")
                state = Text(f"◔ rate-limited until {until}", style="bold red")
            elif agent.busy:
                state = Text("● busy", style="bold yellow")
            else:
                state = Text("● ready", style="green")
            name = Text(agent.name + (" *" if agent.is_default else ""), style="bold")
            if agent.version:
                name.append(f" {agent.version}", style="dim")
            agents.add_row(
                name,
                state,
                Text(f"{agent.running}/{agent.max_concurrency}", style="dim"),
                Text(agent_record(agent), style="dim"),
            )
        parts.append(agents if snap.agents else Text("  no agent profiles", style="dim"))
        parts.append(Text(f"Sessions ({len(snap.sessions)})", style="bold underline"))
        if snap.sessions:
            sessions = Table.grid(padding=(0, 1))
            now = self.clock()
            for session in snap.sessions:
                cells = [
                    Text(format_elapsed((now - session.started_at).total_seconds()), "bold"),
                    Text(session.agent_name, style="cyan"),
                    Text(session.stage, style="magenta"),
                    Text(session.mission_title, overflow="ellipsis", no_wrap=True),
                ]
                if session.activity:
                    cells.append(
                        Text(session.activity, style="dim", overflow="ellipsis", no_wrap=True)
                    )
                sessions.add_row(*cells)
            parts.append(sessions)
        else:
            parts.append(Text("  idle", style="dim"))
        total = human_size(snap.worktrees_size_bytes) if snap.worktrees else "0B"
        parts.append(Text(f"Worktrees ({len(snap.worktrees)}, {total})", style="bold underline"))
        if snap.worktrees:
            trees = Table.grid(padding=(0, 1))
            now = self.clock()
            for tree in snap.worktrees:
                marks = Text()
                if tree.dirty:
                    marks.append("*", style="bold red")
                if tree.unpushed:
                    marks.append(f"↑{tree.unpushed}", style="yellow")
                trees.add_row(
                    Text(tree.branch, overflow="ellipsis", no_wrap=True),
                    Text(tree.status, style="green" if tree.status == "in_use" else "dim"),
                    marks,
                    Text(human_size(tree.size_bytes), style="dim"),
                    Text(format_age(now, tree.last_used_at or tree.created_at), style="dim"),
                    Text(short_id(tree.mission_id) if tree.mission_id else "", style="dim"),
                )
            parts.append(trees)
        else:
            parts.append(Text("  none", style="dim"))
        if snap.team:
            online = sum(1 for w in snap.team if w.online)
            parts.append(Text(f"Team ({online}/{len(snap.team)} online)", style="bold underline"))
            parts.extend(team_lines(w, self.clock()) for w in snap.team)
        return Group(*parts)

    def worktree_paths(self) -> list[Path]:
        return [Path(t.path) for t in self.snapshot.worktrees] if self.snapshot else []


AGENT_STYLES = {"ready": "green", "busy": "yellow", "rate-limited": "bold red"}


def team_lines(station: TeamWorkstation, now: datetime) -> Text:
    """One workstation of the team: a header line, its agents, its running sessions."""
    seen = format_age(now, station.last_seen_at)
    text = Text.assemble(
        ("● ", "bold green") if station.online else ("○ ", "dim"),
        (station.name, "bold"),
        (" (this)" if station.is_this else "", "cyan"),
        ("  online" if station.online else "  offline", "green" if station.online else "dim"),
        (f" · seen {seen} ago" if seen else " · never seen", "dim"),
    )
    for agent in station.agents:
        state = agent.state
        if agent.rate_limited_until is not None:
            state += f" until {agent.rate_limited_until.astimezone():%H:%M}"
        text.append(f"\n    {agent.name} ", style="bold")
        text.append(state, style=AGENT_STYLES.get(agent.state, "dim"))
        text.append(f" {agent.running}/{agent.max_concurrency}", style="dim")
    for session in station.sessions:
        elapsed = (
            format_elapsed((now - session.started_at).total_seconds())
            if session.started_at
            else "--:--"
        )
        text.append(f"\n    ▸ {elapsed} ", style="bold")
        text.append(f"{session.agent_name} ", style="cyan")
        text.append(f"{session.stage} ", style="magenta")
        text.append(session.mission_title)
    return text
