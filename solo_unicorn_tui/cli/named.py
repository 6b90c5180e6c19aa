"""Naming a flow, an actor or a project on the command line: by id, unique id suffix or name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from solo_unicorn_tui.errors import UserError


class Named(Protocol):
    id: str
    name: str


def pick_named(candidates: Sequence[Named], ident: str, kind: str) -> str:
    """The id of the one candidate ``ident`` names: its id, its name (any case), or a unique
    suffix of four characters or more of its id."""
    ident = ident.strip()
    lowered = ident.lower()
    matches = [c for c in candidates if c.id == ident] or [
        c for c in candidates if c.name.lower() == lowered
    ]
    if not matches and len(ident) >= 4:
        matches = [c for c in candidates if c.id.lower().endswith(lowered)]
    if len(matches) == 1:
        return matches[0].id
    known = ", ".join(repr(c.name) for c in candidates[:10]) or "none"
    what = "more than one" if matches else "no"
    raise UserError(
        f"{what} {kind} named {ident!r} here (known: {known}); see 'solo-unicorn {kind} list'"
    )
