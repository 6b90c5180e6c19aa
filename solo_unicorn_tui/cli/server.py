"""``solo-unicorn server …``: upgrade the shared PostgreSQL schema, store its password."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any
from urllib.parse import urlsplit

from solo_unicorn_tui.config import load_settings, save_settings
from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.home import Home
from solo_unicorn_tui.secrets import SERVER_PASSWORD, get_secret, set_secret
from storage.database import create_engine
from storage.migrate import get_revision, head_revision, upgrade_to_head
from sync.connection import connect, plain_dsn, redact, sqlalchemy_url


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
    login.set_defaults(handler=_login)


def server_url(args: argparse.Namespace, home: Home) -> str:
    url = getattr(args, "url", None) or load_settings(home).server_url
    if not url:
        raise UserError(
            "no sync server configured: run 'solo-unicorn server login --url "
            "postgresql://USER@HOST:5432/DATABASE' or set SOLO_UNICORN_SERVER_URL"
        )
    return url


async def _upgrade(args: argparse.Namespace) -> int:
    home = Home.locate()
    url = server_url(args, home)
    password = get_secret(SERVER_PASSWORD)
    conn = await connect(url, password, check_schema=False)
    await conn.close()
    engine = create_engine(sqlalchemy_url(url, password))
    try:
        before = await get_revision(engine)
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()
    after = head_revision()
    if before == after:
        print(f"server {redact(url)} is already at schema {after}")
    else:
        print(f"server {redact(url)} upgraded from {before or 'nothing'} to schema {after}")
    return 0


async def _login(args: argparse.Namespace) -> int:
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
    await conn.close()
    save_settings(home, {"server_url": url})
    if password:
        set_secret(SERVER_PASSWORD, password)
    print(
        f"logged in to {redact(url)}" + (" (password stored in the OS keyring)" if password else "")
    )
    return 0
