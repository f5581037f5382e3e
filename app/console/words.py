"""The console's codes as words, in the coordinator's language.

Error codes from the console, its store and the server, follow-up states and the dashboard's
headings. An unknown code falls back to a general sentence, never to raw exception text.
"""

from __future__ import annotations

from typing import Any

from app.i18n import N_, Translator

MESSAGES: dict[str, str] = {
    "passphrase_required": N_("Type the passphrase of the agency private key."),
    "key_file_unreadable": N_("The private key file could not be read. Check the path."),
    "key_unreadable": N_("The private key could not be opened: wrong passphrase or damaged file."),
    "wrong_passphrase": N_("This passphrase does not open the console's store."),
    "key_mismatch": N_("The console's store was made for another agency key."),
    "store_corrupt": N_("The console's store failed its check and was not changed."),
    "schema_too_new": N_("The console's store was made by a newer version of Waymark."),
    "record_unreadable": N_("A stored record failed its check."),
    "entry_unreadable": N_("A stored follow-up or correction entry failed its check."),
    "answer_unknown": N_("This record has no answer to that question."),
    "slip_not_consented": N_(
        "The person did not agree to share anything for this referral: no slip is made. "
        "Duty of care does not depend on this."
    ),
    "directory_unreadable": N_("The referral directory of the site {site} could not be read."),
    "slip_written": N_("The referral slip is written to {file}."),
    "ca_file_unreadable": N_(
        "The certificate file {file} could not be read: it must hold the agency server's "
        "certificate (PEM)."
    ),
    "pdf_unavailable": N_(
        "PDF slips need the console's PDF tools: install Waymark with pip install "
        "'waymark[{extra}]'. The text slip works without them."
    ),
    "audit_exported": N_(
        "{n} audit entries and the chain head written to {file}. Check it with 'waymark audit "
        "verify --file'."
    ),
    "questionnaire_missing": N_(
        "The questionnaire of this record is not in the console's questionnaires folder, so "
        "its answers cannot be checked or corrected."
    ),
    "correction_refused": N_("The correction was not saved: {reason}"),
    "value_invalid": N_("This value does not fit the question (a number is needed)."),
    "idle_locked": N_("The console locked itself after a time without use. Open it again."),
    "corrected": N_("The correction is saved. The original answer is kept beside it."),
    "store_closed": N_("The console is locked. Open it again."),
    "locked": N_("The console is locked. Open it again."),
    "storage_error": N_("The console's store could not be written. Nothing was changed."),
    "audit_broken": N_(
        "The console's audit log failed its check: entries were changed or removed."
    ),
    "append_only": N_("The follow-up history cannot be changed, only added to."),
    "server_unreachable": N_(
        "The server could not be reached. The records already here can still be used."
    ),
    "server_refused": N_("The server refused the request ({status})."),
    # the coordinator client's codes (sync.errors), the same as the field app's
    "unreachable": N_(
        "The server could not be reached. The records already here can still be used."
    ),
    "reply_invalid": N_("The server's reply could not be read. Try again later."),
    "refused": N_("The server refused the request ({status})."),
    "unauthenticated": N_(
        "The server did not accept the coordinator token: it is unknown, expired or revoked."
    ),
    "forbidden": N_("This coordinator token may not do that."),
    "rate_limited": N_("The server is busy. Try again in a few minutes."),
    "server_error": N_("The server had a problem. Try again later."),
    "file_exists": N_("{file} already exists; it was left unchanged."),
    "actor_required": N_("Type your name first: every follow-up step records who did it."),
    "record_unknown": N_("This record is no longer in the console."),
    "pathway_unknown": N_("This record has no such pathway."),
    "state_unknown": N_("Unknown follow-up state."),
    "transition_invalid": N_("This pathway cannot move from {before} to {state}."),
    "format_unknown": N_("Unknown format {format}."),
    "date_invalid": N_("Type dates as year-month-day, for example 2026-11-30."),
    "export_unwritable": N_("The export file could not be written. Check the folder."),
    "unexpected_error": N_("Something went wrong. Nothing saved was lost. Please try again."),
    # outcomes of actions
    "pulled": N_("{new} new records. {unreadable} could not be opened."),
    "exported": N_("{records} records written to {file}."),
    "erased_everywhere": N_("The record was erased here and on the server."),
    "erased_here_only": N_(
        "The record was erased here. The server could not be reached: the erasure will be sent "
        "at the next update."
    ),
}

STATE_WORDS: dict[str, str] = {
    "open": N_("not yet referred"),
    "referred": N_("referred"),
    "accepted": N_("accepted"),
    "declined": N_("declined"),
    "closed": N_("closed"),
}

#: What a button moving a pathway to a state says.
ACTION_WORDS: dict[str, str] = {
    "referred": N_("Mark referred"),
    "accepted": N_("Mark accepted"),
    "declined": N_("Mark declined"),
    "closed": N_("Mark closed"),
}


#: Why the engine refused a corrected value (``correction_refused``'s ``reason``).
REFUSAL_WORDS: dict[str, str] = {
    "not_correctable": N_(
        "only the person's answers can be corrected, not calculations or metadata."
    ),
    "constraint": N_("the value breaks the question's rule."),
    "out_of_range": N_("the value is outside the question's range."),
    "unknown_choice": N_("the value is not one of the question's choices."),
    "required": N_("this question needs an answer."),
    "read_only": N_("this question cannot be answered."),
    "invalid_integer": N_("a whole number is needed."),
    "invalid_number": N_("a number is needed."),
    "invalid_date": N_("a date (year-month-day) is needed."),
    "invalid_datetime": N_("a date and time are needed."),
    "invalid_time": N_("a time is needed."),
}

#: Audit events as words (the audit holds record ids, who and counts; never content).
AUDIT_WORDS: dict[str, str] = {
    "pull": N_("got new records"),
    "view": N_("viewed a record"),
    "follow": N_("recorded a follow-up step"),
    "correct": N_("corrected an answer"),
    "export": N_("exported records"),
    "slip": N_("made a referral slip"),
    "audit_export": N_("exported the audit log"),
    "erase_local": N_("erased a record in the console"),
    "erase_server": N_("erased a record on the server"),
    "passphrase_changed": N_("moved the console's store to a new passphrase"),
    "audit_relinked": N_("linked the audit log again under the current recipe"),
}


#: Column headings of the submissions table.
COLUMN_WORDS: dict[str, str] = {
    "case": N_("Case code"),
    "site": N_("Site"),
    "date": N_("Date"),
    "questionnaire": N_("Questionnaire"),
    "pathways": N_("Pathways"),
    "follow_up": N_("Follow-up"),
    "flags": N_("Flags"),
    "language": N_("Language"),
    "received": N_("Received"),
}

def column_word(_: Translator, column: str) -> str:
    return _(COLUMN_WORDS[column]) if column in COLUMN_WORDS else humanise(column)


#: The headings of a referral slip, in the partner service's language.
SLIP_WORDS: dict[str, str] = {
    "title": N_("Referral"),
    "case": N_("Case code"),
    "site": N_("Site"),
    "date": N_("Date of the screening"),
    "pathway": N_("Referral for"),
    "reasons": N_("Why this referral"),
    "answers": N_("What the person said that this service needs"),
    "service": N_("Service"),
    "name": N_("Name"),
    "contact": N_("Contact"),
    "phone": N_("Phone"),
    "address": N_("Address"),
    "hours": N_("Opening hours"),
    "footer": N_(
        "Shared with the person's consent for this referral only. Screening does not decide "
        "any status. Do not pass this slip on."
    ),
}


def slip_words(_: Translator) -> dict[str, str]:
    return {key: _(text) for key, text in SLIP_WORDS.items()}


def audit_word(_: Translator, event: str) -> str:
    return _(AUDIT_WORDS[event]) if event in AUDIT_WORDS else event


def message(_: Translator, code: str, params: dict[str, Any] | None = None) -> str:
    """The words for ``code``; a placeholder without its value cuts the sentence there."""
    text = _(MESSAGES.get(code) or MESSAGES["unexpected_error"])
    params = dict(params or {})
    for key in ("before", "state"):  # follow-up states are shown as words
        if key in params:
            params[key] = state_word(_, str(params[key]) or None)
    if "reason" in params:  # a refusal: the questionnaire's own message when it has one
        own = str(params.get("message") or "")
        reason = str(params["reason"])
        template = REFUSAL_WORDS.get(reason) or REFUSAL_WORDS["constraint"]
        params["reason"] = own or _(template)
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text.split("{")[0].rstrip(" (") or _(MESSAGES["unexpected_error"])


def state_word(_: Translator, state: str | None) -> str:
    return _(STATE_WORDS.get(state or "open", STATE_WORDS["open"]))


def humanise(ident: str) -> str:
    """An id shown when no questionnaire labels it: ``documents_held`` -> ``documents held``."""
    return ident.replace("_", " ").strip() or ident
