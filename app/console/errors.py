"""The console's exception tree: codes and parameters, never record content.

::

    sync.errors.WaymarkError     code, params, location, record_id
    +-- ConsoleError             codes: ConsoleCode
    |   +-- WrongPassphrase      the passphrase does not open the console store
    |   +-- ConsoleStoreCorrupt  the store file is damaged, foreign or tampered with
    |   +-- slips.SlipRefused    no referral slip is made (no consent, unknown pathway)
    +-- ExportError              ``waymark export``; codes: ExportCode

The server's refusals and a dead network are :mod:`sync.errors` codes, raised by the one
coordinator client and shown as they are. Only the interface turns codes into words
(``app.console.words``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sync.errors import WaymarkError


class ConsoleCode(StrEnum):
    """Every code a console error carries."""

    CONSOLE_ERROR = "console_error"
    WRONG_PASSPHRASE = "wrong_passphrase"  # noqa: S105 - a code, not a secret
    STORE_CORRUPT = "store_corrupt"
    SERVER_UNREACHABLE = "server_unreachable"
    SERVER_REFUSED = "server_refused"
    ACTOR_REQUIRED = "actor_required"
    ANSWER_UNKNOWN = "answer_unknown"
    APPEND_ONLY = "append_only"
    AUDIT_BROKEN = "audit_broken"
    ENTRY_UNREADABLE = "entry_unreadable"
    EXPORT_UNWRITABLE = "export_unwritable"
    FORMAT_UNKNOWN = "format_unknown"
    KEY_FILE_UNREADABLE = "key_file_unreadable"
    KEY_MISMATCH = "key_mismatch"
    KEY_UNREADABLE = "key_unreadable"
    LOCKED = "locked"
    PASSPHRASE_REQUIRED = "passphrase_required"  # noqa: S105 - a code, not a secret
    PATHWAY_UNKNOWN = "pathway_unknown"
    RECORD_UNKNOWN = "record_unknown"
    RECORD_UNREADABLE = "record_unreadable"
    SCHEMA_TOO_NEW = "schema_too_new"
    STATE_UNKNOWN = "state_unknown"
    STORAGE_ERROR = "storage_error"
    STORE_CLOSED = "store_closed"
    TRANSITION_INVALID = "transition_invalid"
    CORRECTION_REFUSED = "correction_refused"
    DIRECTORY_UNREADABLE = "directory_unreadable"
    QUESTIONNAIRE_MISSING = "questionnaire_missing"
    PDF_UNAVAILABLE = "pdf_unavailable"
    CA_FILE_UNREADABLE = "ca_file_unreadable"
    SLIP_NOT_CONSENTED = "slip_not_consented"


class ConsoleError(WaymarkError):
    """A console failure named by ``code`` (e.g. ``transition_invalid``)."""

    codes = ConsoleCode
    code = ConsoleCode.CONSOLE_ERROR

    def __init__(
        self, code: str | None = None, *, record_id: str | None = None, **params: Any
    ) -> None:
        super().__init__(code, params=params, record_id=record_id)


class WrongPassphrase(ConsoleError):
    code = ConsoleCode.WRONG_PASSPHRASE


class ConsoleStoreCorrupt(ConsoleError):
    code = ConsoleCode.STORE_CORRUPT



class ExportCode(StrEnum):
    """Every code ``waymark export`` fails with."""

    EXPORT_ERROR = "export_error"
    KEY_UNREADABLE = "key_unreadable"
    QUESTIONNAIRE_UNREADABLE = "questionnaire_unreadable"
    FORMAT_UNKNOWN = "format_unknown"
    OUTPUT_REQUIRED = "output_required"
    SOURCE_UNREACHABLE = "source_unreachable"
    SOURCE_REFUSED = "source_refused"
    FILE_EXISTS = "file_exists"
    EXPORT_UNWRITABLE = "export_unwritable"


class ExportError(WaymarkError):
    """``code``: key_unreadable, questionnaire_unreadable, format_unknown, source_unreachable."""

    codes = ExportCode
    code = ExportCode.EXPORT_ERROR

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code, params=params)
