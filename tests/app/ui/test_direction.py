"""Each text in its own direction: the worker's English on an Arabic screen keeps its order (a
left-to-right isolate), Arabic on an English screen runs right to left, and a text the
catalogs have not translated yet is drawn as the English it is."""

from __future__ import annotations

import flet as ft

from app.i18n import LRI, PDI
from app.uikit.components import Kit, directed, right_to_left

QUESTION = "Do you need to see a doctor or nurse right now?"
ARABIC = "هل تحتاج إلى رؤية طبيب الآن؟"


def test_english_on_an_arabic_screen_is_isolated_and_left_to_right() -> None:
    assert directed(QUESTION, "en", "ar") == (LRI + QUESTION + PDI, False)


def test_english_on_an_english_screen_is_left_as_it_is() -> None:
    assert directed(QUESTION, "en", "en") == (QUESTION, False)


def test_arabic_runs_right_to_left_on_any_screen() -> None:
    assert directed(ARABIC, "ar", "en") == (ARABIC, True)
    assert directed(ARABIC, "ar", "ar") == (ARABIC, True)


def test_an_untranslated_text_in_an_arabic_place_is_drawn_as_english() -> None:
    assert not right_to_left(QUESTION, "ar")
    assert directed(QUESTION, "ar", "ar") == (LRI + QUESTION + PDI, False)


def test_any_right_to_left_container_around_makes_the_isolate() -> None:
    """A button in the respondent's Arabic on an English screen: the worker's English under
    its words is isolated too."""
    assert directed(QUESTION, "en", "en", "ar")[0] == LRI + QUESTION + PDI
    assert directed("", "en", "ar") == ("", False)


def test_the_kit_draws_texts_and_button_words_in_their_direction() -> None:
    kit = Kit("ar", 1.0, lambda: None)
    text = kit.text(QUESTION, lang="en")
    assert isinstance(text, ft.Text) and text.value == LRI + QUESTION + PDI and not text.rtl
    arabic = kit.text(ARABIC)
    assert isinstance(arabic, ft.Text) and arabic.value == ARABIC and arabic.rtl
    button = kit.button("نعم", None, sublabel="Yes, I agree.", sublang="en")
    words = [c for c in _walk(button) if isinstance(c, ft.Text)]
    assert [w.value for w in words] == ["نعم", LRI + "Yes, I agree." + PDI]
    assert [w.rtl for w in words] == [True, False]


def _walk(control: object) -> list[object]:
    found = [control]
    for attr in ("content", "controls"):
        child = getattr(control, attr, None)
        for c in child if isinstance(child, list) else [child] if child is not None else []:
            found += _walk(c)
    return found
