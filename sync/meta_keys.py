"""The ``replica_meta`` keys sync keeps its state under (standard library only: ``sync status``
reads them without SQLAlchemy)."""

from __future__ import annotations

CURSOR_KEY = "sync_cursor"
LAST_SYNC_KEY = "sync_last_at"
LAST_ERROR_KEY = "sync_last_error"
LAST_ERROR_AT_KEY = "sync_last_error_at"
REJECTED_KEY = "sync_rejected_count"
#: The last change the server refused for good: "table row_id: reason" (its row was taken back).
LAST_REJECTION_KEY = "sync_last_rejection"
