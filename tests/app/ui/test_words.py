"""Every code the store, the sync client and the view-model raise has words, in every shipped
language, and no message leaks an exception's text."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app.i18n import SHIPPED, translator
from app.store import errors as store_errors
from app.ui.interview import InterviewCode
from app.ui.words import MESSAGES, NoticeCode, message
from sync import errors as sync_errors

FALLBACK = MESSAGES[NoticeCode.UNEXPECTED_ERROR]
UI = Path(__file__).resolve().parents[3] / "app" / "ui"


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


@pytest.mark.parametrize("lang", SHIPPED)
def test_every_notice_of_the_view_model_has_its_own_words(lang: str) -> None:
    _ = translator(lang)
    english = translator("en")
    for code in [*NoticeCode, *InterviewCode]:
        words = message(_, code, {"site": "belgrade"})
        assert words and "{" not in words, (lang, code)
        if code is not NoticeCode.UNEXPECTED_ERROR:
            assert words != _(FALLBACK), (lang, code)
        if lang != "en":  # translated, not the English source
            assert words != message(english, code, {"site": "belgrade"}), (lang, code)


def test_notices_are_built_from_codes_not_from_text() -> None:
    """Every notice the field app raises names a member of an enum of codes (NoticeCode, the
    interview's, the store's or the sync client's), never a string written in place."""
    literal = []
    for path in sorted(UI.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "Notice"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                literal.append(f"{path.name}:{node.lineno}")
    assert literal == []
    assert set(NoticeCode) <= set(MESSAGES)
