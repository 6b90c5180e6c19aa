"""``solo-unicorn doctor``: one line per check, non-zero exit when something is broken."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from solo_unicorn_tui.cli.output import add_json_flag, print_json
from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.home import Home
from storage.errors import StorageError

if TYPE_CHECKING:
    from solo_unicorn_tui.config import Settings


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    warning: bool = False

    @property
    def label(self) -> str:
        if self.ok:
            return "ok"
        return "warn" if self.warning else "FAIL"


def register(sub: Any) -> None:
    parser = sub.add_parser("doctor", help="check home, replica, schema, git, keyring and server")
    add_json_flag(parser)
    parser.set_defaults(handler=_doctor)


def check_home(home: Home) -> Check:
    try:
        home.ensure()
    except UserError as error:
        return Check("home", False, str(error))
    return Check("home", True, str(home.root))


def check_config(home: Home) -> tuple[Check, Settings | None]:
    from solo_unicorn_tui.config import load_settings

    try:
        settings = load_settings(home)
    except UserError as error:
        return Check("config", False, str(error)), None
    where = home.config_file if home.config_file.exists() else "defaults (no config.json)"
    return Check("config", True, str(where)), settings


async def check_replica(home: Home) -> list[Check]:
    from storage.database import Database, sqlite_url
    from storage.migrate import get_revision, head_revision

    try:
        db = await Database.open(sqlite_url(home.replica))
    except StorageError as error:
        return [Check("replica", True, str(home.replica)), Check("schema", False, str(error))]
    except Exception as error:
        return [Check("replica", False, f"cannot open {home.replica}: {error}")]
    try:
        revision = await get_revision(db.engine)
    finally:
        await db.close()
    return [
        Check("replica", True, str(home.replica)),
        Check(
            "schema", revision == head_revision(), f"revision {revision} (head {head_revision()})"
        ),
    ]


def check_git() -> Check:
    git = shutil.which("git")
    if git is None:
        return Check("git", False, "git not found on PATH; install git to run agents in worktrees")
    try:
        version = subprocess.run(
            [git, "--version"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as error:
        return Check("git", False, f"{git} does not run: {error}")
    return Check("git", True, version)


def check_keyring() -> Check:
    from solo_unicorn_tui import secrets

    name = secrets.keyring_backend_name()
    if secrets.keyring_usable():
        return Check("keyring", True, name)
    return Check(
        "keyring",
        False,
        f"no usable OS keyring ({name}); secrets can come from SOLO_UNICORN_SERVER_PASSWORD / "
        "SOLO_UNICORN_GITHUB_TOKEN instead",
        warning=True,
    )


def check_agents(home: Home) -> Check:
    from solo_unicorn_tui.runtime.agent_profiles import AgentProfiles

    try:
        profiles = AgentProfiles.load(home)
    except UserError as error:
        return Check("agents", False, str(error))
    found = [p.name for p in profiles.all() if p.available]
    missing = [p.name for p in profiles.all() if not p.available]
    default = profiles.default()
    with_mcp = [p.name for p in profiles.all() if p.gets_mcp]
    mcp_note = "; MCP server for " + (", ".join(with_mcp) if with_mcp else "none")
    if not found:
        return Check(
            "agents",
            False,
            "no agent binary found on PATH (" + ", ".join(missing) + "); install one or add a "
            "command with 'solo-unicorn agent add NAME --default -- ARGV…'" + mcp_note,
            warning=True,
        )
    detail = "available: " + ", ".join(found)
    if default is not None:
        detail += f"; default {default.name}"
    detail += mcp_note
    return Check("agents", True, detail)


def check_agent_versions(home: Home) -> list[Check]:
    """One warning per built-in CLI whose installed version is outside its verified range."""
    from solo_unicorn_tui.runtime.agent_profiles import AgentProfiles
    from solo_unicorn_tui.runtime.agents import versions

    try:
        profiles = [p for p in AgentProfiles.load(home).all() if p.verified_version]
    except UserError:
        return []
    found = versions.detect_versions(profiles, versions.cache_file(home.root))
    checks = []
    for profile in profiles:
        version = found.get(profile.name)
        verdict = versions.verdict(profile, version)
        if verdict is None:
            continue
        checks.append(
            Check(
                f"agent {profile.name}",
                False,
                f"{profile.executable} {version} is {verdict} than the verified "
                f"{versions.verified_range(profile)}; it may not work as the built-in profile "
                "expects (install the verified version, e.g. scripts/install_agent_clis.sh)",
                warning=True,
            )
        )
    return checks


async def check_server(settings: Settings) -> Check:
    from solo_unicorn_tui import secrets

    if not settings.server_url:
        return Check("server", True, "not configured (working local-only)")
    from sync.connection import check_server as probe

    try:
        return Check(
            "server",
            True,
            await probe(settings.server_url, secrets.get_secret(secrets.SERVER_PASSWORD)),
        )
    except (StorageError, UserError) as error:
        return Check("server", False, str(error))


async def check_github(settings: Settings) -> Check:
    """The stored GitHub token against ``GET /user``: whose it is and its scopes."""
    from solo_unicorn_tui import secrets
    from solo_unicorn_tui.runtime.github.client import GitHubClient

    try:
        token = secrets.get_secret(secrets.GITHUB_TOKEN)
    except UserError as error:
        return Check("github", False, str(error))
    if not token:
        return Check("github", True, "no token stored (PR mode needs 'solo-unicorn github login')")
    try:
        async with GitHubClient(token, settings.github_api_url, timeout=10) as client:
            info = await client.token_info()
    except UserError as error:
        return Check("github", False, str(error))
    scopes = ", ".join(info.scopes) if info.scopes else "not reported (fine-grained token)"
    detail = f"token of {info.login} at {settings.github_api_url}; scopes: {scopes}"
    if info.scopes and "repo" not in info.scopes and "public_repo" not in info.scopes:
        return Check("github", True, detail + " — no 'repo' scope: PRs cannot be opened", True)
    return Check("github", True, detail)


async def run_checks(home: Home) -> list[Check]:
    checks = [check_home(home)]
    config_check, settings = check_config(home)
    checks.append(config_check)
    if checks[0].ok:
        checks.extend(await check_replica(home))
    checks.append(check_git())
    checks.append(check_keyring())
    if settings is not None:
        checks.append(await check_server(settings))
        checks.append(await check_github(settings))
    checks.append(check_agents(home))
    checks.extend(await asyncio.to_thread(check_agent_versions, home))
    for extra in EXTRA_CHECKS:
        checks.extend(await extra(home, settings))
    return checks


#: Further checks other parts of the program register (agents, sync …).
EXTRA_CHECKS: list[Callable[[Home, Settings | None], Awaitable[list[Check]]]] = []


async def _doctor(args: argparse.Namespace) -> int:
    checks = await run_checks(Home.locate())
    if args.json:
        print_json([{"check": c.name, "status": c.label, "detail": c.detail} for c in checks])
    else:
        width = max(len(c.name) for c in checks)
        for check in checks:
            print(f"{check.label:<4}  {check.name:<{width}}  {check.detail}")
    return 0 if all(c.ok or c.warning for c in checks) else 1
