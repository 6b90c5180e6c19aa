"""Replication between the local SQLite replica and the shared PostgreSQL server.

Public API:

- :class:`sync.service.SyncService` / :class:`sync.status.SyncStatus`: the background loop a
  board hosts in a worker, and the state it reports (offline / syncing / synced / error).
- :class:`sync.claims.ClaimClient`: exclusive leased mission claims for the runtime.
- :func:`sync.connection.check_server`: a one-line health check for ``doctor``.
- :func:`sync.engine.sync_round`: one confirm/join/push/pull round on an open connection.

This package imports :mod:`storage`, never :mod:`solo_unicorn_tui`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ClaimClient", "SyncService", "SyncStatus", "check_server"]


def __getattr__(name: str) -> Any:
    if name == "SyncService":
        from sync.service import SyncService

        return SyncService
    if name == "SyncStatus":
        from sync.status import SyncStatus

        return SyncStatus
    if name == "ClaimClient":
        from sync.claims import ClaimClient

        return ClaimClient
    if name == "check_server":
        from sync.connection import check_server

        return check_server
    raise AttributeError(name)
