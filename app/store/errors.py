"""The store's errors: codes and locations, never answer content, PINs or keys.

::

    StoreError                  code (StoreCode), record_id, params; a sync.errors.WaymarkError
    ├── Locked                  the store is locked; unlock first
    ├── PinNotSet / PinAlreadySet
    ├── PinRejected             a new PIN is too short (params: min_length)
    ├── WrongPin                the PIN is wrong (wait_seconds, remaining)
    ├── Throttled               too soon after a wrong PIN (wait_seconds)
    ├── Wiped                   too many wrong PINs in a row: everything was wiped
    ├── NotFound                no such record (or its readable copy was purged)
    ├── InvalidState            the record's status does not allow this (params: status)
    ├── NotEnrolled             finalising needs an enrolment (the agency key)
    └── Corrupt                 a ciphertext or the database failed its checks

``app.i18n`` turns ``code`` into words in the worker's language.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sync.errors import WaymarkError


class StoreCode(StrEnum):
    """Every code a store error carries."""

    STORE_ERROR = "store_error"
    STORE_LOCKED = "store_locked"
    PIN_NOT_SET = "pin_not_set"
    PIN_ALREADY_SET = "pin_already_set"
    PIN_TOO_SHORT = "pin_too_short"
    WRONG_PIN = "wrong_pin"
    UNLOCK_THROTTLED = "unlock_throttled"
    STORE_WIPED = "store_wiped"
    RECORD_NOT_FOUND = "record_not_found"
    RECORD_PURGED = "record_purged"
    RECORD_INVALID_STATE = "record_invalid_state"
    PAYLOAD_MISMATCH = "payload_mismatch"
    NOT_ENROLLED = "not_enrolled"
    STORE_CORRUPT = "store_corrupt"
    DATABASE_CORRUPT = "database_corrupt"
    RECORD_CORRUPT = "record_corrupt"
    ENROLMENT_CORRUPT = "enrolment_corrupt"
    KEY_CORRUPT = "key_corrupt"
    SCHEMA_TOO_NEW = "schema_too_new"
    STORAGE_ERROR = "storage_error"
    BAD_AGENCY_KEY = "bad_agency_key"
    NOT_JSON_DATA = "not_json_data"
    UNKNOWN_STATUS = "unknown_status"


class StoreError(WaymarkError):
    """Base of every store error; ``str()`` is the code and location only."""

    codes = StoreCode
    code = StoreCode.STORE_ERROR

    def __init__(
        self, code: str | None = None, *, record_id: str | None = None, **params: Any
    ) -> None:
        super().__init__(code, params=params, record_id=record_id)


class Locked(StoreError):
    code = StoreCode.STORE_LOCKED


class PinNotSet(StoreError):
    code = StoreCode.PIN_NOT_SET


class PinAlreadySet(StoreError):
    code = StoreCode.PIN_ALREADY_SET


class PinRejected(StoreError):
    code = StoreCode.PIN_TOO_SHORT


class WrongPin(StoreError):
    """A wrong PIN: ``wait_seconds`` before the next try, ``remaining`` tries before the wipe."""

    code = StoreCode.WRONG_PIN

    def __init__(self, *, wait_seconds: float, remaining: int) -> None:
        super().__init__(wait_seconds=wait_seconds, remaining=remaining)
        self.wait_seconds = wait_seconds
        self.remaining = remaining


class Throttled(StoreError):
    """Asked again before the wait after a wrong PIN was over; nothing was tried."""

    code = StoreCode.UNLOCK_THROTTLED

    def __init__(self, *, wait_seconds: float) -> None:
        super().__init__(wait_seconds=wait_seconds)
        self.wait_seconds = wait_seconds


class Wiped(StoreError):
    code = StoreCode.STORE_WIPED


class NotFound(StoreError):
    code = StoreCode.RECORD_NOT_FOUND


class InvalidState(StoreError):
    code = StoreCode.RECORD_INVALID_STATE


class NotEnrolled(StoreError):
    code = StoreCode.NOT_ENROLLED


class Corrupt(StoreError):
    code = StoreCode.STORE_CORRUPT
