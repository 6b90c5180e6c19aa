"""What travels between a replica and the server."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Change:
    """One outbox entry: columns of one row, all written at one clock by one replica."""

    change_id: int
    table_name: str
    row_id: str
    organization_id: str
    hlc: str
    values: dict[str, Any]


@dataclass(frozen=True)
class Rejection:
    change_id: int
    table_name: str
    row_id: str
    reason: str


@dataclass
class PushResult:
    """The server's reply: every change up to ``acked_change_id`` is durable (or rejected)."""

    acked_change_id: int
    applied: int = 0
    duplicates: int = 0
    rejections: list[Rejection] = field(default_factory=list)


@dataclass
class PullBatch:
    rows: dict[str, list[dict[str, Any]]]
    cursor: int

    @property
    def count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())
