"""A canonical dump of an organization's replicated rows, to compare replicas and the server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy import select

from storage.database import Database
from storage.models import REPLICATED_TABLES
from sync.server import q


def _norm(value: Any) -> Any:
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    if isinstance(value, float) and value.is_integer():
        return value
    return value


def _canon(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps({k: _norm(v) for k, v in r.items()}, sort_keys=True) for r in rows)


async def dump_replica(db: Database, organization_id: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    async with db.read() as conn:
        for name, table in REPLICATED_TABLES.items():
            query = select(table).where(table.c.organization_id == organization_id)
            out[name] = _canon([dict(r) for r in (await conn.execute(query)).mappings()])
    return out


async def dump_server(conn: asyncpg.Connection, organization_id: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name in REPLICATED_TABLES:
        records = await conn.fetch(
            f"SELECT * FROM {q(name)} WHERE organization_id = $1", organization_id
        )
        out[name] = _canon([dict(r) for r in records])
    return out
