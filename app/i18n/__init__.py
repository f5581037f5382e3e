"""Interface words in the person's language.

Every string a person reads is marked with ``_`` (or ``N_`` where it is defined at import time
and translated later) and looked up in the gettext catalogs under ``locales/``. Catalogs are
kept as reviewable ``.po`` files and compiled in memory on first use, so no binary catalog is
ever out of step with its source. Language names, plural rules, text direction, dates and
numbers come from Babel's CLDR data.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from app.resources import locales_dir

LOCALES_DIR = locales_dir()

#: The shipped interface languages, in the order a worker is offered them.
#: Dari is written with the Persian catalog (``fa``); the questionnaire records the dialect.
SHIPPED = ("en", "fr", "ar", "fa", "ps", "ur", "ti", "so")
SOURCE_LANGUAGE = "en"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return message


@dataclass(frozen=True)
class Language:
    code: str
    native_name: str
    english_name: str
    rtl: bool


@functools.cache
def language(code: str) -> Language:
    loc = Locale.parse(code)
    return Language(
        code=code,
        native_name=(loc.get_display_name(loc) or code),
        english_name=(loc.get_display_name("en") or code),
        rtl=loc.character_order == "right-to-left",
    )


#: Unicode's left-to-right isolate, first-strong isolate and their end: a case code, a phone
#: number or the worker's English keeps its own order inside right-to-left text (and moves
#: nothing around it).
LRI, FSI, PDI = "\u2066", "\u2068", "\u2069"


def isolate(text: str) -> str:
    """``text`` as a left-to-right island in a paragraph of either direction (without it
    "+961 1 234 567" reads "567 234 1 961+" in Arabic)."""
    return f"{LRI}{text}{PDI}" if text else text


def is_rtl(code: str) -> bool:
    return language(code.split("-")[0].split("_")[0]).rtl


@functools.cache
def _translations(code: str) -> Translations:
    po = LOCALES_DIR / code / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return Translations()  # the source language: msgids are the English text
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=code)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf, domain="messages")


def review_status(code: str) -> str:
    """``reviewed`` once a qualified translator has signed the catalog off, else ``draft``."""
    if code == SOURCE_LANGUAGE:
        return "reviewed"
    po = LOCALES_DIR / code / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return "draft"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=code)
    status = str(catalog.mime_headers and dict(catalog.mime_headers).get("X-Review-Status", ""))
    return "reviewed" if status.strip().lower() == "reviewed" else "draft"


class Translator:
    """gettext for one language; ``_("Hello {name}", name=x)`` formats after translating."""

    def __init__(self, code: str = SOURCE_LANGUAGE) -> None:
        self.code = code if code in SHIPPED else SOURCE_LANGUAGE
        self._t = _translations(self.code)

    @property
    def rtl(self) -> bool:
        return is_rtl(self.code)

    def gettext(self, message: str, /, **params: object) -> str:
        text = self._t.gettext(message)
        return text.format(**params) if params else text

    __call__ = gettext

    def ngettext(self, singular: str, plural: str, n: int, /, **params: object) -> str:
        text = self._t.ngettext(singular, plural, n)
        return text.format(n=n, **params)


def translator(code: str | None = None) -> Translator:
    return Translator(code or SOURCE_LANGUAGE)
