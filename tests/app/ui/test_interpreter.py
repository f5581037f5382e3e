"""Interpreter mode on the screens, built from the real view-model: a check's message is shown
in the respondent's language and in the worker's, each in its own direction, and Back and Next
follow the worker's language when it changes."""

from __future__ import annotations

from typing import Any

import flet as ft

from app.ui import ids
from app.ui.model import AppModel
from tests.app.ui.test_model import start_skeleton
from tests.app.ui.test_screens import screen, walk

REQUIRED_AR = "هذا السؤال يحتاج إلى إجابة"
REQUIRED_EN = "This question needs an answer"


def notices(root: Any) -> list[ft.Text]:
    out = []
    for c in walk(root):
        if isinstance(c, ft.Semantics) and c.identifier == ids.NOTICE:
            out += [t for t in walk(c) if isinstance(t, ft.Text)]
    return out


def button_words(root: Any, ident: str) -> str:
    for c in walk(root):
        if isinstance(c, ft.Semantics) and c.identifier == ident:
            return " ".join(t.value for t in walk(c) if isinstance(t, ft.Text))
    raise AssertionError(ident)


def test_a_check_is_shown_in_both_languages_each_in_its_direction(enrolled: AppModel) -> None:
    start_skeleton(enrolled, "ar", "en")
    enrolled.next()  # the case code is required and empty
    _shell, root = screen(enrolled)
    texts = notices(root)
    arabic = [t for t in texts if REQUIRED_AR in t.value]
    english = [t for t in texts if REQUIRED_EN in t.value]
    assert arabic and english
    assert arabic[0].rtl is True and english[0].rtl is False
    boxes = [c for c in walk(root) if isinstance(c, ft.Container) and c.rtl]
    assert boxes  # the Arabic message's own box is laid out right to left


def test_back_and_next_follow_the_worker_language(enrolled: AppModel) -> None:
    start_skeleton(enrolled, "ar", "en")
    iv = enrolled.interview
    assert iv is not None
    _shell, root = screen(enrolled)
    assert button_words(root, ids.NEXT) == "Next"
    iv.set_worker_language("fr")
    _shell, root = screen(enrolled)
    assert button_words(root, ids.NEXT) == "Suivant"
    assert button_words(root, ids.BACK) == "Retour"
