"""The store's errors: codes and locations, never answer content, PINs or keys.

::

    StoreError                  code, record_id, params
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

from typing import Any


class StoreError(Exception):
    """Base of every store error; ``str()`` is the code and location only."""

    code = "store_error"

    def __init__(
        self, code: str | None = None, *, record_id: str | None = None, **params: Any
    ) -> None:
        if code is not None:
            self.code = code
        self.record_id = record_id
        self.params: dict[str, Any] = params
        where = f" record={record_id}" if record_id else ""
        super().__init__(f"{self.code}{where}")


class Locked(StoreError):
    code = "store_locked"


class PinNotSet(StoreError):
    code = "pin_not_set"


class PinAlreadySet(StoreError):
    code = "pin_already_set"


class PinRejected(StoreError):
    code = "pin_too_short"


class WrongPin(StoreError):
    """A wrong PIN: ``wait_seconds`` before the next try, ``remaining`` tries before the wipe."""

    code = "wrong_pin"

    def __init__(self, *, wait_seconds: float, remaining: int) -> None:
        super().__init__(wait_seconds=wait_seconds, remaining=remaining)
        self.wait_seconds = wait_seconds
        self.remaining = remaining


class Throttled(StoreError):
    """Asked again before the wait after a wrong PIN was over; nothing was tried."""

    code = "unlock_throttled"

    def __init__(self, *, wait_seconds: float) -> None:
        super().__init__(wait_seconds=wait_seconds)
        self.wait_seconds = wait_seconds


class Wiped(StoreError):
    code = "store_wiped"


class NotFound(StoreError):
    code = "record_not_found"


class InvalidState(StoreError):
    code = "record_invalid_state"


class NotEnrolled(StoreError):
    code = "not_enrolled"


class Corrupt(StoreError):
    code = "store_corrupt"
