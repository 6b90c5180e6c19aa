"""Server administration: organizations and member roles (run with the administrator's URL).

The administrator is the role that ran ``server upgrade`` (it owns the schema). Each member of a
team gets a PostgreSQL login role of its own, mapped to one organization by the server
(``sync_members``); row-level security and the sync functions key everything to that mapping.

The member's password is generated here, shown once by the caller, and never stored: the
server receives only its SCRAM-SHA-256 verifier (RFC 5802/7677, the format PostgreSQL stores
for ``password_encryption = scram-sha-256``), so not even the statement that creates the role
carries the password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from storage.codec import encode_row
from storage.hlc import HybridLogicalClock
from storage.identity import slugify
from storage.ids import new_id_for
from storage.types import utcnow
from sync import server
from sync.connection import plain_dsn
from sync.errors import AdministratorRequiredError, SyncError
from sync.protocol import Change

SCRAM_ITERATIONS = 4096
PASSWORD_ALPHABET = string.ascii_letters + string.digits
PASSWORD_LENGTH = 32


def scram_verifier(
    password: str, *, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS
) -> str:
    """``SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>``, as PostgreSQL stores it."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def new_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def role_name_for(who: str | None) -> str:
    """``su_<who>_<random>``: readable, and unique across the cluster (roles are global)."""
    base = re.sub(r"[^a-z0-9]+", "_", (who or "member").lower()).strip("_")[:24] or "member"
    suffix = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(8))
    return f"su_{base}_{suffix}"


def member_url(admin_url: str, role: str) -> str:
    """The administrator's server address with the member's role as the user (no password)."""
    parts = urlsplit(plain_dsn(admin_url))
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"{role}@{host}", parts.path, parts.query, ""))


@dataclass(frozen=True)
class OrganizationInfo:
    organization_id: str
    name: str | None
    slug: str | None
    members: int
    changes: int


@dataclass(frozen=True)
class Invite:
    organization_id: str
    role: str
    password: str
    server_url: str
    name: str


@dataclass(frozen=True)
class Member:
    role: str
    name: str
    kind: str
    created_at: datetime
    can_login: bool
    connections: int


async def require_admin(conn: asyncpg.Connection) -> None:
    me = await server.whoami(conn)
    if not me.is_admin:
        raise AdministratorRequiredError(
            f"this needs the administrator's server URL (the one used for 'server upgrade'); "
            f"{me.role} is a member role"
        )


async def organizations(conn: asyncpg.Connection) -> list[OrganizationInfo]:
    await require_admin(conn)
    records = await conn.fetch("SELECT * FROM su_admin_organizations()")
    return [
        OrganizationInfo(r["organization_id"], r["name"], r["slug"], r["members"], r["last_seq"])
        for r in records
    ]


async def resolve_organization(conn: asyncpg.Connection, ref: str) -> OrganizationInfo:
    """An organization by id, name or slug (one match, or a clear error)."""
    known = await organizations(conn)
    for info in known:
        if info.organization_id == ref:
            return info
    matches = [i for i in known if ref.lower() in ((i.name or "").lower(), (i.slug or ""))]
    if len(matches) == 1:
        return matches[0]
    listing = ", ".join(f"{i.organization_id} ({i.name or '?'})" for i in known) or "none"
    if matches:
        raise SyncError(f"{ref!r} names several organizations: use the id (known: {listing})")
    raise SyncError(
        f"the server holds no organization {ref!r} (known: {listing}); "
        "create one with 'solo-unicorn server org add NAME'"
    )


async def add_organization(conn: asyncpg.Connection, name: str) -> OrganizationInfo:
    """Create an organization on the server, as the first change of a server-side site."""
    await require_admin(conn)
    name = name.strip()
    if not name:
        raise SyncError("an organization needs a name: solo-unicorn server org add NAME")
    org_id = new_id_for("organizations")
    site_id = f"srv_{org_id}"
    now = utcnow()
    values = encode_row(
        {
            "id": org_id,
            "name": name,
            "slug": slugify(name),
            "default_flow_id": None,
            "deleted": False,
            "created_at": now,
            "updated_at": now,
        }
    )
    change = Change(1, "organizations", org_id, org_id, HybridLogicalClock(site_id).now(), values)
    await server.use_organization(conn, org_id)
    result = await server.apply_push(conn, site_id, [change])
    if result.rejections:
        raise SyncError(f"the server refused the organization: {result.rejections[0].reason}")
    return OrganizationInfo(org_id, name, slugify(name), 0, 1)


async def invite(
    conn: asyncpg.Connection, admin_url: str, organization_ref: str, who: str | None
) -> Invite:
    """Create a login role for one member of an organization; return what the member needs."""
    org = await resolve_organization(conn, organization_ref)
    role = role_name_for(who)
    password = new_password()
    try:
        await conn.execute(
            "SELECT su_admin_invite($1, $2, $3, $4)",
            org.organization_id,
            role,
            scram_verifier(password),
            who or "",
        )
    except asyncpg.InsufficientPrivilegeError as error:
        me = await server.whoami(conn)
        raise AdministratorRequiredError(
            f"role {me.role} cannot create member roles ({error}): give it CREATEROLE "
            f"(ALTER ROLE {me.role} CREATEROLE) or run this with a superuser's URL"
        ) from None
    return Invite(org.organization_id, role, password, member_url(admin_url, role), who or "")


async def members(conn: asyncpg.Connection, organization_ref: str) -> list[Member]:
    org = await resolve_organization(conn, organization_ref)
    records = await conn.fetch("SELECT * FROM su_admin_members($1)", org.organization_id)
    return [
        Member(
            r["role_name"],
            r["member_name"],
            r["kind"],
            r["created_at"],
            r["can_login"],
            r["connections"],
        )
        for r in records
    ]


async def revoke(conn: asyncpg.Connection, role: str) -> str:
    """Drop a member role (its sessions are ended); return the organization it belonged to."""
    await require_admin(conn)
    try:
        return await conn.fetchval("SELECT su_admin_revoke($1)", role)
    except asyncpg.PostgresError as error:
        if getattr(error, "sqlstate", None) == "SU006":
            raise SyncError(
                f"{error.message}: see 'solo-unicorn server members ORG' for its roles"
            ) from None
        if isinstance(error, asyncpg.InsufficientPrivilegeError):
            raise AdministratorRequiredError(
                f"cannot drop role {role} ({error}): run this with a role that has CREATEROLE"
            ) from None
        raise


async def mapped_admin_organization(conn: asyncpg.Connection) -> str | None:
    """The organization the administrator's role is mapped to, if any (single-role servers)."""
    me = await server.whoami(conn)
    return me.organization_id if me.is_admin else None
