"""Connecting to the sync server: one asyncpg connection, clear errors, schema check."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlsplit

import asyncpg

from sync.errors import (
    NotAMemberError,
    ServerAuthError,
    ServerSchemaError,
    ServerUnreachableError,
    SyncError,
)
from sync.urls import plain_dsn as plain_dsn
from sync.urls import port_problem
from sync.urls import redact as redact

CONNECT_TIMEOUT_S = 5.0

#: Every wait on the server is bounded, so no client can hold its organization: a push frozen
#: between its function and COMMIT (the organization's advisory lock held) is ended by
#: ``idle_in_transaction_session_timeout``; a writer waiting for that lock gives up after
#: ``lock_timeout`` (and retries); a dead peer is noticed by TCP keepalives in about 25 s.
SESSION_SETTINGS = {
    "idle_in_transaction_session_timeout": "2s",
    "lock_timeout": "5s",
    "statement_timeout": "60s",
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
}


def check_url(url: str) -> None:
    """Refuse a server URL without a host (libpq would silently use the local default server)."""
    problem = port_problem(url)
    if problem:
        raise SyncError(f"the server URL {redact(url)!r} is not usable: {problem}")
    parts = urlsplit(plain_dsn(url))
    if not parts.hostname and "host=" not in parts.query:
        raise SyncError(
            f"the server URL {redact(url)!r} names no host: use "
            "postgresql://ROLE@HOST:5432/DATABASE"
        )


def sqlalchemy_url(url: str, password: str | None) -> str:
    """A ``postgresql+asyncpg://`` URL with the password, for Alembic (never logged)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(plain_dsn(url)).set(drivername="postgresql+asyncpg")
    if password:
        parsed = parsed.set(password=password)
    return parsed.render_as_string(hide_password=False)


def map_connect_error(error: BaseException, url: str) -> SyncError:
    """Turn an asyncpg/socket failure into a one-line message naming the fix."""
    where = redact(url)
    if isinstance(
        error, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError
    ):
        return ServerAuthError(
            f"the sync server {where} rejected the credentials ({error}): if the administrator "
            "revoked this role, ask for a new invite; otherwise run 'solo-unicorn server login' "
            "to store the right password"
        )
    if isinstance(error, asyncpg.InvalidCatalogNameError):
        return ServerSchemaError(
            f"the database in {where} does not exist: create it, then run "
            "'solo-unicorn server upgrade'"
        )
    if isinstance(error, OSError | TimeoutError | asyncio.TimeoutError | ConnectionError):
        reason = str(error) or type(error).__name__
        return ServerUnreachableError(
            f"cannot reach the sync server {where} ({reason}): check server_url "
            "(or SOLO_UNICORN_SERVER_URL) and that PostgreSQL is running"
        )
    if isinstance(error, asyncpg.PostgresError | asyncpg.InterfaceError):
        return ServerUnreachableError(f"the sync server {where} failed: {error}")
    return SyncError(f"cannot connect to the sync server {where}: {error}")


async def _install_codecs(conn: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog", format="text"
        )


async def connect(
    url: str, password: str | None, *, check_schema: bool = True
) -> asyncpg.Connection:
    """Open the sync connection; raise a :class:`SyncError` with a clear message on failure."""
    check_url(url)
    try:
        conn = await asyncpg.connect(
            plain_dsn(url),
            password=password or None,
            timeout=CONNECT_TIMEOUT_S,
            command_timeout=float(SESSION_SETTINGS["statement_timeout"].rstrip("s")) + 5,
            server_settings=SESSION_SETTINGS,
        )
    except Exception as error:
        raise map_connect_error(error, url) from None
    try:
        await _install_codecs(conn)
        if check_schema:
            await check_server_schema(conn, url)
    except BaseException:
        await conn.close()
        raise
    return conn


async def check_server_schema(conn: asyncpg.Connection, url: str) -> None:
    """Refuse to sync unless the server is at exactly this program's schema revision."""
    from storage.migrate import head_revision

    expected = head_revision()
    try:
        found = await conn.fetchval("SELECT su_schema_version()")
    except asyncpg.UndefinedFunctionError:
        found = await _table_revision(conn)
    except asyncpg.InsufficientPrivilegeError:
        raise NotAMemberError(
            f"the sync server {redact(url)} does not let this role sync: it is not a member "
            "role of this server; ask the administrator for an invite"
        ) from None
    if found == expected:
        return
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config())
    if found is None:
        hint = "it has no solo-unicorn schema yet: run 'solo-unicorn server upgrade'"
    else:
        try:
            known = scripts.get_revision(found) is not None
        except Exception:
            known = False
        if known:
            hint = f"it is at {found}, older than {expected}: run 'solo-unicorn server upgrade'"
        else:
            hint = f"it is at {found}, newer than this program ({expected}): update solo-unicorn"
    raise ServerSchemaError(f"the sync server {redact(url)} has the wrong schema: {hint}")


async def _table_revision(conn: asyncpg.Connection) -> str | None:
    """The revision of a server older than 0003 (no ``su_schema_version``), or of none."""
    try:
        return await conn.fetchval("SELECT version_num FROM alembic_version")
    except (asyncpg.UndefinedTableError, asyncpg.InsufficientPrivilegeError):
        return None


async def check_server(url: str, password: str | None) -> str:
    """For ``doctor``: a one-line description of a healthy server, or a :class:`SyncError`."""
    from sync import server

    conn = await connect(url, password)
    try:
        version = await server.schema_version(conn)
        me = await server.whoami(conn)
        orgs = await server.organizations(conn) if me.is_admin else []
    finally:
        await conn.close()
    if me.is_admin:
        who = f"administrator role {me.role}, {len(orgs)} organization(s)"
    elif me.organization_id:
        who = f"role {me.role}, member of organization {me.organization_id}"
    else:
        raise NotAMemberError(
            f"role {me.role} is not a member of any organization on {redact(url)}"
        )
    return f"sync server {redact(url)} reachable, schema {version}, {who}"


#: What a dropped or failed server connection raises mid-operation (temporary: retry).
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)

#: What a connection lost mid-operation raises (the server crashed, restarted or was cut off;
#: the socket reset; asyncpg's ``Transaction.__aexit__`` on a closed connection …): one line,
#: :data:`CONNECTION_LOST`, and a retry, never an "unexpected" error.
LOST_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,
)
CONNECTION_LOST = "connection to the server lost; will retry"
#: Another client holds the organization's lock longer than ``lock_timeout``: retry too.
LOCK_WAIT = "waited too long for another client's sync to finish; will retry"


def retry_message(error: BaseException) -> str | None:
    """The one line for a temporary failure worth a retry, or None for any other error."""
    if isinstance(error, asyncpg.LockNotAvailableError):
        return LOCK_WAIT
    if isinstance(error, LOST_ERRORS):
        return CONNECTION_LOST
    return None
