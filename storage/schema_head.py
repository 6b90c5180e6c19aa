"""Is a database already at the newest migration? Answered without importing Alembic.

Opening the replica happens on every start of the board; importing Alembic and walking its
script directory costs ~0.1 s, so :meth:`storage.database.Database.open` asks this first and
runs Alembic only when the stored revision is not the head found in ``migrations/versions``.
Importing this module costs no SQLAlchemy either (the board's and the CLI's read paths use
:func:`head_revisions` alone).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

VERSIONS_DIR = Path(__file__).parent / "migrations" / "versions"
_REVISION = re.compile(r"^revision\s*(?::\s*str\s*)?=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", re.M)


@cache
def head_revisions() -> frozenset[str]:
    """Revisions no other revision builds on (normally exactly one)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in VERSIONS_DIR.glob("*.py"):
        source = script.read_text(encoding="utf-8")
        found = _REVISION.search(source)
        if found is None:
            continue
        revisions.add(found.group(1))
        down = _DOWN.search(source)
        if down is not None:
            parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    return frozenset(revisions - parents)


async def at_head(engine: AsyncEngine) -> bool:
    """True only when the database records exactly the single head revision."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    heads = head_revisions()
    if len(heads) != 1:
        return False
    try:
        async with engine.connect() as conn:
            found = (
                (await conn.execute(text("SELECT version_num FROM alembic_version")))
                .scalars()
                .all()
            )
            await conn.rollback()
    except DBAPIError:
        return False
    return list(found) == list(heads)
