"""Member roles as a team uses them, through the CLI in separate processes.

The administrator creates an organization and invites two members; each logs in (password to
the keyring) and syncs from its own home; the administrator revokes one, whose next sync fails
with one line and whose replica keeps its data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import asyncpg

from solo_unicorn_tui.home import Home
from sync.admin import scram_verifier
from tests.support.sync_env import drop_test_roles, role_tag, track_server  # noqa: F401


def _home(tmp_path: Path, name: str) -> dict[str, str]:
    root = tmp_path / name
    return {
        "SOLO_UNICORN_HOME": str(root),
        "SOLO_UNICORN_TEST_KEYRING": str(tmp_path / f"{name}-keyring.json"),
    }


def _ok(done) -> str:  # type: ignore[no-untyped-def]
    assert done.returncode == 0, done.stderr
    return done.stdout


async def _fetch(url: str, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def test_admin_invites_members_who_join_and_one_is_revoked(
    cli, home: Home, pg_database: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    track_server(pg_database)
    tag = role_tag(pg_database)
    admin = {"SOLO_UNICORN_SERVER_URL": pg_database}
    _ok(cli("server", "upgrade", env=admin))
    org = json.loads(_ok(cli("server", "org", "add", "Acme Team", "--json", env=admin)))
    assert org["organization_id"].startswith("org_") and org["name"] == "Acme Team"
    listed = json.loads(_ok(cli("server", "org", "list", "--json", env=admin)))
    assert [o["name"] for o in listed] == ["Acme Team"]

    invites = {}
    for who in ("alice", "bob"):
        out = _ok(
            cli("server", "invite", "Acme Team", "--name", f"{tag}_{who}", "--json", env=admin)
        )
        invites[who] = json.loads(out)
    alice, bob = invites["alice"], invites["bob"]
    assert alice["role"] != bob["role"] and alice["password"] != bob["password"]
    assert alice["server_url"].startswith(f"postgresql://{alice['role']}@127.0.0.1")
    text = _ok(cli("server", "invite", org["organization_id"], "--name", f"{tag}_carol", env=admin))
    assert "password" in text and "solo-unicorn server login --url" in text

    # The password is stored nowhere in plain text: the server holds a SCRAM verifier only.
    stored = await _fetch(
        pg_database, "SELECT rolpassword FROM pg_authid WHERE rolname = $1", alice["role"]
    )
    assert stored[0]["rolpassword"].startswith("SCRAM-SHA-256$4096:")
    assert alice["password"] not in stored[0]["rolpassword"]
    dump = await _fetch(pg_database, "SELECT string_agg(m::text, ' ') AS t FROM sync_members m")
    assert alice["password"] not in dump[0]["t"]

    members = {}
    for who in ("alice", "bob"):
        env = _home(tmp_path, who)
        login = cli(
            "server",
            "login",
            "--url",
            invites[who]["server_url"],
            "--password-stdin",
            env=env,
            input=invites[who]["password"] + "\n",
        )
        assert f"member of organization {org['organization_id']}" in _ok(login)
        files = [p for p in Path(env["SOLO_UNICORN_HOME"]).rglob("*") if p.is_file()]
        assert files and not any(invites[who]["password"].encode() in p.read_bytes() for p in files)
        members[who] = env
    joined = _ok(cli("sync", env=members["alice"]))
    assert f"joined organization {org['organization_id']}" in joined
    _ok(cli("mission", "add", "--title", "Team card", env=members["alice"]))
    _ok(cli("sync", env=members["alice"]))
    _ok(cli("sync", env=members["bob"]))
    bob_sees = json.loads(_ok(cli("mission", "list", "--json", env=members["bob"])))
    assert [m["title"] for m in bob_sees] == ["Team card"]

    roster = json.loads(_ok(cli("server", "members", "Acme Team", "--json", env=admin)))
    assert len(roster) == 3 and {alice["role"], bob["role"]} <= {m["role"] for m in roster}
    assert all(m["kind"] == "member" for m in roster)

    # A member cannot administer.
    refused = cli("server", "org", "add", "Mine", env=members["bob"])
    assert refused.returncode == 1 and "administrator" in refused.stderr
    assert refused.stderr.count("\n") == 1

    before = _ok(cli("mission", "list", "--json", env=members["alice"]))
    revoked = json.loads(_ok(cli("server", "revoke", alice["role"], "--json", env=admin)))
    assert revoked == {
        "role": alice["role"],
        "organization_id": org["organization_id"],
        "revoked": True,
    }
    failed = cli("sync", env=members["alice"])
    assert failed.returncode == 1
    assert failed.stderr.count("\n") == 1 and "Traceback" not in failed.stderr
    assert "revoked" in failed.stderr
    assert _ok(cli("mission", "list", "--json", env=members["alice"])) == before
    # Bob is unaffected.
    _ok(cli("sync", env=members["bob"]))
    again = cli("server", "revoke", alice["role"], env=admin)
    assert again.returncode == 1 and "not a member role" in again.stderr


def test_member_cannot_revoke_or_upgrade(cli, home: Home, pg_database: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    track_server(pg_database)
    admin = {"SOLO_UNICORN_SERVER_URL": pg_database}
    _ok(cli("server", "upgrade", env=admin))
    org = json.loads(_ok(cli("server", "org", "add", "Solo", "--json", env=admin)))
    tag = role_tag(pg_database)
    invite = json.loads(
        _ok(
            cli(
                "server",
                "invite",
                org["organization_id"],
                "--name",
                f"{tag}_m",
                "--json",
                env=admin,
            )
        )
    )
    member = {"SOLO_UNICORN_SERVER_URL": invite["server_url"], "SOLO_UNICORN_SERVER_PASSWORD": "x"}
    for args in (("server", "revoke", invite["role"]), ("server", "members", "Solo")):
        done = cli(*args, env=member)
        assert done.returncode == 1 and "administrator" in done.stderr, done.stderr
    unknown = cli("server", "invite", "Nobody", env=admin)
    assert unknown.returncode == 1 and "no organization 'Nobody'" in unknown.stderr


def test_scram_verifier_matches_rfc7677() -> None:
    """The example exchange of RFC 7677 (user "user", password "pencil") verifies against the
    StoredKey and ServerKey our verifier holds, exactly as a PostgreSQL server checks a login."""
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    verifier = scram_verifier("pencil", salt=salt, iterations=4096)
    method, rest = verifier.split("$", 1)
    params, keys = rest.split("$")
    assert (method, params) == ("SCRAM-SHA-256", "4096:W22ZaJ0SNY7soEsUEjb6gQ==")
    stored_key, server_key = (base64.b64decode(k) for k in keys.split(":"))
    nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    auth_message = (
        "n=user,r=rOprNGfwEbeRWgbNEkqO,"
        f"r={nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
        f"c=biws,r={nonce}"
    ).encode()
    proof = base64.b64decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
    client_key = bytes(a ^ b for a, b in zip(proof, signature, strict=True))
    assert hashlib.sha256(client_key).digest() == stored_key
    server_signature = hmac.new(server_key, auth_message, hashlib.sha256).digest()
    assert (
        base64.b64encode(server_signature).decode()
        == "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    )
