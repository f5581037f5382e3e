"""The shared UI kit's pieces, as the field app and the console both use them: buttons that
tell the idle lock someone is there, forms whose fields a screen reader finds by identifier,
questions in a card with their answers side by side, and notices read out when they appear."""

from __future__ import annotations

import asyncio
from typing import Any

import flet as ft

from app.uikit.components import (
    DANGER,
    DONE_BG,
    ERROR_BG,
    NOTICE_BG,
    PRIMARY,
    Kit,
    Option,
    colours,
    family,
)


def kit(lang: str = "en") -> tuple[Kit, list[str]]:
    touched: list[str] = []
    return Kit(lang, 1.0, lambda: touched.append("touch")), touched


def inner(control: ft.Control) -> Any:
    """The control a kit piece named by an identifier wraps."""
    assert isinstance(control, ft.Semantics)
    return control.content


def test_colours_say_danger_primary_chosen_and_disabled_apart() -> None:
    assert colours("danger") == (DANGER, "#ffffff")
    assert colours("primary") == (PRIMARY, "#ffffff")
    assert colours("secondary") == ("#ffffff", PRIMARY)
    assert colours("secondary", selected=True) == (PRIMARY, "#ffffff")
    assert (
        colours("danger", disabled=True) == colours("primary", disabled=True) != colours("danger")
    )


def test_a_tap_tells_the_idle_lock_first_then_runs_the_handler() -> None:
    k, touched = kit()
    button = k.button("Next", lambda _e: touched.append("next"))
    assert isinstance(button, ft.Button) and button.on_click is not None
    button.on_click(None)
    assert touched == ["touch", "next"]


def test_a_coroutine_handler_stays_one_so_flet_awaits_it() -> None:
    k, touched = kit()

    async def send(_e: Any) -> str:
        touched.append("send")
        return "sent"

    button = k.button("Send", send)
    assert isinstance(button, ft.Button)
    assert asyncio.iscoroutinefunction(button.on_click)
    assert asyncio.run(button.on_click(None)) == "sent"
    assert touched == ["touch", "send"]


def test_a_button_without_a_handler_still_counts_as_a_touch() -> None:
    k, touched = kit()
    button = k.button("Call", None)
    assert isinstance(button, ft.Button) and button.on_click is not None
    assert button.on_click(None) is None
    assert touched == ["touch"]


def test_a_second_line_in_its_own_language_only_when_it_says_something_else() -> None:
    k, _ = kit()
    two = k.button("نعم", None, lang="ar", sublabel="Yes", sublang="en")
    assert isinstance(two, ft.Button) and isinstance(two.content, ft.Column)
    main, sub = two.content.controls
    assert isinstance(main, ft.Text) and main.rtl and main.font_family == family("ar", True)
    # under the Arabic words, the English line is a left-to-right isolate
    assert isinstance(sub, ft.Text) and not sub.rtl and sub.value == "\u2066Yes\u2069"
    same = k.button("Yes", None, sublabel="Yes")
    assert isinstance(same, ft.Button) and isinstance(same.content, ft.Text)


def test_a_form_names_each_field_in_order_between_its_parts() -> None:
    k, _ = kit()
    pin, repeat = k.field("PIN"), k.field("Repeat")
    submit = k.button("Set PIN", None, ident="pin-submit")
    first, last = k.text("before"), k.text("after")
    form = k.form(
        "Set a PIN",
        "Why",
        [("pin", pin), ("pin-repeat", repeat)],
        submit,
        before=[first],
        after=[last],
    )
    controls = form.controls
    assert len(controls) == 7
    assert controls[2] is first and controls[5] is last and controls[6] is submit
    named = [(c.identifier, c.content) for c in controls[3:5] if isinstance(c, ft.Semantics)]
    assert named == [("pin", pin), ("pin-repeat", repeat)]


def test_a_question_card_holds_its_words_and_the_answers_side_by_side() -> None:
    k, _ = kit()
    yes, no = k.button("Delete", None, kind="danger"), k.button("Cancel", None)
    card = k.ask("Delete everything?", [yes, no], bg=ERROR_BG, wrap=True)
    assert isinstance(card, ft.Container) and card.bgcolor == ERROR_BG
    assert isinstance(card.content, ft.Column)
    words, row = card.content.controls
    assert isinstance(words, ft.Text) and words.value == "Delete everything?"
    assert isinstance(row, ft.Row) and row.controls == [yes, no] and row.wrap


def test_buttons_side_by_side_keep_their_spacing_when_they_wrap() -> None:
    k, _ = kit()
    row = k.actions([k.button("A", None), k.button("B", None)], wrap=True, spacing=10)
    assert (row.spacing, row.run_spacing, row.wrap) == (10, 10, True)
    assert not k.actions([]).wrap


def test_a_notice_is_read_out_in_its_language_and_direction() -> None:
    k, _ = kit()
    error = k.notice("Wrong PIN")
    assert isinstance(error, ft.Semantics) and error.live_region and error.identifier == "notice"
    assert inner(error).bgcolor == ERROR_BG
    assert inner(k.notice("Saved", error=False)).bgcolor == NOTICE_BG
    done = k.notice("Saved", error=False, ident="console-notice", bg=DONE_BG)
    assert isinstance(done, ft.Semantics) and done.identifier == "console-notice"
    assert inner(done).bgcolor == DONE_BG
    arabic = inner(k.notice("تم", lang="ar"))
    assert arabic.rtl and not inner(error).rtl


def test_options_mark_the_chosen_one_and_wrap_on_a_narrow_screen() -> None:
    k, touched = kit()
    row = k.options(
        [
            Option("lang-en", "English", lambda _e: touched.append("en"), selected=True),
            Option(
                "lang-ar",
                "العربية",
                lambda _e: touched.append("ar"),
                lang="ar",
                sublabel="draft translation",
            ),
        ]
    )
    assert row.wrap and row.run_spacing == row.spacing == 8
    english, arabic = row.controls
    assert isinstance(english, ft.Semantics) and isinstance(arabic, ft.Semantics)
    assert (english.identifier, english.selected) == ("lang-en", True)
    assert (arabic.identifier, arabic.selected) == ("lang-ar", None)
    assert english.content.bgcolor == PRIMARY and arabic.content.bgcolor == "#ffffff"
    assert arabic.content.rtl and isinstance(arabic.content.content, ft.Column)
    arabic.content.on_click(None)
    assert touched == ["touch", "ar"]
