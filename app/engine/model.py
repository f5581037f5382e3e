"""The immutable questionnaire model both loaders produce.

A :class:`Questionnaire` is a tree of :class:`Item` (questions, groups, repeats, calculations)
with compiled expressions and choice lists, plus the dependency order the session recomputes
in. Texts are dicts keyed by language code; :func:`pick` chooses one for a language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from app.engine.errors import Location
from app.engine.expressions import Expr

if TYPE_CHECKING:
    from app.engine.outcome import OutcomeRules

Text = Mapping[str, str]

#: ``${name}`` inside a label, hint or message: filled in with the answer as it is now
TEXT_REFERENCE = re.compile(r"\$\{([^}]+)\}")

#: question types a person answers or reads, one screen each (or together in a field-list)
INPUT_TYPES = frozenset(
    {
        "text",
        "integer",
        "decimal",
        "select_one",
        "select_multiple",
        "note",
        "acknowledge",
        "date",
        "time",
        "dateTime",
        "range",
        "unsupported",
    }
)
#: metadata recorded by the device, never shown
#: (deviceid and username are filled from what the session is given; the ones a browser cannot
#: know, such as a phone number, stay empty)
META_TYPES = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "instanceID",
        "username",
        "subscriberid",
        "simserial",
        "phonenumber",
        "email",
        "audit",
        "start-geopoint",
        "background-geopoint",
        "background-audio",
    }
)
VALUE_TYPES = INPUT_TYPES | META_TYPES | {"calculate", "hidden"}
CONTAINER_TYPES = frozenset({"group", "repeat"})


def pick(text: Text | None, lang: str | None, default: str | None = None) -> str:
    """The text in ``lang``, else the default language, else the unlabelled column, else any."""
    if not text:
        return ""
    if lang and lang in text and text[lang]:
        return text[lang]
    if default and default in text and text[default]:
        return text[default]
    if text.get(""):
        return text[""]
    for v in text.values():
        if v:
            return v
    return ""


@dataclass(frozen=True)
class Choice:
    name: str
    label: Text
    columns: Mapping[str, str] = field(default_factory=dict)


@dataclass(eq=False)
class Item:
    """One row of the questionnaire: a question, a calculation, a group or a repeat."""

    name: str
    type: str
    location: Location
    label: Text = field(default_factory=dict)
    hint: Text = field(default_factory=dict)
    source_type: str = ""
    choice_list: str = ""
    or_other: bool = False
    required: bool = False
    required_expr: Expr | None = None
    required_message: Text = field(default_factory=dict)
    relevant: Expr | None = None
    constraint: Expr | None = None
    constraint_message: Text = field(default_factory=dict)
    calculation: Expr | None = None
    trigger: Expr | None = None
    default: str = ""
    read_only: bool = False
    appearance: str = ""
    choice_filter: Expr | None = None
    repeat_count: Expr | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)
    children: tuple[Item, ...] = ()
    parent: Item | None = field(default=None, repr=False)
    path: str = ""
    #: enclosing repeats, outermost first
    repeats: tuple[Item, ...] = ()
    #: position in dependency order (relevance and value items are 2*order and 2*order+1)
    order: int = 0

    @property
    def is_container(self) -> bool:
        return self.type in CONTAINER_TYPES

    @property
    def field_list(self) -> bool:
        return self.type == "group" and "field-list" in self.appearance.split()

    @property
    def depth(self) -> int:
        return len(self.repeats)

    def label_in(self, lang: str | None, default: str | None = None) -> str:
        return pick(self.label, lang, default)

    def hint_in(self, lang: str | None, default: str | None = None) -> str:
        return pick(self.hint, lang, default)

    def walk(self) -> Any:
        yield self
        for c in self.children:
            yield from c.walk()


@dataclass(frozen=True)
class Dependencies:
    """The recompute graph. Graph items are ints: ``2*i`` is the relevance of item ``i`` (in
    :attr:`Questionnaire.items` order), ``2*i+1`` its value (a repeat's value is its count).
    ``order`` lists graph items so that everything comes after what it reads."""

    dependents: Mapping[int, tuple[int, ...]]
    rank: Mapping[int, int]
    order: tuple[int, ...]


@dataclass(eq=False)
class Questionnaire:
    form_id: str
    version: str
    title_text: Text
    default_language: str
    languages: list[str]
    language_names: Mapping[str, str]
    statuses: Mapping[str, str]
    root: Item
    choices: Mapping[str, tuple[Choice, ...]]
    items: tuple[Item, ...]
    by_name: Mapping[str, Item]
    dependencies: Dependencies
    source: str = ""
    warnings: tuple[Any, ...] = ()
    outcome: OutcomeRules | None = None
    #: CSV files the form reads with ``pulldata``, by name without ``.csv``
    data_files: Mapping[str, tuple[Mapping[str, str], ...]] = field(default_factory=dict)

    def language_status(self, code: str) -> str:
        """``reviewed`` or ``draft`` (a language nobody has marked reviewed is a draft)."""
        return "reviewed" if self.statuses.get(code) == "reviewed" else "draft"

    def title(self, lang: str | None = None) -> str:
        return pick(self.title_text, lang, self.default_language) or self.form_id

    def item(self, name: str) -> Item:
        return self.by_name[name]

    def choice_label(self, list_name: str, value: str, lang: str | None) -> str:
        for c in self.choices.get(list_name, ()):
            if c.name == value:
                return pick(c.label, lang, self.default_language)
        return ""

    def __post_init__(self) -> None:
        self.by_name = MappingProxyType(dict(self.by_name))
