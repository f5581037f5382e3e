"""Words for the store's error codes, marked for translation; the interface shows them.

``describe(error, _)`` gives the sentence in the worker's language. Codes without a sentence of
their own fall back to a general one: a person never sees a bare code.
"""

from __future__ import annotations

import math
from typing import Any

from app.i18n import N_
from app.store.errors import StoreError

MESSAGES: dict[str, str] = {
    "store_locked": N_("Waymark is locked. Enter your PIN to continue."),
    "pin_not_set": N_("Choose a PIN first."),
    "pin_already_set": N_("A PIN is already set on this device."),
    "pin_too_short": N_("Choose a PIN of at least {min_length} characters."),
    "wrong_pin": N_(
        "That PIN is not right. {remaining} tries left before Waymark erases its data."
    ),
    "unlock_throttled": N_("Please wait {wait} seconds before trying again."),
    "store_wiped": N_(
        "Too many wrong PINs: Waymark has erased its data on this device. Set a new PIN."
    ),
    "record_not_found": N_("This record is no longer on this device."),
    "record_purged": N_("This record was sent to the agency and is no longer kept here."),
    "record_invalid_state": N_("This record is already finalised and cannot be changed."),
    "payload_mismatch": N_("This record could not be finalised: its details do not match."),
    "not_enrolled": N_("This device is not enrolled yet, so records cannot be finalised."),
    "record_corrupt": N_("This record is damaged and cannot be opened."),
    "enrolment_corrupt": N_("The enrolment on this device is damaged; enrol the device again."),
    "key_corrupt": N_("The key on this device is damaged; Waymark cannot open its data."),
    "database_corrupt": N_("Waymark's data on this device is damaged and cannot be read."),
    "schema_too_new": N_("This data was written by a newer Waymark; update the app."),
    "storage_error": N_("Waymark could not save to this device's storage. Is it full?"),
    "not_json_data": N_("This answer could not be saved."),
    "store_corrupt": N_("Waymark's data on this device is damaged and cannot be read."),
    "unknown_status": N_("There is no list of records with that status."),
    "bad_agency_key": N_("The agency key received at enrolment is not valid."),
}
FALLBACK = N_("Something went wrong while saving or reading data on this device.")


def describe(error: StoreError, _: Any) -> str:
    """The error as a sentence in the language of the translator ``_``."""
    params = dict(error.params)
    if "wait_seconds" in params:
        params["wait"] = math.ceil(float(params["wait_seconds"]))
    template = MESSAGES.get(error.code, FALLBACK)
    try:
        return str(_(template, **params))
    except (KeyError, IndexError):
        return str(_(FALLBACK))
