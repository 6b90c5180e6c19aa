"""The server's SQL merge and the replicas' Python merge agree on the shared case table."""

from __future__ import annotations

import itertools
from typing import Any

import asyncpg
import pytest

from sync.connection import connect
from sync.merge import merge_columns, outbox_clocks, row_stamp
from tests.support.sync_env import drop_test_roles, upgrade_server  # noqa: F401
from tests.sync.merge_cases import CASES, Case, Write

Row = tuple[dict[str, Any], dict[str, str]]


def python_apply(row: Row, write: Write) -> Row:
    values, clocks = row
    wins, merged = merge_columns(clocks, write.values, outbox_clocks(write.values, write.hlc))
    return {**values, **wins}, merged


async def sql_apply(conn: asyncpg.Connection, row: Row, write: Write) -> Row:
    values, clocks = row
    # The server builds an outbox entry's clocks the same way (su_apply_change).
    incoming = {column: write.hlc for column in write.values}
    result = await conn.fetchrow(
        "SELECT * FROM su_merge_columns($1::jsonb, $2::jsonb, $3::jsonb)",
        clocks,
        write.values,
        incoming,
    )
    return {**values, **result["wins"]}, result["clocks"]


@pytest.fixture
async def conn(pg_database: str):  # type: ignore[no-untyped-def]
    await upgrade_server(pg_database)
    connection = await connect(pg_database, None)
    yield connection
    await connection.close()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_sql_and_python_merge_agree_in_every_order(conn, case: Case) -> None:  # type: ignore[no-untyped-def]
    results = set()
    for order in itertools.permutations(case.writes):
        py: Row = ({}, {})
        sql: Row = ({}, {})
        for write in order:
            py = python_apply(py, write)
            sql = await sql_apply(conn, sql, write)
            assert sql == py, f"after {write}: SQL {sql} vs Python {py}"
        stamp = await conn.fetchrow("SELECT * FROM su_row_stamp($1::jsonb)", sql[1])
        assert (stamp["hlc"], stamp["site_id"]) == row_stamp(py[1]) == case.stamp
        assert py[0] == case.expect
        for column in case.absent:
            assert column not in py[0] and column not in py[1]
        results.add(repr(sorted(py[0].items())) + repr(sorted(py[1].items())))
    assert len(results) == 1, "the merge must not depend on the order of arrival"


async def test_server_clock_comparison_ignores_the_database_collation(conn) -> None:  # type: ignore[no-untyped-def]
    """The cases above that hinge on case and punctuation would flip under a natural-language
    collation; show the server's own default comparison is not what the merge uses."""
    collation = await conn.fetchval(
        "SELECT collname FROM pg_collation "
        "WHERE collname IN ('en-US-x-icu', 'en_US.utf8', 'en_US') ORDER BY collname LIMIT 1"
    )
    if collation is None:
        pytest.skip("no en_US collation on this server to contrast with")
    natural = await conn.fetchval(
        f"SELECT 'site_A' COLLATE \"{collation}\" > 'site_a' COLLATE \"{collation}\""
    )
    assert natural is True  # en_US puts lower case first: the C order is the opposite
    row = await conn.fetchrow(
        "SELECT * FROM su_merge_columns($1::jsonb, $2::jsonb, $3::jsonb)",
        {"title": "000000000000001:000000:site_A"},
        {"title": "lower"},
        {"title": "000000000000001:000000:site_a"},
    )
    assert row["wins"] == {"title": "lower"}
