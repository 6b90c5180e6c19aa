"""Hybrid logical clock.

A timestamp is ``max(wall clock, highest clock seen)`` plus a counter, so a replica's clock never
goes backwards and every later edit orders after everything that replica has already seen, even
when its wall clock is skewed. Timestamps are encoded as fixed-width strings that sort in clock
order, with the writer's site id as the final tie-break, so comparing two strings compares clocks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

_WALL_DIGITS = 15
_COUNTER_DIGITS = 6


@dataclass(frozen=True, order=True)
class Timestamp:
    wall_ms: int
    counter: int
    site_id: str

    def encode(self) -> str:
        return f"{self.wall_ms:0{_WALL_DIGITS}d}:{self.counter:0{_COUNTER_DIGITS}d}:{self.site_id}"

    @classmethod
    def decode(cls, text: str) -> Timestamp:
        wall, counter, site = text.split(":", 2)
        return cls(int(wall), int(counter), site)


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class HybridLogicalClock:
    def __init__(
        self,
        site_id: str,
        last: str | None = None,
        wall: Callable[[], int] = wall_clock_ms,
    ) -> None:
        self.site_id = site_id
        self._wall = wall
        self._lock = threading.Lock()
        if last:
            ts = Timestamp.decode(last)
            self._wall_ms, self._counter = ts.wall_ms, ts.counter
        else:
            self._wall_ms, self._counter = 0, 0

    def now(self) -> str:
        """A new timestamp for a local write, later than any seen so far."""
        with self._lock:
            physical = self._wall()
            if physical > self._wall_ms:
                self._wall_ms, self._counter = physical, 0
            else:
                self._counter += 1
            return Timestamp(self._wall_ms, self._counter, self.site_id).encode()

    def observe(self, remote: str) -> None:
        """Move past a clock seen on a remote change, so later local writes order after it."""
        ts = Timestamp.decode(remote)
        with self._lock:
            if (ts.wall_ms, ts.counter) > (self._wall_ms, self._counter):
                self._wall_ms, self._counter = ts.wall_ms, ts.counter

    @property
    def last(self) -> str:
        return Timestamp(self._wall_ms, self._counter, self.site_id).encode()
