"""Column values to and from JSON, for outbox entries and the sync wire format."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table

from storage.types import UTCDateTime


def encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: encode_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encode_value(item) for item in value]
    return value


def encode_row(values: dict[str, Any]) -> dict[str, Any]:
    return {key: encode_value(value) for key, value in values.items()}


def decode_row(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """Turn JSON values back into Python values for ``table``'s column types."""
    decoded: dict[str, Any] = {}
    for key, value in values.items():
        column = table.c.get(key)
        if column is None:
            continue
        if value is not None and isinstance(column.type, UTCDateTime) and isinstance(value, str):
            value = datetime.fromisoformat(value)
        decoded[key] = value
    return decoded
