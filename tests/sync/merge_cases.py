"""The one table of merge cases that both merge implementations are tested against.

``sync.merge`` (Python, every replica's pull) and ``su_merge_columns``/``su_row_stamp``
(PostgreSQL, the server's push; migration 0003) must agree on every case, in every order the
writes can arrive. A case is a list of writes to one row, each an outbox entry: the columns it
carries, all stamped with its one clock; ``expect`` is the row's merged values, ``stamp`` its
``(hlc, site_id)`` once every write has been applied.

Clocks are ``<wall ms, 15 digits>:<counter, 6 digits>:<site id>``, compared as text by code
point (``COLLATE "C"`` on the server): several cases differ under a natural-language collation
(case, punctuation), which is exactly what must not leak into the server's comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def clock(wall: int, counter: int, site: str) -> str:
    return f"{wall:015d}:{counter:06d}:{site}"


@dataclass(frozen=True)
class Write:
    hlc: str
    values: dict[str, Any]


@dataclass(frozen=True)
class Case:
    name: str
    writes: list[Write]
    expect: dict[str, Any]
    stamp: tuple[str, str]
    absent: list[str] = field(default_factory=list)


T1, T2, T3 = 1_767_225_600_000, 1_767_225_600_500, 1_767_225_601_000

CASES = [
    Case(
        "concurrent edits to different columns both survive",
        [
            Write(clock(T1, 0, "site_a"), {"title": "A"}),
            Write(clock(T2, 0, "site_b"), {"list": "doing"}),
        ],
        {"title": "A", "list": "doing"},
        (clock(T2, 0, "site_b"), "site_b"),
    ),
    Case(
        "same column: the later clock wins whatever the site",
        [
            Write(clock(T2, 0, "site_a"), {"title": "later"}),
            Write(clock(T1, 5, "site_z"), {"title": "earlier"}),
        ],
        {"title": "later"},
        (clock(T2, 0, "site_a"), "site_a"),
    ),
    Case(
        "same wall time: the higher counter wins",
        [
            Write(clock(T1, 9, "site_a"), {"priority": 2}),
            Write(clock(T1, 10, "site_a"), {"priority": 4}),
        ],
        {"priority": 4},
        (clock(T1, 10, "site_a"), "site_a"),
    ),
    Case(
        "equal clocks: the site id breaks the tie by code point (upper case first)",
        [
            Write(clock(T1, 0, "site_A"), {"title": "upper"}),
            Write(clock(T1, 0, "site_a"), {"title": "lower"}),
        ],
        {"title": "lower"},
        (clock(T1, 0, "site_a"), "site_a"),
    ),
    Case(
        "equal clocks: punctuation counts ('-' sorts before '_')",
        [
            Write(clock(T1, 0, "site-b"), {"title": "dash"}),
            Write(clock(T1, 0, "site_a"), {"title": "underscore"}),
        ],
        {"title": "underscore"},
        (clock(T1, 0, "site_a"), "site_a"),
    ),
    Case(
        "a tombstone and a later edit of another column both survive",
        [
            Write(clock(T1, 0, "site_a"), {"title": "t", "deleted": False}),
            Write(clock(T2, 0, "site_a"), {"deleted": True}),
            Write(clock(T3, 0, "site_b"), {"title": "edited meanwhile"}),
        ],
        {"title": "edited meanwhile", "deleted": True},
        (clock(T3, 0, "site_b"), "site_b"),
    ),
    Case(
        "a later undelete wins over the tombstone",
        [
            Write(clock(T2, 0, "site_a"), {"deleted": True}),
            Write(clock(T3, 0, "site_b"), {"deleted": False}),
        ],
        {"deleted": False},
        (clock(T3, 0, "site_b"), "site_b"),
    ),
    Case(
        "a tombstone at a later clock beats an earlier edit of the same column",
        [
            Write(clock(T1, 0, "site_b"), {"deleted": False}),
            Write(clock(T3, 0, "site_a"), {"deleted": True}),
        ],
        {"deleted": True},
        (clock(T3, 0, "site_a"), "site_a"),
    ),
    Case(
        "a null written later clears the value",
        [
            Write(clock(T1, 0, "site_a"), {"description": "text"}),
            Write(clock(T2, 0, "site_b"), {"description": None}),
        ],
        {"description": None},
        (clock(T2, 0, "site_b"), "site_b"),
    ),
    Case(
        "JSON values merge as whole values",
        [
            Write(clock(T1, 0, "site_a"), {"tasks": [{"t": 1}]}),
            Write(clock(T2, 0, "site_b"), {"tasks": [{"t": 2}, {"t": 3}]}),
        ],
        {"tasks": [{"t": 2}, {"t": 3}]},
        (clock(T2, 0, "site_b"), "site_b"),
    ),
    Case(
        "the same write delivered twice applies once",
        [
            Write(clock(T1, 0, "site_a"), {"title": "once"}),
            Write(clock(T1, 0, "site_a"), {"title": "once"}),
        ],
        {"title": "once"},
        (clock(T1, 0, "site_a"), "site_a"),
    ),
    Case(
        "identity and bookkeeping columns are never merged",
        [
            Write(
                clock(T2, 0, "site_b"),
                {
                    "title": "t",
                    "id": "forged",
                    "organization_id": "org_forged",
                    "hlc": "999999999999999:000000:x",
                    "site_id": "x",
                    "col_clocks": {"title": "z"},
                },
            )
        ],
        {"title": "t"},
        (clock(T2, 0, "site_b"), "site_b"),
        absent=["id", "organization_id", "hlc", "site_id", "col_clocks"],
    ),
    Case(
        "three writers, interleaved columns",
        [
            Write(clock(T1, 0, "site_a"), {"title": "a1", "priority": 1}),
            Write(clock(T2, 0, "site_b"), {"priority": 2, "list": "review"}),
            Write(clock(T2, 0, "site_c"), {"title": "c", "list": "done"}),
        ],
        {"title": "c", "priority": 2, "list": "done"},
        (clock(T2, 0, "site_c"), "site_c"),
    ),
]
