"""Regenerate ``storage/migrations/versions/0001_initial.py`` from the models.

Only while nothing has been released: once a replica in the wild is at 0001, schema changes
go into new revisions instead.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from pathlib import Path

from alembic import command

from storage.database import create_engine
from storage.migrate import MIGRATIONS_DIR, alembic_config

TARGET = MIGRATIONS_DIR / "versions" / "0001_initial.py"


async def main() -> None:
    TARGET.unlink(missing_ok=True)
    others = [p for p in (MIGRATIONS_DIR / "versions").glob("*.py") if p.name != "__init__.py"]
    hidden = [p.rename(p.with_suffix(".hidden")) for p in others]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            engine = create_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'gen.db'}")
            async with engine.begin() as conn:
                await conn.run_sync(
                    lambda c: command.revision(
                        alembic_config(c), message="initial", autogenerate=True, rev_id="0001"
                    )
                )
            await engine.dispose()
    finally:
        for p in hidden:
            p.rename(p.with_suffix(".py"))
    text = TARGET.read_text()
    text = re.sub(r"\n *# ### (commands auto generated|end Alembic commands).*", "", text)
    TARGET.write_text(text)


if __name__ == "__main__":
    asyncio.run(main())
