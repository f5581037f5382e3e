"""The neutral form both readers produce before the model is built.

A reader (XLSForm workbook or Waymark YAML) turns its source into :class:`RawForm`: rows with
their cells and where each cell came from. The builder validates and compiles it. Keeping this
stage separate means both formats share every check and report problems the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.engine.errors import Location, Problem

#: cells holding per-language text
TRANSLATABLE = ("label", "hint", "constraint_message", "required_message", "guidance_hint")

COLUMN_ALIASES = {
    "relevance": "relevant",
    "calculate": "calculation",
    "constraint message": "constraint_message",
    "jr:constraintmsg": "constraint_message",
    "required message": "required_message",
    "jr:requiredmsg": "required_message",
    "read only": "read_only",
    "readonly": "read_only",
    "choice filter": "choice_filter",
    "repeat count": "repeat_count",
    "jr:count": "repeat_count",
    "list name": "list_name",
    "caption": "label",
}

_BIND_PREFIX = re.compile(r"^(?:bind|control|body)\s*::?\s*", re.IGNORECASE)
_LANG_CODE = re.compile(r"^(?P<name>.*?)\s*\((?P<code>[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)\)\s*$")

#: English names of common languages, for columns such as ``label::English`` without a code
_LANG_NAMES = {
    "english": "en",
    "french": "fr",
    "français": "fr",
    "francais": "fr",
    "spanish": "es",
    "español": "es",
    "espanol": "es",
    "arabic": "ar",
    "portuguese": "pt",
    "persian": "fa",
    "farsi": "fa",
    "dari": "fa",
    "pashto": "ps",
    "urdu": "ur",
    "tigrinya": "ti",
    "somali": "so",
    "amharic": "am",
    "swahili": "sw",
    "russian": "ru",
    "ukrainian": "uk",
    "turkish": "tr",
    "kurdish": "ku",
    "hausa": "ha",
    "hindi": "hi",
    "bengali": "bn",
    "chinese": "zh",
}


def language_code(header: str) -> tuple[str, str]:
    """``"Arabic (ar)"`` -> ``("ar", "Arabic")``; ``"English"`` -> ``("en", "English")``."""
    text = header.strip()
    m = _LANG_CODE.match(text)
    if m:
        return m["code"].replace("_", "-"), m["name"].strip() or m["code"]
    code = _LANG_NAMES.get(text.lower())
    if code:
        return code, text
    return text.lower().replace(" ", "_") or "", text


def split_header(header: str, single_colon: bool = False) -> tuple[str, str | None, str]:
    """A column header -> (field, language code or None, language display name). A sheet with
    no ``::`` header may use one colon (``label:English``), as old pyxform forms do; ``jr:`` stays
    part of the name; ``bind:relevant`` and ``control:appearance`` (old pyxform spellings) are
    ``relevant`` and ``appearance``."""
    header = _BIND_PREFIX.sub("", header.strip())
    base, sep, rest = header.partition("::")
    if not sep and single_colon and ":" in header:
        tokens = [t.strip() for t in header.split(":")]
        if tokens[0].lower() == "jr" and len(tokens) > 1:
            tokens = [f"jr:{tokens[1]}", *tokens[2:]]
        if len(tokens) > 1:
            base, sep, rest = tokens[0], ":", ":".join(tokens[1:])
    key = " ".join(base.split())
    key = COLUMN_ALIASES.get(key.lower(), key.lower())
    if sep:
        code, name = language_code(rest)
        return key, code, name
    return key, None, ""


@dataclass
class RawChoice:
    list_name: str
    name: str
    label: dict[str, str]
    columns: dict[str, str]
    location: Location
    #: from the external_choices sheet (ODK's itemsets allow a name twice there)
    external: bool = False


@dataclass
class RawRow:
    """One row: ``cells`` maps a field to its text; ``texts`` a translatable field to
    {language code or "": text}; ``columns`` maps a field to the column it came from."""

    type: str
    name: str
    location: Location
    cells: dict[str, str] = field(default_factory=dict)
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    children: list[RawRow] | None = None

    def at(self, column_field: str) -> Location:
        """The location of one cell of this row."""
        col = self.columns.get(column_field, column_field)
        return Location(self.location.file, self.location.sheet, self.location.row, col)


@dataclass
class Languages:
    """The languages a reader found, in the order it found them, with each one's display name
    and (where the source says) its review status."""

    codes: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)

    def note(self, code: str | None, name: str) -> None:
        """A language the first time it is seen; a later sighting changes nothing."""
        if code is not None and code not in self.codes:
            self.codes.append(code)
            self.names[code] = name


@dataclass
class RawForm:
    source: str
    survey: list[RawRow]
    choices: dict[str, list[RawChoice]]
    settings: dict[str, Any]
    languages: Languages
    problems: list[Problem] = field(default_factory=list)
    outcome: Any = None
    has_outcome: bool = False
    settings_location: Location = field(default_factory=Location)
    #: files the form reads beside it (``pulldata``), by file name; never cached
    attachments: dict[str, bytes] = field(default_factory=dict)
