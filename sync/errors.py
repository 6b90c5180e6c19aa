"""Sync errors. Each ``str(error)`` is a one-line message fit to show a user as is."""

from __future__ import annotations

from storage.errors import StorageError


class SyncError(StorageError):
    """Base class for sync failures."""


class ServerUnreachableError(SyncError):
    """The server cannot be reached (temporary: retry on a short timer)."""


class OfflineRunRefusedError(ServerUnreachableError):
    """A claim found the server unreachable and this replica does not run missions offline
    (the ``allow_offline_runs`` setting, or the board's confirmation for one run)."""


class ServerAuthError(SyncError):
    """The server refused the credentials (permanent until the user fixes them)."""


class ServerSchemaError(SyncError):
    """The server schema is missing, older or newer than this program."""


class OrganizationMismatchError(SyncError):
    """The replica and the server hold different organizations."""


class NotAMemberError(SyncError):
    """The connecting role is not (or no longer) a member of any organization on the server."""


class AdministratorRequiredError(SyncError):
    """A server administration command was run with a member's credentials."""
