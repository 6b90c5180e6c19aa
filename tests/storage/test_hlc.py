"""The hybrid logical clock never goes backwards and orders after what it has seen."""

from __future__ import annotations

from storage.hlc import HybridLogicalClock, Timestamp


def test_clock_is_monotonic_when_the_wall_clock_goes_back() -> None:
    wall = iter([5_000, 4_000, 4_000, 6_000])
    clock = HybridLogicalClock("site_a", wall=lambda: next(wall))
    stamps = [clock.now() for _ in range(4)]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 4
    assert Timestamp.decode(stamps[1]) == Timestamp(5_000, 1, "site_a")


def test_observing_a_remote_clock_from_the_future_moves_past_it() -> None:
    hour_ahead = HybridLogicalClock("site_b", wall=lambda: 1_000 + 3_600_000)
    local = HybridLogicalClock("site_a", wall=lambda: 1_000)
    remote = hour_ahead.now()
    local.observe(remote)
    assert local.now() > remote


def test_site_id_breaks_ties_deterministically() -> None:
    a = HybridLogicalClock("site_a", wall=lambda: 7).now()
    b = HybridLogicalClock("site_b", wall=lambda: 7).now()
    assert a < b


def test_clock_resumes_from_its_last_value() -> None:
    first = HybridLogicalClock("s", wall=lambda: 9_000)
    last = first.now()
    restarted = HybridLogicalClock("s", last=last, wall=lambda: 1_000)
    assert restarted.now() > last
