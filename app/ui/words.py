"""Codes from the store, the sync client, the engine and the view-model, as words.

Only the interface turns a code into a sentence, in the worker's language. An unknown code
falls back to a general sentence, never to the raw exception text.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from app.i18n import N_, Translator


class NoticeCode(StrEnum):
    """The view-model's own notices (the store's, the sync client's and the engine's codes are
    theirs; ``questionnaire_missing`` is ``app.ui.interview.InterviewCode``)."""

    PIN_MISMATCH = "pin_mismatch"
    ENROLMENT_CODE_MISSING = "enrolment_code_missing"
    SERVER_ADDRESS_MISSING = "server_address_missing"
    ENROLLED = "enrolled"
    CHOOSE_FORM_AND_LANGUAGES = "choose_form_and_languages"
    NO_CONSENT_NOTHING_KEPT = "no_consent_nothing_kept"
    SCREENING_PAUSED = "screening_paused"
    CONSENT_NEEDS_BOTH = "consent_needs_both"
    RECORD_SEALED = "record_sealed"
    SOME_RECORDS_NOT_ACCEPTED = "some_records_not_accepted"
    #: a failure that carries no code: a general sentence, never the exception's text
    UNEXPECTED_ERROR = "unexpected_error"


MESSAGES: dict[str, str] = {
    # view-model
    NoticeCode.PIN_MISMATCH: N_("The two PINs are not the same. Please type them again."),
    NoticeCode.ENROLMENT_CODE_MISSING: N_(
        "Type the enrolment code, or paste the text from the QR code."
    ),
    NoticeCode.SERVER_ADDRESS_MISSING: N_("Type the server address you were given with the code."),
    NoticeCode.ENROLLED: N_("This tablet is now enrolled for {site}."),
    NoticeCode.CHOOSE_FORM_AND_LANGUAGES: N_("Choose a questionnaire and both languages first."),
    "questionnaire_missing": N_("This questionnaire is no longer on the tablet."),
    NoticeCode.NO_CONSENT_NOTHING_KEPT: N_(
        "Nothing was kept. Help does not depend on taking part."
    ),
    NoticeCode.SCREENING_PAUSED: N_("The screening is saved. Resume it from the home screen."),
    NoticeCode.CONSENT_NEEDS_BOTH: N_(
        "Both agreements are needed to begin. If the person does not agree, choose that."
    ),
    NoticeCode.RECORD_SEALED: N_("The record is sealed and waiting to be sent."),
    NoticeCode.SOME_RECORDS_NOT_ACCEPTED: N_(
        "Some records were not accepted by the server. They are kept and will be tried again."
    ),
    NoticeCode.UNEXPECTED_ERROR: N_(
        "Something went wrong. Nothing saved was lost. Please try again."
    ),
    # sync
    "unreachable": N_("The server cannot be reached. Check the connection and try again."),
    "server_error": N_("The server has a problem. Try again later."),
    "refused": N_("The server refused the request."),
    "unauthenticated": N_("The server does not recognise this tablet. Ask your coordinator."),
    "device_revoked": N_("This tablet was withdrawn by the coordinator and has been erased."),
    "rate_limited": N_("Too many tries. Wait a little and try again."),
    "agency_key_invalid": N_("The server sent an agency key that is not valid."),
    "fingerprint_mismatch": N_(
        "The server's agency key does not match the QR code. Do not use this server."
    ),
    "enrolment_invalid": N_("This enrolment code is not valid or has expired."),
    "enrolment_code_invalid": N_("This enrolment code is not valid or has expired."),
    "enrolment_unauthentic": N_(
        "The answer to this enrolment was not from the agency's server. Nothing was changed. "
        "Check the network, then ask for a new code."
    ),
    "plain_http_refused": N_(
        "This address is not protected (http://). Use the https:// address of the server."
    ),
    "tls_downgrade": N_(
        "The connection to the server was not protected as it should be. Do not use this "
        "network for enrolment."
    ),
    "tls_certificate_mismatch": N_(
        "The server's certificate does not match. Do not use this network for enrolment."
    ),
    "statement_invalid": N_(
        "An answer did not come from the agency's server and was ignored. The records are kept."
    ),
    "api_version_retired": N_(
        "This tablet must be enrolled again with a new code. Its records are kept."
    ),
    "server_setup": N_("The server is not set up yet. Ask your coordinator."),
    "sync_error": N_("Sending failed. The records are kept and will be tried again."),
}


def message(_: Translator, code: str, params: dict[str, Any] | None = None) -> str:
    """The sentence for ``code`` in the translator's language."""
    params = dict(params or {})
    if "wait_seconds" in params:
        params["wait"] = round(float(params["wait_seconds"]))
    from app.store.messages import MESSAGES as STORE_MESSAGES

    fallback = MESSAGES[NoticeCode.UNEXPECTED_ERROR]
    template = MESSAGES.get(code) or STORE_MESSAGES.get(code) or fallback
    try:
        return str(_(template)).format(**params)
    except (KeyError, IndexError, ValueError):
        return str(_(fallback))


def number(lang: str, n: int | float) -> str:
    """A count in the worker's locale (Babel): grouping and decimal signs as people write them."""
    from babel.core import UnknownLocaleError
    from babel.numbers import format_decimal

    try:
        return str(format_decimal(n, locale=lang))
    except (UnknownLocaleError, ValueError):  # an unknown or malformed locale: plain digits
        return str(n)
