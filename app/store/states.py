"""A record's statuses and the store's timestamp format, shared by the store and its outbox."""

from __future__ import annotations

from datetime import UTC, datetime

DRAFT = "draft"
FINALISED = "finalised"
SENT = "sent"
CONFLICT = "conflict"
STATUSES = (DRAFT, FINALISED, SENT, CONFLICT)


def iso(ts: float) -> str:
    """A store timestamp: UTC ISO 8601 to the millisecond (sorts as text)."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")
