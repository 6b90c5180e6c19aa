"""A read-only view of the SQLite replica over the standard library's ``sqlite3``.

The board reads through this: it needs neither SQLAlchemy nor the schema machinery, so the first
cards appear before those are imported, and every statement runs on one dedicated thread so the
UI loop never waits on the disk. It never writes (writes go through the domain operations).
Autocommit mode: each statement sees the newest committed state, and ``PRAGMA data_version``
moves whenever another connection commits.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any


class ReplicaReader:
    def __init__(self, connection: sqlite3.Connection, executor: ThreadPoolExecutor) -> None:
        self._connection = connection
        self._executor = executor

    @classmethod
    async def open(cls, path: Path | str) -> ReplicaReader:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="replica-reader")

        def connect() -> sqlite3.Connection:
            uri = Path(path).absolute().as_uri()
            conn = sqlite3.connect(
                f"{uri}?mode=rw", uri=True, check_same_thread=False, isolation_level=None
            )
            conn.execute("PRAGMA busy_timeout=15000")
            conn.execute("PRAGMA query_only=ON")
            return conn

        loop = asyncio.get_running_loop()
        try:
            connection = await loop.run_in_executor(executor, connect)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(connection, executor)

    async def run(self, sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, lambda: self._connection.execute(sql, params).fetchall()
        )

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._connection.close)
        self._executor.shutdown(wait=False)
