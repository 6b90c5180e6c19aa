"""HLC text order is clock order for every value; old clocks and skewed clocks are handled.

The Python rules and their SQL twins (used by the server's functions) are checked against each
other on the real PostgreSQL server.
"""

from __future__ import annotations

import random

import asyncpg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.hlc import (
    COUNTER_MAX,
    MAX_CLOCK_AHEAD_MS,
    WALL_MAX,
    ClockError,
    HybridLogicalClock,
    Timestamp,
    check_clock_skew,
    clock_skew_reason_sql,
    normalize_clock,
    normalize_clock_sql,
)
from sync.merge import merge_columns, row_stamp

DAY_MS = 86_400_000
NOW_MS = 1_760_000_000_000


def _near(points: list[int], low: int, high: int) -> st.SearchStrategy[int]:
    """Integers in [low, high], biased to just around ``points`` (the field boundaries)."""
    around = [p + d for p in points for d in (-1, 0, 1) if low <= p + d <= high]
    return st.one_of(st.sampled_from(around), st.integers(low, high))


walls = _near([0, 10**12, 10**13, NOW_MS, 10**14, WALL_MAX], 0, WALL_MAX)
counters = _near([0, 9, 10, 99_999, 100_000, COUNTER_MAX], 0, COUNTER_MAX)
sites = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12
) | st.sampled_from(["site_01A", "site_01B", "site_01A:x", "a", "b"])
stamps = st.builds(Timestamp, walls, counters, sites)


def _sign(a: object, b: object) -> int:
    return (a > b) - (a < b)  # type: ignore[operator]


@given(stamps, stamps)
def test_every_pair_orders_the_same_as_text_and_as_tuples(a: Timestamp, b: Timestamp) -> None:
    ta, tb = a.encode(), b.encode()
    assert _sign(ta, tb) == _sign(
        (a.wall_ms, a.counter, a.site_id), (b.wall_ms, b.counter, b.site_id)
    )
    assert Timestamp.decode(ta) == a and normalize_clock(ta) == ta


@given(stamps, st.lists(st.tuples(st.integers(-2, 2), st.booleans()), min_size=1, max_size=40))
def test_a_clock_only_moves_forward_across_counter_and_wall_boundaries(
    start: Timestamp, steps: list[tuple[int, bool]]
) -> None:
    """From any state (a counter at the cap included), each new stamp is greater as text."""
    if start.wall_ms > WALL_MAX - 1000:
        start = Timestamp(WALL_MAX - 1000, start.counter, start.site_id)
    physical = start.wall_ms
    clock = HybridLogicalClock("site_x", last=start.encode(), wall=lambda: physical)
    previous = clock.last
    for delta, observe in steps:
        physical = max(0, physical + delta)
        if observe:
            clock.observe(Timestamp(physical, COUNTER_MAX, "site_peer").encode())
        stamp = clock.now()
        decoded = Timestamp.decode(stamp)
        assert stamp > previous
        before = Timestamp.decode(previous)
        assert (decoded.wall_ms, decoded.counter) > (before.wall_ms, before.counter)
        assert 0 <= decoded.counter <= COUNTER_MAX and len(stamp.split(":")[1]) == 6
        previous = stamp


def test_a_full_counter_moves_the_wall_time_on_instead_of_overflowing() -> None:
    clock = HybridLogicalClock("site_a", last=f"{5_000:015d}:{COUNTER_MAX}:site_a", wall=lambda: 1)
    after = clock.now()
    assert Timestamp.decode(after) == Timestamp(5_001, 0, "site_a")
    assert after > f"{5_000:015d}:{COUNTER_MAX}:site_z"


def test_a_peer_a_day_ahead_with_a_high_counter_loses_no_later_edit() -> None:
    """The issue's case: 20 later title edits after observing a skewed clock all win."""
    peer = Timestamp(NOW_MS + DAY_MS, COUNTER_MAX - 5, "site_peer").encode()
    local = HybridLogicalClock("site_local", wall=lambda: NOW_MS)
    local.observe(peer)
    clocks = {"title": peer}
    for n in range(20):
        stamp = local.now()
        wins, clocks = merge_columns(clocks, {"title": f"edit {n}"}, {"title": stamp})
        assert wins == {"title": f"edit {n}"}
    assert row_stamp(clocks)[1] == "site_local"


@given(
    st.integers(0, 10**13),
    st.integers(0, 10**8),
    sites,
    st.integers(0, 10**13),
    st.integers(0, 10**8),
    sites,
)
def test_old_clocks_with_a_wide_counter_order_by_their_carried_value(
    wa: int, ca: int, sa: str, wb: int, cb: int, sb: str
) -> None:
    """Clocks written before the cap (``…:1000000:…``) compare as ticks carried into the wall."""
    old_a, old_b = f"{wa:015d}:{ca:06d}:{sa}", f"{wb:015d}:{cb:06d}:{sb}"
    na, nb = normalize_clock(old_a), normalize_clock(old_b)
    assert _sign(na, nb) == _sign((wa * 10**6 + ca, sa), (wb * 10**6 + cb, sb))
    assert normalize_clock(na) == na and len(na.split(":", 2)[1]) == 6


def test_merge_takes_an_old_wide_counter_clock_as_the_later_write() -> None:
    """Before the fix ``…:1000000:`` lost to ``…:999999:`` as text; now it wins."""
    wall = f"{NOW_MS:015d}"
    current = {"title": f"{wall}:999999:site_a"}
    wins, clocks = merge_columns(current, {"title": "newer"}, {"title": f"{wall}:1000000:site_b"})
    assert wins == {"title": "newer"}
    assert clocks["title"] == f"{NOW_MS + 1:015d}:000000:site_b"
    # and the other way round, the old clock already stored is not beaten by an older one
    wins, _ = merge_columns(
        {"title": f"{wall}:1000000:site_b"}, {"title": "older"}, {"title": f"{wall}:999999:site_a"}
    )
    assert wins == {}


def test_malformed_clocks_are_a_clock_error() -> None:
    for bad in ("", "12:3:s", f"{1:015d}:12345:s", f"{1:015d}:000001:", "x" * 30):
        with pytest.raises(ClockError):
            Timestamp.decode(bad)
    with pytest.raises(ClockError):
        Timestamp(WALL_MAX + 1, 0, "s").encode()


def test_skew_bound() -> None:
    at_limit = Timestamp(NOW_MS + MAX_CLOCK_AHEAD_MS, COUNTER_MAX, "s").encode()
    assert check_clock_skew(at_limit, NOW_MS) is None
    assert check_clock_skew(Timestamp(NOW_MS - DAY_MS, 0, "s").encode(), NOW_MS) is None
    over = Timestamp(NOW_MS + MAX_CLOCK_AHEAD_MS + 1, 0, "s").encode()
    assert check_clock_skew(over, NOW_MS) == (
        f"clock {over} is {MAX_CLOCK_AHEAD_MS + 1} ms ahead of the server's time (the limit is "
        f"{MAX_CLOCK_AHEAD_MS} ms); set this workstation's clock right"
    )
    day = check_clock_skew(Timestamp(NOW_MS + DAY_MS, 0, "s").encode(), NOW_MS)
    assert day is not None and f"{DAY_MS} ms ahead" in day
    # an old wide counter is carried before the check: 5 min + 1 ms of ticks is too far
    wide = f"{NOW_MS + MAX_CLOCK_AHEAD_MS:015d}:1000000:s"
    assert check_clock_skew(wide, NOW_MS) is not None
    assert check_clock_skew("garbage", NOW_MS) == "malformed clock garbage"
    assert check_clock_skew(over, NOW_MS, max_ahead_ms=DAY_MS) is None


def _cases(rng: random.Random) -> list[str]:
    cases = ["", "garbage", "1:2:3", f"{NOW_MS:015d}:000001:", f"{NOW_MS:015d}:1:s"]
    for _ in range(300):
        ahead = rng.choice([0, 1, -1, MAX_CLOCK_AHEAD_MS, MAX_CLOCK_AHEAD_MS + 1, DAY_MS])
        ahead += rng.choice([0, rng.randint(-(10**7), 10**7)])
        width = rng.choice([6, 6, 7, 8])
        counter = rng.randint(0, 10**width - 1)
        site = rng.choice(["site_01A", "site_01B", "s:with:colons", "s\nnl", "é☃"])
        cases.append(f"{max(0, NOW_MS + ahead):015d}:{counter:0{width}d}:{site}")
    return cases


@pytest.fixture
async def pg(pg_server: str):  # type: ignore[no-untyped-def]
    conn = await asyncpg.connect(pg_server)
    yield conn
    await conn.close()


async def test_sql_skew_rule_is_the_same_rule(pg: asyncpg.Connection) -> None:
    cases = _cases(random.Random(13))
    rows = await pg.fetch(
        f"SELECT c, {clock_skew_reason_sql('c', '$2::bigint')} AS reason "
        "FROM unnest($1::text[]) WITH ORDINALITY AS t(c, n) ORDER BY n",
        cases,
        NOW_MS,
    )
    assert [r["reason"] for r in rows] == [check_clock_skew(c, NOW_MS) for c in cases]
    assert sum(r["reason"] is None for r in rows) > 50  # both outcomes are exercised
    now_sql = await pg.fetchval(
        f"SELECT {clock_skew_reason_sql('$1::text')}", Timestamp(10**12, 0, "s").encode()
    )
    assert now_sql is None  # against the server's real now(): a clock from 2001 is fine


async def test_sql_normalisation_and_order_match_python(pg: asyncpg.Connection) -> None:
    cases = [c for c in _cases(random.Random(7)) if c == "" or check_clock_skew(c, 10**15) is None]
    rows = await pg.fetch(
        f"SELECT c, {normalize_clock_sql('c')} AS n FROM unnest($1::text[]) AS t(c)", cases
    )
    assert {r["c"]: r["n"] for r in rows} == {c: normalize_clock(c) for c in cases}
    ordered = await pg.fetch(
        "SELECT c FROM unnest($1::text[]) AS t(c) "
        f'ORDER BY {normalize_clock_sql("c")} COLLATE "C", c COLLATE "C"',
        cases,
    )
    by_python = sorted(cases, key=lambda c: (normalize_clock(c), c))
    assert [r["c"] for r in ordered] == by_python
