"""The parts of a session share these: the types a screen is made of (:class:`Prompt`,
:class:`Screen`, :class:`FieldError`) and :class:`_State`, what every part holds."""

from __future__ import annotations

import datetime as _dt
import random as _random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.engine.errors import SessionCode
from app.engine.model import (
    INPUT_TYPES,
    META_TYPES,
    Dependencies,
    Item,
    Questionnaire,
    pick,
)
from sync.errors import WaymarkError

Instance = tuple[int, ...]
Key = tuple[int, Instance]

#: the most repeat instances a ``repeat_count`` may create (a guard against a typo of 10000)
MAX_REPEAT_COUNT = 500
DATA_FORMAT = 1


class SessionError(WaymarkError):
    """A session was asked for something it cannot do; ``code`` names the reason."""

    codes = SessionCode
    code = SessionCode.SESSION_ERROR

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code, params=params)


@dataclass(frozen=True)
class FieldError:
    """An open check on one prompt: ``code`` is ``required``, ``constraint`` or ``invalid``;
    ``message`` is the questionnaire's own text in the current language, when it has one."""

    code: str
    name: str
    instance: Instance = ()
    message: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChoiceView:
    name: str
    labels: Mapping[str, str]
    default_language: str
    language: str
    #: fills ``${name}`` in the label with the answers as they are when it is read
    fill: Callable[[str], str] = field(default=str, repr=False, compare=False)

    def label(self, lang: str | None = None) -> str:
        text = pick(self.labels, lang or self.language, self.default_language)
        return self.fill(text) if text else self.name


@dataclass(frozen=True)
class Prompt:
    """One question as shown: texts resolve in the session's language unless one is given."""

    item: Item = field(repr=False)
    instance: Instance
    language: str
    default_language: str
    value: Any
    required: bool
    choices: tuple[ChoiceView, ...]
    errors: tuple[FieldError, ...]
    #: fills ``${name}`` in a text with the answers as they are when the text is read
    fill: Callable[[str], str] = field(default=str, repr=False, compare=False)

    @property
    def unsupported(self) -> bool:
        """A part Waymark does not run (a photo, a location, a signature...): shown as a note
        saying it is not available, never answered."""
        return self.item.type == "unsupported"

    @property
    def name(self) -> str:
        return self.item.name

    @property
    def path(self) -> str:
        return _path(self.item, self.instance)

    @property
    def type(self) -> str:
        return self.item.type

    @property
    def read_only(self) -> bool:
        return self.item.read_only or (
            self.item.calculation is not None and self.item.type in INPUT_TYPES
        )

    @property
    def appearance(self) -> str:
        return self.item.appearance

    @property
    def source_type(self) -> str:
        return self.item.source_type

    def label(self, lang: str | None = None) -> str:
        return self.fill(self.item.label_in(lang or self.language, self.default_language))

    def hint(self, lang: str | None = None) -> str:
        return self.fill(self.item.hint_in(lang or self.language, self.default_language))


@dataclass(frozen=True)
class Screen:
    """What is shown now: one prompt, or every prompt of a field-list group. ``kind`` is
    ``questions``, ``repeat_offer`` (may another instance of ``repeat`` be added?) or ``end``."""

    kind: str
    prompts: tuple[Prompt, ...] = ()
    section: str = ""
    repeat: str = ""
    instance: Instance = ()


def _path(item: Item, instance: Instance) -> str:
    parts: list[str] = []
    node: Item | None = item
    chain: list[Item] = []
    while node is not None and node.name:
        chain.append(node)
        node = node.parent
    chain.reverse()
    k = 0
    for it in chain:
        if it.type == "repeat" and k < len(instance):
            parts.append(f"{it.name}[{instance[k] + 1}]")
            k += 1
        else:
            parts.append(it.name)
    return "/".join(parts)


def _common(a: tuple[Item, ...], b: tuple[Item, ...]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x is not y:
            break
        n += 1
    return n


_META = META_TYPES


class _State:
    """What every part of a session holds: three maps keyed by ``(item order, instance)`` (raw
    values, effective relevance, repeat counts), the cursor, and the questionnaire's graph."""

    questionnaire: Questionnaire
    _language: str
    worker_language: str
    _clock: Callable[[], _dt.datetime]
    _id_factory: Callable[[], str]
    device_id: str
    username: str
    _rng: _random.Random
    _values: dict[Key, str]
    _rel: dict[Key, bool]
    _counts: dict[Key, int]
    _positions: list[tuple[str, Item, Instance]] | None
    _slots: list[tuple[int, Item, Instance]] | None
    _slot_index: dict[str, list[int]]
    _pos: int
    _cursor: int
    _deps: Dependencies
    _rank: Mapping[int, int]
    _dependents: Mapping[int, tuple[int, ...]]
    _items: tuple[Item, ...]
    _by_name: Mapping[str, Item]
    _inside: dict[int, list[int]]
    _resized: list[tuple[Item, Instance, int, int]]

    def _now(self) -> _dt.datetime:
        return self._clock()

    def _new_id(self) -> str:
        return self._id_factory()
