"""``solo-unicorn server …``: the shared PostgreSQL server, its organizations and member roles.

The URL used for ``server upgrade`` is the *administrator*; ``org add``, ``invite``, ``members``
and ``revoke`` need it. Each team member gets a login role of its own (``invite``), joins with
``server login`` and ``sync``, and can then read and write only its organization's rows.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from solo_unicorn_tui.cli.output import add_action, add_json_flag, print_json, print_table
from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.home import Home

#: The first revision with member roles and row-level security.
ISOLATION_REVISION = "0003"


def register(sub: Any) -> None:
    parser = sub.add_parser("server", help="set up the shared PostgreSQL sync server")
    commands = parser.add_subparsers(dest="server_command", metavar="ACTION", required=True)

    upgrade = commands.add_parser("upgrade", help="create or upgrade the server's schema")
    upgrade.add_argument("--url", help="PostgreSQL URL (default: the configured server_url)")
    upgrade.set_defaults(handler=_upgrade)

    login = commands.add_parser(
        "login", help="store the server URL in config and its password in the OS keyring"
    )
    login.add_argument("--url", help="postgresql://user@host:port/database (no password)")
    login.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add_json_flag(login)
    login.set_defaults(handler=_login)

    org = commands.add_parser("org", help="organizations on the server (administrator)")
    org_commands = org.add_subparsers(dest="org_command", metavar="ACTION", required=True)
    add = add_action(org_commands, "add", "create an organization", _org_add)
    add.add_argument("name", help="the organization's name")
    _url_option(add)
    _url_option(add_action(org_commands, "list", "list the server's organizations", _org_list))

    invite = add_action(
        commands, "invite", "create a login role for one member of an organization", _invite
    )
    invite.add_argument("org", metavar="ORG", help="organization id or name")
    invite.add_argument("--name", metavar="WHO", help="who the role is for (e.g. alice)")
    _url_option(invite)

    members = add_action(commands, "members", "list an organization's member roles", _members)
    members.add_argument("org", metavar="ORG", help="organization id or name")
    _url_option(members)

    revoke = add_action(commands, "revoke", "remove a member role (its next sync fails)", _revoke)
    revoke.add_argument("role", metavar="ROLE", help="the member's role, as 'invite' printed it")
    _url_option(revoke)


def _url_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="the administrator's URL (default: the configured one)")


def server_url(args: argparse.Namespace, home: Home) -> str:
    from solo_unicorn_tui.config import load_settings

    url = getattr(args, "url", None) or load_settings(home).server_url
    if not url:
        raise UserError(
            "no sync server configured: run 'solo-unicorn server login --url "
            "postgresql://USER@HOST:5432/DATABASE' or set SOLO_UNICORN_SERVER_URL"
        )
    return url


@asynccontextmanager
async def _admin_connection(args: argparse.Namespace) -> AsyncIterator[tuple[str, Any]]:
    from solo_unicorn_tui.secrets import SERVER_PASSWORD, get_secret
    from sync import admin
    from sync.connection import connect

    url = server_url(args, Home.locate())
    conn = await connect(url, get_secret(SERVER_PASSWORD))
    try:
        await admin.require_admin(conn)
        yield url, conn
    finally:
        await conn.close()


async def _upgrade(args: argparse.Namespace) -> int:
    from solo_unicorn_tui.secrets import SERVER_PASSWORD, get_secret
    from storage.database import create_engine
    from storage.migrate import get_revision, head_revision, upgrade_to_head
    from sync.connection import connect, redact, sqlalchemy_url

    home = Home.locate()
    url = server_url(args, home)
    password = get_secret(SERVER_PASSWORD)
    conn = await connect(url, password, check_schema=False)
    await conn.close()
    engine = create_engine(sqlalchemy_url(url, password))
    try:
        before = await get_revision(engine)
        try:
            await upgrade_to_head(engine)
        except Exception as error:
            if _insufficient_privilege(error):
                raise UserError(
                    f"the role in {redact(url)} cannot change the schema ({error}): run "
                    "'server upgrade' with the administrator's URL (the schema's owner)"
                ) from None
            raise
    finally:
        await engine.dispose()
    after = head_revision()
    if before == after:
        print(f"server {redact(url)} is already at schema {after}")
    else:
        print(f"server {redact(url)} upgraded from {before or 'nothing'} to schema {after}")
    if (before or "") < ISOLATION_REVISION <= after:
        await _print_team_hint(url, password)
    return 0


def _insufficient_privilege(error: BaseException) -> bool:
    import asyncpg

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, asyncpg.InsufficientPrivilegeError):
            return True
        seen = seen.__cause__ or getattr(seen, "orig", None)
        if seen is error:
            break
    return False


async def _print_team_hint(url: str, password: str | None) -> None:
    from sync import admin
    from sync.connection import connect, plain_dsn

    conn = await connect(url, password)
    try:
        mapped = await admin.mapped_admin_organization(conn)
    finally:
        await conn.close()
    who = urlsplit(plain_dsn(url)).username or "this role"
    if mapped:
        print(f"{who} is now the administrator and keeps syncing organization {mapped} as before.")
    else:
        print(f"{who} is now the administrator; each replica keeps syncing its organization.")
    print(
        "To move a team to member roles (each reads and writes only its organization):\n"
        "  solo-unicorn server invite ORG --name WHO     (once per member; prints a role and "
        "password)\n"
        "  then each member: solo-unicorn server login --url <printed URL> && solo-unicorn sync"
    )


async def _login(args: argparse.Namespace) -> int:
    import asyncpg

    from solo_unicorn_tui.config import save_settings
    from solo_unicorn_tui.secrets import SERVER_PASSWORD, set_secret
    from sync import server as sync_server
    from sync.connection import connect, plain_dsn, redact

    home = Home.locate()
    home.ensure()
    url = server_url(args, home)
    if urlsplit(plain_dsn(url)).password:
        raise UserError(
            "the server URL must not contain a password: give the URL without it and type the "
            "password when asked (it is stored in the OS keyring)"
        )
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {redact(url)} (empty for none): ")
    conn = await connect(url, password or None, check_schema=False)
    try:
        try:
            me: sync_server.Identity | None = await sync_server.whoami(conn)
        except (asyncpg.UndefinedFunctionError, asyncpg.InsufficientPrivilegeError):
            me = None
    finally:
        await conn.close()
    if password:
        set_secret(SERVER_PASSWORD, password)  # first: without a keyring nothing is saved
    save_settings(home, {"server_url": url})
    if args.json:
        print_json(
            {
                "server_url": redact(url),
                "role": me.role if me else None,
                "administrator": me.is_admin if me else None,
                "organization_id": me.organization_id if me else None,
                "password_stored": bool(password),
            }
        )
        return 0
    stored = " (password stored in the OS keyring)" if password else ""
    print(f"logged in to {redact(url)}{stored}")
    if me is not None and not me.is_admin and me.organization_id:
        print(f"role {me.role} is a member of organization {me.organization_id}")
    return 0


async def _org_add(args: argparse.Namespace) -> int:
    from sync import admin

    async with _admin_connection(args) as (_url, conn):
        info = await admin.add_organization(conn, args.name)
    if args.json:
        print_json({"organization_id": info.organization_id, "name": info.name})
    else:
        print(f"created organization {info.name} ({info.organization_id})")
        print(f"invite its members with: solo-unicorn server invite {info.organization_id}")
    return 0


async def _org_list(args: argparse.Namespace) -> int:
    from sync import admin

    async with _admin_connection(args) as (_url, conn):
        known = await admin.organizations(conn)
    if args.json:
        print_json(
            [
                {
                    "organization_id": i.organization_id,
                    "name": i.name,
                    "slug": i.slug,
                    "members": i.members,
                    "changes": i.changes,
                }
                for i in known
            ]
        )
    else:
        print_table(
            ["id", "name", "members", "changes"],
            [(i.organization_id, i.name, i.members, i.changes) for i in known],
        )
    return 0


async def _invite(args: argparse.Namespace) -> int:
    from sync import admin

    async with _admin_connection(args) as (url, conn):
        made = await admin.invite(conn, url, args.org, args.name)
    if args.json:
        print_json(
            {
                "organization_id": made.organization_id,
                "name": made.name,
                "role": made.role,
                "password": made.password,
                "server_url": made.server_url,
            }
        )
        return 0
    print(f"invited {made.name or 'a member'} to organization {made.organization_id}")
    print(f"  role      {made.role}")
    print(f"  password  {made.password}   (shown once: it is stored nowhere)")
    print(f"  server    {made.server_url}")
    print("the member joins with:")
    print(f"  solo-unicorn server login --url {made.server_url}")
    print("  solo-unicorn sync")
    return 0


async def _members(args: argparse.Namespace) -> int:
    from sync import admin

    async with _admin_connection(args) as (_url, conn):
        found = await admin.members(conn, args.org)
    if args.json:
        print_json(
            [
                {
                    "role": m.role,
                    "name": m.name,
                    "kind": m.kind,
                    "created_at": m.created_at.isoformat(),
                    "can_login": m.can_login,
                    "connections": m.connections,
                }
                for m in found
            ]
        )
    else:
        print_table(
            ["role", "name", "kind", "created", "connections"],
            [
                (m.role, m.name, m.kind, m.created_at.strftime("%Y-%m-%d %H:%M"), m.connections)
                for m in found
            ],
        )
    return 0


async def _revoke(args: argparse.Namespace) -> int:
    from sync import admin

    async with _admin_connection(args) as (_url, conn):
        organization_id = await admin.revoke(conn, args.role)
    if args.json:
        print_json({"role": args.role, "organization_id": organization_id, "revoked": True})
    else:
        print(f"revoked {args.role} (organization {organization_id}): its next sync fails")
    return 0
