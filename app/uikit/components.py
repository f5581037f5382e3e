"""Reusable pieces every screen is built from: text in the right font and direction, large
touch targets (at least 48 px), the frame with the always-visible quick exit.

Fonts are bundled (Noto, OFL) because offline Flutter web draws Arabic-script and Ethiopic text
as empty boxes without them; each text names the family for its language and falls back to the
others, so mixed text (an Arabic question, English worker text) renders in one screen.
"""

from __future__ import annotations

import inspect
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import flet as ft

from app.i18n import FSI, PDI, is_rtl, isolate

FONTS = {
    "Noto Sans": "fonts/NotoSans-Regular.ttf",
    "Noto Sans Bold": "fonts/NotoSans-Bold.ttf",
    "Noto Naskh Arabic": "fonts/NotoNaskhArabic-Regular.ttf",
    "Noto Naskh Arabic Bold": "fonts/NotoNaskhArabic-Bold.ttf",
    "Noto Sans Ethiopic": "fonts/NotoSansEthiopic-Regular.ttf",
    "Noto Sans Ethiopic Bold": "fonts/NotoSansEthiopic-Bold.ttf",
    "Noto Nastaliq Urdu": "fonts/NotoNastaliqUrdu-Regular.ttf",
    "Noto Nastaliq Urdu Bold": "fonts/NotoNastaliqUrdu-Bold.ttf",
}
ARABIC_SCRIPT = frozenset({"ar", "fa", "ps", "ur", "ckb", "prs"})
ETHIOPIC_SCRIPT = frozenset({"ti", "am"})
TOUCH = 48
MAX_WIDTH = 720

PRIMARY = "#1f5f8b"
DANGER = "#b3261e"
WORKER_BG = "#eef3f7"
NOTICE_BG = "#fff4d6"
ERROR_BG = "#fde7e5"
DONE_BG = "#e6f4ea"


def family(lang: str | None, bold: bool = False) -> str:
    base = lang.split("-")[0].split("_")[0] if lang else "en"
    if base == "ur":  # Urdu is written in Nastaliq, not Naskh
        name = "Noto Nastaliq Urdu"
    elif base in ARABIC_SCRIPT:
        name = "Noto Naskh Arabic"
    elif base in ETHIOPIC_SCRIPT:
        name = "Noto Sans Ethiopic"
    else:
        name = "Noto Sans"
    return f"{name} Bold" if bold else name


def fallback(lang: str | None, bold: bool = False) -> list[str]:
    suffix = " Bold" if bold else ""
    return [
        f + suffix
        for f in ("Noto Sans", "Noto Naskh Arabic", "Noto Sans Ethiopic")
        if f + suffix != family(lang, bold)
    ]


def theme(lang: str) -> ft.Theme:
    """Standard density whatever the browser reports: a desktop user agent (a Windows tablet,
    a Chromebook) would otherwise shrink every control below a 48 px touch target."""
    return ft.Theme(
        color_scheme_seed=PRIMARY,
        font_family=family(lang),
        visual_density=ft.VisualDensity.STANDARD,
    )


def right_to_left(value: str, lang: str) -> bool:
    """Whether ``value`` reads right to left: written in a right-to-left language and holding
    right-to-left letters (a text the catalogs have not translated yet is English, whatever the
    language it stands in for)."""
    return is_rtl(lang) and any(unicodedata.bidirectional(c) in ("R", "AL") for c in value)


def directed(value: str, lang: str, *around: str) -> tuple[str, bool]:
    """The text to draw and whether it runs right to left. A container's ``rtl=False`` does
    not make its part of a right-to-left screen left to right, so a left-to-right text there
    (the worker's English on an Arabic screen) is isolated: its words and punctuation keep
    their order, and the screen keeps its alignment. ``around``: the languages of the
    containers it is drawn in (the screen's first)."""
    rtl = right_to_left(value, lang)
    if not rtl and value and any(is_rtl(code) for code in around):
        return isolate(value), False
    return value, rtl


def colours(kind: str, *, selected: bool = False, disabled: bool = False) -> tuple[str, str]:
    """A button's background and text colours: ``danger`` red, ``primary`` (or a chosen
    option) filled, any other kind outlined; a disabled button grey whatever its kind."""
    if disabled:
        return "#e1e4e8", "#6e7781"
    if kind == "danger":
        return DANGER, "#ffffff"
    if kind == "primary" or selected:
        return PRIMARY, "#ffffff"
    return "#ffffff", PRIMARY


@dataclass(frozen=True)
class Option:
    """One answer of a choice drawn by :meth:`Kit.options`: ``ident`` names its button,
    ``lang`` the language its words are in, ``sublabel`` a second line (a draft translation)."""

    ident: str
    label: str
    on_click: Callable[[Any], Any] | None
    selected: bool = False
    lang: str | None = None
    sublabel: str | None = None


def apart(*parts: str, sep: str = " \u2014 ") -> str:
    """Parts of one line, each in its own direction: the worker's English question and the
    interface's Arabic "not answered" keep their words and punctuation in order."""
    return sep.join(FSI + part + PDI for part in parts)


class Kit:
    """Builds controls for one page: ``lang`` is the worker's interface language, ``scale`` the
    text size setting, honoured by every text this makes."""

    def __init__(self, lang: str, scale: float, on_touch: Callable[[], None]) -> None:
        self.lang = lang
        self.scale = scale
        self.on_touch = on_touch

    def size(self, base: float) -> float:
        return round(base * self.scale, 1)

    def text(
        self,
        value: str,
        size: float = 16,
        *,
        lang: str | None = None,
        bold: bool = False,
        color: str | None = None,
        ident: str | None = None,
        align: ft.TextAlign | None = None,
    ) -> ft.Control:
        lang = lang or self.lang
        value, rtl = directed(value, lang, self.lang)
        t = ft.Text(
            value,
            size=self.size(size),
            font_family=family(lang, bold),
            font_family_fallback=fallback(lang, bold),
            color=color,
            text_align=align or ft.TextAlign.START,
            rtl=rtl,
        )
        if ident:
            return ft.Semantics(identifier=ident, content=t)
        return t

    def heading(
        self, value: str, *, lang: str | None = None, ident: str | None = None
    ) -> ft.Control:
        return self.text(value, 22, lang=lang, bold=True, ident=ident)

    def button(
        self,
        label: str,
        on_click: Callable[[Any], Any] | None,
        *,
        ident: str | None = None,
        kind: str = "primary",
        lang: str | None = None,
        icon: Any = None,
        selected: bool = False,
        expand: bool = False,
        disabled: bool = False,
        sublabel: str | None = None,
        sublang: str | None = None,
    ) -> ft.Control:
        """A button at least 48 px high whose accessible name is its words."""
        lang = lang or self.lang
        bg, fg = colours(kind, selected=selected, disabled=disabled)
        b = ft.Button(
            content=self._button_words(label, lang, fg, sublabel, sublang),
            icon=icon,
            on_click=self._touching(on_click),
            bgcolor=bg,
            color=fg,
            disabled=disabled,
            rtl=is_rtl(lang),
            expand=True if expand else None,  # expand=False breaks a button in a Wrap
            style=ft.ButtonStyle(
                visual_density=ft.VisualDensity.STANDARD,
                padding=ft.Padding.symmetric(horizontal=16, vertical=14),
                shape=ft.RoundedRectangleBorder(radius=10),
                side=ft.BorderSide(2 if selected else 1, PRIMARY),
            ),
        )
        if ident:
            # the chosen option is said to be chosen, not only drawn in a darker colour
            return ft.Semantics(
                identifier=ident,
                content=b,
                container=True,
                expand=True if expand else None,
                selected=True if selected else None,
            )
        return b

    def _button_words(
        self, label: str, lang: str, fg: str, sublabel: str | None, sublang: str | None
    ) -> ft.Control:
        """A button's label, bold, with a smaller second line (the worker's words, a mark)
        below it when there is one that says something else."""
        shown, rtl = directed(label, lang, self.lang)
        words: list[ft.Control] = [
            ft.Text(
                shown,
                size=self.size(16),
                font_family=family(lang, True),
                font_family_fallback=fallback(lang, True),
                color=fg,
                rtl=rtl,
                text_align=ft.TextAlign.CENTER,
            )
        ]
        if not sublabel or sublabel == label:
            return words[0]
        # under the respondent's words, whose direction the button takes
        shown, rtl = directed(sublabel, sublang or self.lang, self.lang, lang)
        words.append(
            ft.Text(
                shown,
                size=self.size(13),
                font_family=family(sublang),
                font_family_fallback=fallback(sublang),
                color=fg,
                rtl=rtl,
                text_align=ft.TextAlign.CENTER,
            )
        )
        return ft.Column(
            words, spacing=2, tight=True, horizontal_alignment=ft.CrossAxisAlignment.CENTER
        )

    def _touching(self, on_click: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
        """The click handler, telling the idle lock first that someone is there; a coroutine
        handler stays one, so Flet awaits it."""
        if on_click is not None and inspect.iscoroutinefunction(on_click):
            handler = on_click

            async def clicked_async(e: Any) -> Any:
                self.on_touch()
                return await handler(e)

            return clicked_async

        def clicked_sync(e: Any) -> Any:
            self.on_touch()
            return on_click(e) if on_click is not None else None

        return clicked_sync

    def field(
        self,
        label: str,
        *,
        password: bool = False,
        value: str = "",
        on_submit: Callable[[Any], Any] | None = None,
        numeric: bool = False,
        lang: str | None = None,
    ) -> ft.TextField:
        """A text field whose typing tells the idle lock someone is there. The screen names it
        for a screen reader and a browser test (:meth:`form` does so for each of its fields)."""
        lang = lang or self.lang

        def changed(_e: Any) -> None:
            self.on_touch()

        tf = ft.TextField(
            label=label,
            value=value,
            password=password,
            can_reveal_password=False,
            on_change=changed,
            on_submit=on_submit,
            keyboard_type=ft.KeyboardType.NUMBER if numeric else ft.KeyboardType.TEXT,
            text_size=self.size(18),
            label_style=ft.TextStyle(size=self.size(15)),
            rtl=is_rtl(lang),
            autocorrect=False,
            enable_suggestions=False,
        )
        return tf

    def notice(
        self,
        words: str,
        error: bool = True,
        *,
        lang: str | None = None,
        size: float = 15,
        ident: str = "notice",
        bg: str | None = None,
    ) -> ft.Control:
        """A message in a box that a screen reader reads out when it appears; ``lang`` sets its
        font and direction (the worker's language by default), ``bg`` its colour (by default
        red for an error, yellow otherwise)."""
        return ft.Semantics(
            identifier=ident,
            live_region=True,
            content=ft.Container(
                content=self.text(words, size, lang=lang),
                rtl=is_rtl(lang or self.lang),
                bgcolor=bg or (ERROR_BG if error else NOTICE_BG),
                padding=12,
                border_radius=8,
            ),
        )

    def actions(
        self, buttons: Sequence[ft.Control], *, wrap: bool = False, spacing: float = 8
    ) -> ft.Row:
        """Buttons side by side (made with ``expand=True`` they share the width; with
        ``wrap`` they go on the next line when the screen is too narrow)."""
        return ft.Row(list(buttons), spacing=spacing, wrap=wrap, run_spacing=spacing)

    def options(self, options: Iterable[Option], *, spacing: float = 8) -> ft.Row:
        """One choice among several (a language, a text size) as buttons that wrap on a narrow
        screen: the chosen one filled, and said to be chosen."""
        buttons = [
            self.button(
                o.label,
                o.on_click,
                ident=o.ident,
                lang=o.lang,
                kind="secondary",
                selected=o.selected,
                sublabel=o.sublabel,
            )
            for o in options
        ]
        return self.actions(buttons, wrap=True, spacing=spacing)

    def ask(
        self,
        words: str,
        answers: Sequence[ft.Control],
        *,
        bg: str = "#ffffff",
        bold: bool = False,
        size: float = 16,
        wrap: bool = False,
    ) -> ft.Control:
        """A question in a card with its answers below it, side by side: a confirmation
        before something that cannot be undone, or an offer the person may decline."""
        return self.card(
            [self.text(words, size, bold=bold), self.actions(answers, wrap=wrap)], bg=bg
        )

    def form(
        self,
        title: str,
        intro: str,
        fields: Sequence[tuple[str, ft.Control]],
        submit: ft.Control,
        *,
        before: Sequence[ft.Control] = (),
        after: Sequence[ft.Control] = (),
    ) -> ft.Column:
        """A screen that asks for a few fields: its heading, what it is for, ``before`` (a
        notice, a language choice), each field under its identifier (how a screen reader and
        a browser test find it), ``after`` and the button that sends it."""
        return ft.Column(
            [
                self.heading(title),
                self.text(intro),
                *before,
                *(ft.Semantics(identifier=ident, content=field) for ident, field in fields),
                *after,
                submit,
            ],
            spacing=14,
        )

    def card(
        self, controls: list[ft.Control], *, bg: str = "#ffffff", lang: str | None = None
    ) -> ft.Control:
        return ft.Container(
            content=ft.Column(controls, spacing=8),
            bgcolor=bg,
            padding=14,
            border_radius=12,
            border=ft.Border.all(1, "#d0d7de"),
            rtl=is_rtl(lang or self.lang),
        )
