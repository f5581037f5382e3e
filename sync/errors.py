"""The one error contract of Waymark, and the sync package's own errors.

Every package's exceptions derive from :class:`WaymarkError`, which carries what the interface
needs and nothing a person said: ``code`` (a member of the package's :class:`~enum.StrEnum` of
codes, so it compares equal to its text), ``params`` (numbers and names that fill the message),
and where it happened: a ``location`` (a questionnaire cell, a character position, a request
path) or a ``record_id``. ``str()`` is the code and the place only. Only ``app.i18n`` and the
interfaces turn codes into words. This module imports nothing but the standard library, so the
pure engine, the store, the console and the server can all build on it::

    WaymarkError                 code, params, location, record_id
     +-- SyncError               (this package; codes: SyncCode)
     |    +-- Unreachable        network down, timeout, truncated or unreadable reply
     |    +-- ServerError        the server answered 5xx (retry later)
     |    +-- Refused            the server answered 4xx (``.status``)
     |    |    +-- Unauthorized  401: token missing or unknown
     |    |    +-- Revoked       403 with ``wipe``: the device must wipe itself
     |    |    +-- RateLimited   429
     |    +-- ServerSetupError   server-side configuration problem (no agency key, bad folder)
     +-- sync.crypto.CryptoError  (codes: CryptoCode; WrongPin beneath it)
     +-- app.store.errors.StoreError, app.console.errors.ConsoleError,
         app.console.export.ExportError, app.engine.errors.ExpressionError,
         app.engine.errors.QuestionnaireError, app.engine.session.SessionError
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, ClassVar


class WaymarkError(Exception):
    """The base of every coded error; subclasses set ``code`` and ``codes``.

    ``code`` given to the constructor wins over the class's; when it is one of the values of
    ``codes`` it is stored as that enum member. A code the enum does not list yet (one a newer
    server sent, say) is kept as plain text rather than lost.
    """

    #: the package's codes; ``code`` values are members of it
    codes: ClassVar[type[StrEnum] | None] = None
    #: set by each package's base class (the base itself has none: it is never the message)
    code: str

    def __init__(
        self,
        code: str | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        location: object | None = None,
        record_id: str | None = None,
    ) -> None:
        self.code = self._coded(code if code is not None else getattr(type(self), "code", "error"))
        self.params: dict[str, Any] = dict(params or {})
        self.location = location
        self.record_id = record_id
        super().__init__(self._summary())

    @classmethod
    def _coded(cls, code: str) -> str:
        if cls.codes is None:
            return code
        try:
            return cls.codes(code)
        except ValueError:
            return code

    def _summary(self) -> str:
        where = f" at {self.location}" if self.location is not None else ""
        record = f" record={self.record_id}" if self.record_id else ""
        return f"{self.code}{where}{record}"

    def to_data(self) -> dict[str, Any]:
        """Plain data for logs and replies: the code, params and place, never content."""
        return {
            "code": str(self.code),
            "params": dict(self.params),
            "location": None if self.location is None else str(self.location),
            "record_id": self.record_id,
        }


class SyncCode(StrEnum):
    """Codes of the sync package: the client's failures and the server's refusals."""

    SYNC_ERROR = "sync_error"
    UNREACHABLE = "unreachable"
    REPLY_INVALID = "reply_invalid"
    SERVER_ERROR = "server_error"
    REFUSED = "refused"
    UNAUTHENTICATED = "unauthenticated"
    DEVICE_REVOKED = "device_revoked"
    RATE_LIMITED = "rate_limited"
    SERVER_SETUP = "server_setup"
    AGENCY_KEY_INVALID = "agency_key_invalid"
    AGENCY_KEY_MISSING = "agency_key_missing"
    FINGERPRINT_MISMATCH = "fingerprint_mismatch"
    BATCH_TOO_LARGE = "batch_too_large"
    DEVICE_UNKNOWN = "device_unknown"
    ENROLMENT_CODE_INVALID = "enrolment_code_invalid"
    RECORD_ID_INVALID = "record_id_invalid"
    REQUEST_INVALID = "request_invalid"
    ROLE_INVALID = "role_invalid"
    SITE_INVALID = "site_invalid"
    SITE_CONFIG_INVALID = "site_config_invalid"
    COORDINATOR_UNKNOWN = "coordinator_unknown"
    COUNTER_STALE = "counter_stale"
    CREDENTIAL_EXPIRED = "credential_expired"
    CREDENTIAL_INVALID = "credential_invalid"
    CREDENTIAL_REVOKED = "credential_revoked"
    ENROLMENT_UNAUTHENTIC = "enrolment_unauthentic"
    PLAIN_HTTP_REFUSED = "plain_http_refused"
    SCOPE_INVALID = "scope_invalid"
    SCOPE_MISSING = "scope_missing"
    SERVER_URL_INVALID = "server_url_invalid"
    STATEMENT_INVALID = "statement_invalid"
    TLS_CERTIFICATE_MISMATCH = "tls_certificate_mismatch"
    TLS_DOWNGRADE = "tls_downgrade"


class SyncError(WaymarkError):
    """Base of every sync error; ``request`` (the location) names the call that failed."""

    codes = SyncCode
    code = SyncCode.SYNC_ERROR

    def __init__(
        self,
        code: str | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        record_id: str | None = None,
        request: str | None = None,
        status: int | None = None,
    ) -> None:
        self.status = status
        super().__init__(code, params=params, location=request, record_id=record_id)

    @property
    def request(self) -> str | None:
        return None if self.location is None else str(self.location)

    def _summary(self) -> str:
        where = f" [{self.location}]" if self.location is not None else ""
        return f"{self.code}{where}"


class Unreachable(SyncError):
    code = SyncCode.UNREACHABLE


class ServerError(SyncError):
    code = SyncCode.SERVER_ERROR


class Refused(SyncError):
    code = SyncCode.REFUSED


class Unauthorized(Refused):
    code = SyncCode.UNAUTHENTICATED


class Revoked(Refused):
    code = SyncCode.DEVICE_REVOKED


class RateLimited(Refused):
    code = SyncCode.RATE_LIMITED


class ServerSetupError(SyncError):
    code = SyncCode.SERVER_SETUP
