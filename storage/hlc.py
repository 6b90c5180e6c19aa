"""Hybrid logical clock.

A timestamp is ``max(wall clock, highest clock seen)`` plus a counter, so a replica's clock never
goes backwards and every later edit orders after everything that replica has already seen, even
when its wall clock is skewed.

Encoding (text order is clock order, for every value): ``WWWWWWWWWWWWWWW:CCCCCC:site`` — the
wall time in milliseconds as exactly 15 digits (good until the year 33658), the counter as exactly
6 digits, then the writer's site id as the final tie-break. Both numeric fields are fixed width,
so comparing two encoded clocks as text (Python ``str``, SQLite ``BINARY``, PostgreSQL ``COLLATE
"C"``) compares ``(wall_ms, counter, site_id)`` as a tuple. The counter never overflows into the
wall field: when it would pass :data:`COUNTER_MAX` the clock moves its wall time on by one
millisecond and restarts the counter at 0 (a million writes in one millisecond cost one
millisecond of drift).

Old clocks: replicas written before the counter cap could hold a counter of 7 or more digits
(``…:1000000:site``), which sorted *before* ``…:999999:site``. Such a clock is read as the same
number of counter ticks carried into the wall time (``(w, c)`` → ``(w + c // 10**6, c % 10**6)``)
and re-encoded — :func:`normalize_clock`, used by the merge before any comparison and by
:meth:`Timestamp.decode`. Every clock with a 6-digit counter is already in the new form, so
existing replicas need no rewrite. :func:`normalize_clock_sql` is the same rule for server SQL.

Skew bound: a received clock whose wall time is more than :data:`MAX_CLOCK_AHEAD_MS` (5 minutes)
ahead of the server's ``now()`` is *rejected* (not clamped): the change is refused with the reason
from :func:`check_clock_skew` (or its SQL twin :func:`clock_skew_reason_sql`), recorded like any
other refused change, so one skewed or crafted peer cannot freeze a column for everyone with a
clock from the future. A workstation whose clock runs ahead sees that reason until its clock is
set right. Clamping was not chosen because a clamped clock differs from the one the writer's
replica stored, and the two would then disagree about which write wins. Instead the writer
recovers by itself: after such a refusal it adopts the server's time
(:meth:`HybridLogicalClock.adopt`: its clock then runs at the server's time, offset from the
workstation's) and re-stamps the refused columns (``sync.replica.restamp_ahead``), which are
then pushed again within the bound, so a workstation whose clock runs a day ahead does not stay
refused for a day.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

_WALL_DIGITS = 15
_COUNTER_DIGITS = 6
#: The highest counter value; one more tick moves the wall time on instead.
COUNTER_MAX = 10**_COUNTER_DIGITS - 1
#: The highest wall time the encoding can hold (milliseconds, year 33658).
WALL_MAX = 10**_WALL_DIGITS - 1
#: How far ahead of the server's time a received clock may be (5 minutes).
MAX_CLOCK_AHEAD_MS = 5 * 60 * 1000

#: A clock as stored, new form or old (a counter wider than 6 digits). The counter is limited to
#: 12 digits so the carried wall time still fits PostgreSQL's ``bigint``.
_CLOCK_RE = re.compile(r"([0-9]{15}):([0-9]{6,12}):(.+)", re.DOTALL)
_CLOCK_RE_SQL = "^[0-9]{15}:[0-9]{6,12}:."
_CLOCK_TEXT_LIMIT = 80


class ClockError(ValueError):
    """A clock that is not an encoded HLC timestamp, or one past the end of the encoding."""


@dataclass(frozen=True, order=True)
class Timestamp:
    wall_ms: int
    counter: int
    site_id: str

    def encode(self) -> str:
        if not 0 <= self.counter <= COUNTER_MAX:
            raise ClockError(f"counter {self.counter} is outside 0..{COUNTER_MAX}")
        if not 0 <= self.wall_ms <= WALL_MAX:
            raise ClockError(f"wall time {self.wall_ms} is outside 0..{WALL_MAX}")
        return f"{self.wall_ms:0{_WALL_DIGITS}d}:{self.counter:0{_COUNTER_DIGITS}d}:{self.site_id}"

    @classmethod
    def decode(cls, text: str) -> Timestamp:
        """Parse a clock; an old clock's oversized counter is carried into the wall time."""
        match = _CLOCK_RE.fullmatch(text)
        if match is None:
            raise ClockError(f"malformed clock {text[:_CLOCK_TEXT_LIMIT]!r}")
        wall, counter = int(match[1]), int(match[2])
        carry, counter = divmod(counter, COUNTER_MAX + 1)
        return cls(wall + carry, counter, match[3])


def normalize_clock(text: str) -> str:
    """The clock in the current encoding (``""``, meaning "never written", stays ``""``)."""
    if not text:
        return text
    if len(text) > 23 and text[15] == ":" and text[22] == ":":
        return text  # already fixed width: the common case, no parse needed
    return Timestamp.decode(text).encode()


def check_clock_skew(
    clock: str, now_ms: int, *, max_ahead_ms: int = MAX_CLOCK_AHEAD_MS
) -> str | None:
    """Why a received ``clock`` is refused, or ``None`` when it is acceptable.

    ``now_ms`` is the server's time in milliseconds since the epoch (never a workstation's).
    The SQL twin, :func:`clock_skew_reason_sql`, returns exactly the same text.
    """
    match = _CLOCK_RE.fullmatch(clock)
    if match is None:
        return f"malformed clock {clock[:_CLOCK_TEXT_LIMIT]}"
    wall = int(match[1]) + int(match[2]) // (COUNTER_MAX + 1)
    ahead = wall - now_ms
    if ahead > max_ahead_ms:
        return (
            f"clock {clock[:_CLOCK_TEXT_LIMIT]} is {ahead} ms ahead of the server's time "
            f"(the limit is {max_ahead_ms} ms); set this workstation's clock right"
        )
    return None


#: The server's time in milliseconds, for :func:`clock_skew_reason_sql`.
SERVER_NOW_MS_SQL = "floor(extract(epoch FROM now()) * 1000)::bigint"


def clock_skew_reason_sql(
    clock: str, now_ms: str = SERVER_NOW_MS_SQL, *, max_ahead_ms: int = MAX_CLOCK_AHEAD_MS
) -> str:
    """A SQL expression: :func:`check_clock_skew`'s reason (text) or NULL, for server functions.

    ``clock`` and ``now_ms`` are SQL expressions (a column, a parameter like ``$1``, a
    ``bigint``). For example ``f"SELECT {clock_skew_reason_sql('c.hlc')} FROM …"``.
    """
    wall = (
        f"(split_part({clock}, ':', 1)::bigint + split_part({clock}, ':', 2)::bigint / "
        f"{COUNTER_MAX + 1})"
    )
    text = f"left({clock}, {_CLOCK_TEXT_LIMIT})"
    return (
        f"(CASE WHEN {clock} IS NULL OR {clock} !~ '{_CLOCK_RE_SQL}' "
        f"THEN 'malformed clock ' || coalesce({text}, '') "
        f"WHEN {wall} - ({now_ms}) > {max_ahead_ms} "
        f"THEN 'clock ' || {text} || ' is ' || ({wall} - ({now_ms}))::text "
        f"|| ' ms ahead of the server''s time (the limit is {max_ahead_ms} ms); "
        f"set this workstation''s clock right' END)"
    )


def normalize_clock_sql(clock: str) -> str:
    """A SQL expression: :func:`normalize_clock` of a (well-formed) clock expression.

    Compare the results with ``COLLATE "C"`` so the database's collation cannot reorder them.
    """
    wall = f"split_part({clock}, ':', 1)::bigint"
    counter = f"split_part({clock}, ':', 2)::bigint"
    site = f"substr({clock}, length(split_part({clock}, ':', 2)) + 18)"
    return (
        f"(CASE WHEN {clock} = '' OR substr({clock}, 23, 1) = ':' THEN {clock} "
        f"ELSE lpad(({wall} + {counter} / {COUNTER_MAX + 1})::text, {_WALL_DIGITS}, '0') "
        f"|| ':' || lpad(({counter} % {COUNTER_MAX + 1})::text, {_COUNTER_DIGITS}, '0') "
        f"|| ':' || {site} END)"
    )


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
        self._offset_ms = 0
        self._lock = threading.Lock()
        if last:
            ts = Timestamp.decode(last)
            self._wall_ms, self._counter = ts.wall_ms, ts.counter
        else:
            self._wall_ms, self._counter = 0, 0

    def now(self) -> str:
        """A new timestamp for a local write, later than any seen so far."""
        with self._lock:
            physical = self._wall() + self._offset_ms
            if physical > self._wall_ms:
                self._wall_ms, self._counter = physical, 0
            elif self._counter < COUNTER_MAX:
                self._counter += 1
            else:
                self._wall_ms, self._counter = self._wall_ms + 1, 0
            return Timestamp(self._wall_ms, self._counter, self.site_id).encode()

    def observe(self, remote: str) -> None:
        """Move past a clock seen on a remote change, so later local writes order after it."""
        ts = Timestamp.decode(remote)
        with self._lock:
            if (ts.wall_ms, ts.counter) > (self._wall_ms, self._counter):
                self._wall_ms, self._counter = ts.wall_ms, ts.counter

    def adopt(self, server_now_ms: int) -> None:
        """Run at the server's time from now on, and go back to it if this clock ran ahead.

        Deliberately breaks "never goes backwards" for this replica: its clocks beyond the
        server's bound were refused and are re-stamped (``sync.replica.restamp_ahead``).
        """
        with self._lock:
            self._offset_ms = server_now_ms - self._wall()
            if self._wall_ms > server_now_ms:
                self._wall_ms, self._counter = server_now_ms, 0

    @property
    def last(self) -> str:
        return Timestamp(self._wall_ms, self._counter, self.site_id).encode()
