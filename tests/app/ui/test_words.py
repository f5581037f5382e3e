"""Every code the store, the sync client and the view-model raise has words, in every shipped
language, and no message leaks an exception's text."""

from __future__ import annotations

import pytest

from app.i18n import SHIPPED, translator
from app.store import errors as store_errors
from app.ui.words import MESSAGES, message
from sync import errors as sync_errors

FALLBACK = MESSAGES["unexpected_error"]


def _codes(module: object) -> set[str]:
    out = set()
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, Exception) and hasattr(value, "code"):
            out.add(value.code)
    return out


@pytest.mark.parametrize("lang", SHIPPED)
def test_every_error_code_has_its_own_words(lang: str) -> None:
    _ = translator(lang)
    fallback = _(FALLBACK)
    codes = _codes(store_errors) | _codes(sync_errors)
    assert {"wrong_pin", "unreachable", "device_revoked"} <= codes
    for code in sorted(codes - {"store_error"}):
        words = message(_, code, {"remaining": 3, "wait_seconds": 4.2, "min_length": 4})
        assert words and "{" not in words, (lang, code)
        assert words != fallback, (lang, code)


def test_parameters_are_filled_and_unknown_codes_fall_back() -> None:
    _ = translator("en")
    assert message(_, "unlock_throttled", {"wait_seconds": 4.2}).count("4") == 1
    assert "3" in message(_, "wrong_pin", {"remaining": 3})
    assert message(_, "no_such_code") == FALLBACK
    assert message(_, "enrolled", {}) == FALLBACK  # a missing parameter never shows braces
