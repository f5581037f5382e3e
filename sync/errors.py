"""Errors of the sync package: codes and context, never answer content.

    SyncError                 .code, .params, .record_id, .request
     +-- Unreachable          network down, timeout, truncated or unreadable reply
     +-- ServerError          the server answered 5xx (retry later)
     +-- Refused              the server answered 4xx (``.status``)
          +-- Unauthorized    401: token missing or unknown
          +-- Revoked         403 with ``wipe``: the device must wipe itself
          +-- RateLimited     429
     +-- ServerSetupError     server-side configuration problem (no agency key, bad folder)
"""

from __future__ import annotations

from typing import Any


class SyncError(Exception):
    """Base of every sync error; ``code`` is what the interface translates."""

    code = "sync_error"

    def __init__(
        self,
        code: str | None = None,
        *,
        params: dict[str, Any] | None = None,
        record_id: str | None = None,
        request: str | None = None,
        status: int | None = None,
    ) -> None:
        self.code = code or type(self).code
        self.params = dict(params or {})
        self.record_id = record_id
        self.request = request
        self.status = status
        where = f" [{request}]" if request else ""
        super().__init__(f"{self.code}{where}")


class Unreachable(SyncError):
    code = "unreachable"


class ServerError(SyncError):
    code = "server_error"


class Refused(SyncError):
    code = "refused"


class Unauthorized(Refused):
    code = "unauthenticated"


class Revoked(Refused):
    code = "device_revoked"


class RateLimited(Refused):
    code = "rate_limited"


class ServerSetupError(SyncError):
    code = "server_setup"
