"""Fixtures shared by the board's Pilot tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.database import Database
from storage.identity import Identity
from tests.support.board import open_replica, seed_board

Replica = tuple[Database, Identity, dict[str, str]]


@pytest.fixture
async def replica(tmp_path: Path) -> AsyncIterator[Replica]:
    """A real replica file with the known missions (title → id), closed after the test."""
    db, identity = await open_replica(tmp_path / "replica.db")
    ids = await seed_board(db, identity)
    try:
        yield db, identity, ids
    finally:
        await db.close()
