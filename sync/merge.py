"""Per-column last-writer-wins, the one merge rule used on the server and on every replica.

Every replicated row carries ``col_clocks``: for each column, the hybrid-logical-clock timestamp
of the write that set it. HLC strings sort in clock order with the writer's site id as the final
tie-break (old clocks with an oversized counter are normalised first, see ``storage.hlc``), so for
each column the value with the greatest clock wins. Applying the same set of
changes in any order therefore yields the same row (commutative and idempotent); equal clocks
come from the same write and so carry the same value. Deletes are the ``deleted`` column set to
true under its own clock (a tombstone), merged like any other column.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storage.changes import UNCLOCKED
from storage.hlc import Timestamp, normalize_clock


def merge_columns(
    current_clocks: Mapping[str, str],
    incoming_values: Mapping[str, Any],
    incoming_clocks: Mapping[str, str],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the incoming columns that win over the current row, and the merged clocks."""
    wins: dict[str, Any] = {}
    clocks = {column: normalize_clock(clock) for column, clock in current_clocks.items()}
    for column, clock in incoming_clocks.items():
        if column in UNCLOCKED or column not in incoming_values:
            continue
        clock = normalize_clock(clock)
        if clock > clocks.get(column, ""):
            wins[column] = incoming_values[column]
            clocks[column] = clock
    return wins, clocks


def row_stamp(clocks: Mapping[str, str]) -> tuple[str, str]:
    """The row's ``hlc`` and ``site_id``: its newest column clock and that clock's writer."""
    if not clocks:
        return "", ""
    newest = max(normalize_clock(clock) for clock in clocks.values())
    return newest, Timestamp.decode(newest).site_id


def outbox_clocks(values: Mapping[str, Any], hlc: str) -> dict[str, str]:
    """An outbox entry stamps every column it carries with its one clock."""
    return {column: hlc for column in values if column not in UNCLOCKED}
