"""Prefixed ULID identifiers.

Ids are minted offline on any replica, so they carry 80 bits of randomness (ULID) and never
collide across replicas; the prefix makes a bare id readable (``mission_01J…``).
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ulid import ULID

PREFIXES = {
    "organizations": "org",
    "users": "user",
    "workstations": "ws",
    "projects": "proj",
    "project_repositories": "repo",
    "workstation_repositories": "wsrepo",
    "git_worktrees": "worktree",
    "flows": "flow",
    "actors": "actor",
    "missions": "mission",
    "mission_dependencies": "dep",
    "mission_events": "event",
    "mission_messages": "msg",
    "code_agent_sessions": "session",
    "code_agent_rate_limits": "ratelimit",
    "github_pull_requests": "ghpr",
    "github_pr_comments": "ghcomment",
    "mission_fallback_configs": "fbcfg",
    "mission_fallback_templates": "fbtpl",
    "mission_fallback_runs": "fbrun",
    "mission_fallback_items": "fbitem",
}


@cache
def _ulid() -> type[ULID]:
    """The ULID class, imported on first use: the board's first frame needs only short_id."""
    from ulid import ULID

    return ULID


def new_id(prefix: str) -> str:
    return f"{prefix}_{_ulid()()}"


def new_id_for(table: str) -> str:
    return new_id(PREFIXES[table])


def short_id(full_id: str) -> str:
    """The last 6 characters of the ULID: unique enough for branch names and display."""
    return full_id.rsplit("_", 1)[-1][-6:].lower()


def derived_id(table: str, *key: str) -> str:
    """The id of the one row for ``key`` (say a dependency's two missions): the same on every
    replica, so two replicas adding it offline add one row that merges, never two."""
    digest = hashlib.sha256("\x1f".join((table, *key)).encode()).digest()
    return f"{PREFIXES[table]}_{_ulid().from_bytes(digest[:16])}"
