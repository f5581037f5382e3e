"""Reusable pieces every screen is built from: text in the right font and direction, large
touch targets (at least 48 px), the frame with the always-visible quick exit.

Fonts are bundled (Noto, OFL) because offline Flutter web draws Arabic-script and Ethiopic text
as empty boxes without them; each text names the family for its language and falls back to the
others, so mixed text (an Arabic question, English worker text) renders in one screen.
"""

from __future__ import annotations

import inspect
import unicodedata
from collections.abc import Callable
from typing import Any

import flet as ft

from app.i18n import is_rtl

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

#: Unicode's left-to-right isolate and its end: a left-to-right text keeps its own order (its
#: full stop and question mark at its end) on a right-to-left screen.
LRI, PDI = "\u2066", "\u2069"

PRIMARY = "#1f5f8b"
DANGER = "#b3261e"
WORKER_BG = "#eef3f7"
NOTICE_BG = "#fff4d6"
ERROR_BG = "#fde7e5"


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
        return LRI + value + PDI, False
    return value, rtl


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
        if kind == "danger":
            bg, fg = DANGER, "#ffffff"
        elif kind == "primary" or selected:
            bg, fg = PRIMARY, "#ffffff"
        else:
            bg, fg = "#ffffff", PRIMARY
        if disabled:
            bg, fg = "#e1e4e8", "#6e7781"
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
        if sublabel and sublabel != label:
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
        content: ft.Control = (
            words[0]
            if len(words) == 1
            else ft.Column(
                words, spacing=2, tight=True, horizontal_alignment=ft.CrossAxisAlignment.CENTER
            )
        )

        async def clicked_async(e: Any) -> Any:
            self.on_touch()
            assert on_click is not None
            return await on_click(e)

        def clicked_sync(e: Any) -> Any:
            self.on_touch()
            return on_click(e) if on_click is not None else None

        clicked: Callable[[Any], Any] = (
            clicked_async
            if on_click is not None and inspect.iscoroutinefunction(on_click)
            else clicked_sync
        )

        b = ft.Button(
            content=content,
            icon=icon,
            on_click=clicked,
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

    def field(
        self,
        label: str,
        *,
        ident: str | None = None,
        password: bool = False,
        value: str = "",
        on_submit: Callable[[Any], Any] | None = None,
        numeric: bool = False,
        lang: str | None = None,
    ) -> ft.TextField:
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
        self, words: str, error: bool = True, *, lang: str | None = None, size: float = 15
    ) -> ft.Control:
        """A message in a box; ``lang`` sets its font and direction (the worker's language by
        default)."""
        return ft.Semantics(
            identifier="notice",
            live_region=True,
            content=ft.Container(
                content=self.text(words, size, lang=lang),
                rtl=is_rtl(lang or self.lang),
                bgcolor=ERROR_BG if error else NOTICE_BG,
                padding=12,
                border_radius=8,
            ),
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
