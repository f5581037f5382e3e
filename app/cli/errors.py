"""The command line's own errors: a ``sync.errors.WaymarkError`` with the codes below.

The handlers turn them, like every other coded error, into a translated sentence and exit
code 1 (``app.cli.server._guarded``); nothing here carries a passphrase or a key.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sync.errors import WaymarkError


class CliCode(StrEnum):
    CLI_ERROR = "cli_error"
    AGENCY_KEY_INVALID = "agency_key_invalid"
    AGENCY_KEY_MISSING = "agency_key_missing"
    FILE_EXISTS = "file_exists"
    FILE_UNUSABLE = "file_unusable"
    KEY_UNREADABLE = "key_unreadable"
    PASSPHRASE_MISMATCH = "passphrase_mismatch"  # noqa: S105 - a code, not a secret
    PASSPHRASE_REQUIRED = "passphrase_required"  # noqa: S105 - a code, not a secret
    PASSPHRASE_SHORT = "passphrase_short"  # noqa: S105 - a code, not a secret
    PUBLIC_URL_PLAIN = "public_url_plain"
    TLS_KEY_MISSING = "tls_key_missing"
    DATABASE_DRIVER_MISSING = "database_driver_missing"
    CA_FILE_UNREADABLE = "ca_file_unreadable"


class CliError(WaymarkError):
    """A command cannot do what it was asked; ``code`` names why, ``params`` fill the words."""

    codes = CliCode
    code = CliCode.CLI_ERROR

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code, params=params)
