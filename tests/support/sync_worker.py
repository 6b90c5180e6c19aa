"""A real sync process for fault injection: ``python -m tests.support.sync_worker DB URL``.

Prints ``ready`` once imports and the replica are open, then runs one sync round with tiny
batches (many commit points to be killed between), then prints ``done``.
"""

from __future__ import annotations

import asyncio
import sys

from storage.database import Database, sqlite_url
from sync import engine
from sync.connection import connect


async def main(path: str, url: str) -> None:
    engine.PUSH_BATCH = 3
    engine.PULL_BATCH = 4
    db = await Database.open(sqlite_url(path))
    conn = await connect(url, None)
    print("ready", flush=True)
    try:
        await engine.sync_round(db, conn)
    finally:
        await conn.close()
        await db.close()
    print("done", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
