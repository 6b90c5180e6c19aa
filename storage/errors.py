"""Errors the domain raises. Each carries a one-line message fit to show a user as is."""

from __future__ import annotations


class StorageError(Exception):
    """Base class: ``str(error)`` is a complete one-line message for the user."""


class ValidationError(StorageError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFoundError(StorageError):
    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(f"no {kind} with id {ident!r} (list them with 'solo-unicorn {kind} list')")
        self.kind = kind
        self.ident = ident


class ConflictError(StorageError):
    """The operation conflicts with the current state (a claim held elsewhere, a cycle...)."""


class SchemaVersionError(StorageError):
    """The database schema is not the one this version of the program expects."""
