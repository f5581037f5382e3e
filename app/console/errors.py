"""The console's exception tree: codes and parameters, never record content.

::

    ConsoleError                 code, params, record_id
    +-- WrongPassphrase          the passphrase does not open the console store
    +-- ConsoleStoreCorrupt      the store file is damaged, foreign or tampered with

The server's refusals and a dead network are :mod:`sync.errors` codes, raised by the one
coordinator client and shown as they are. Only the interface turns codes into words
(``app.console.words``).
"""

from __future__ import annotations

from typing import Any


class ConsoleError(Exception):
    """A console failure named by ``code`` (e.g. ``transition_invalid``)."""

    code = "console_error"

    def __init__(self, code: str | None = None, *, record_id: str | None = None, **params: Any):
        if code is not None:
            self.code = code
        self.record_id = record_id
        self.params = params
        super().__init__(self.code)


class WrongPassphrase(ConsoleError):
    code = "wrong_passphrase"


class ConsoleStoreCorrupt(ConsoleError):
    code = "store_corrupt"
