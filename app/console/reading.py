"""A record read in words, and corrections checked by the engine.

A record's ``values`` are paths and raw values (``setup/interpreter: not_known``). Read against
its questionnaire, each becomes the question's label and the choice's label in the
coordinator's language (the questionnaire's default language when it has no such text),
grouped under the headings of its groups, in questionnaire order. Worker-only sections
(appearance ``worker-only``), calculations and metadata are set apart: they are not what the
person said.

A correction is offered only on an answer the person gave (never a calculation, metadata or a
note), and the engine checks it as it checks an answer in the field: its type, its choices and
its constraint, with the record's other answers in place. Everything here is pure: the
questionnaire comes in loaded, nothing is read or written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.engine import Item, Questionnaire, Session
from app.engine.model import INPUT_TYPES, META_TYPES, pick

WORKER_ONLY = "worker-only"
#: Input types a person answers (notes and acknowledgements are read, not answered).
ANSWER_TYPES = INPUT_TYPES - {"note", "acknowledge", "unsupported"}
_INDEX = re.compile(r"\[(\d+)\]")


class Kind(StrEnum):
    answer = "answer"  # the person's answer: correctable
    worker = "worker"  # in a worker-only section: what the worker noted, correctable
    calculated = "calculated"  # computed by the questionnaire: never correctable
    meta = "meta"  # recorded by the device (start, end, ...): never correctable
    unknown = "unknown"  # not in this questionnaire version: shown raw, not correctable


@dataclass(frozen=True)
class Reading:
    """One value of a record, in words."""

    path: str
    label: str
    words: str
    value: Any
    kind: Kind
    original_words: str | None = None  # set when a correction replaced the value
    choices: tuple[tuple[str, str], ...] = ()  # (name, label) of a select question
    type: str = ""

    @property
    def correctable(self) -> bool:
        return self.kind in (Kind.answer, Kind.worker)

    @property
    def corrected(self) -> bool:
        return self.original_words is not None


@dataclass(frozen=True)
class Section:
    """A group heading and the values under it (``depth``: how far the group is nested)."""

    path: str
    heading: str
    depth: int
    worker_only: bool
    readings: list[Reading] = field(default_factory=list)


@dataclass(frozen=True)
class RecordWords:
    """The person's answers by section, the worker-only sections, then what is set apart."""

    sections: list[Section]
    worker: list[Section]
    calculated: list[Reading]
    meta: list[Reading]
    unknown: list[Reading]
    language: str  # the language the words are in (the coordinator's, or the default)


def item_path(path: str) -> str:
    """``household/member[2]/age`` -> ``household/member/age`` (the questionnaire's path)."""
    return _INDEX.sub("", path)


def instance_of(path: str) -> tuple[int, ...]:
    """The 0-based repeat instance a value path names: ``a[2]/b[1]/c`` -> ``(1, 0)``."""
    return tuple(int(n) - 1 for n in _INDEX.findall(path))


def _worker_only(item: Item | None) -> bool:
    while item is not None:
        if WORKER_ONLY in item.appearance.split():
            return True
        item = item.parent
    return False


def _kind(item: Item | None) -> Kind:
    if item is None:
        return Kind.unknown
    if item.type in META_TYPES:
        return Kind.meta
    if item.type in ("calculate", "hidden") or item.read_only or item.type not in ANSWER_TYPES:
        return Kind.calculated
    return Kind.worker if _worker_only(item) else Kind.answer


def _raw(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def value_words(q: Questionnaire, item: Item | None, value: Any, lang: str) -> str:
    """A value in words: choice labels for a select question, the value itself otherwise."""
    if item is not None and item.choice_list:
        names = value if isinstance(value, (list, tuple)) else str(value or "").split()
        if item.type == "select_one":
            names = [str(value)] if value not in (None, "") else []
        labels = [q.choice_label(item.choice_list, str(n), lang) or str(n) for n in names]
        return ", ".join(labels)
    return _raw(value)


def _choices(q: Questionnaire, item: Item | None, lang: str) -> tuple[tuple[str, str], ...]:
    if item is None or not item.choice_list:
        return ()
    return tuple(
        (c.name, pick(c.label, lang, q.default_language) or c.name)
        for c in q.choices.get(item.choice_list, ())
    )


def read(
    q: Questionnaire,
    values: Mapping[str, Any],
    lang: str,
    corrected: Mapping[str, Any] | None = None,
) -> RecordWords:
    """``values`` (the record's, as sealed) read in ``lang``; ``corrected`` replaces some of
    them (the originals are kept beside, in words)."""
    lang = lang if lang in q.languages else q.default_language
    corrected = dict(corrected or {})
    by_path = {it.path: it for it in q.items if it.path}
    order = {it.path: i for i, it in enumerate(q.items)}
    sections: dict[str, Section] = {}
    calculated: list[Reading] = []
    meta: list[Reading] = []
    unknown: list[Reading] = []

    def sort_key(path: str) -> tuple[int, tuple[int, ...], str]:
        return (order.get(item_path(path), len(order)), instance_of(path), path)

    for path in sorted(set(values) | set(corrected), key=sort_key):
        item = by_path.get(item_path(path))
        kind = Kind.meta if item is None and path in META_TYPES else _kind(item)
        now = corrected.get(path, values.get(path))
        reading = Reading(
            path=path,
            label=(item.label_in(lang, q.default_language) if item else "") or path,
            words=value_words(q, item, now, lang),
            value=now,
            kind=kind,
            original_words=(
                value_words(q, item, values.get(path), lang) if path in corrected else None
            ),
            choices=_choices(q, item, lang),
            type=item.type if item else "",
        )
        if kind is Kind.calculated:
            calculated.append(reading)
        elif kind is Kind.meta:
            meta.append(reading)
        elif kind is Kind.unknown:
            unknown.append(reading)
        else:
            assert item is not None
            _section(sections, q, item, path, lang, kind).readings.append(reading)
    person = [s for s in sections.values() if not s.worker_only]
    worker = [s for s in sections.values() if s.worker_only]
    return RecordWords(person, worker, calculated, meta, unknown, lang)


def _section(
    sections: dict[str, Section], q: Questionnaire, item: Item, path: str, lang: str, kind: Kind
) -> Section:
    """The section ``path``'s answer is shown in (made on first use): its group's heading,
    numbered for a repeat's instance."""
    group = item.parent
    key = path.rsplit("/", 1)[0] if "/" in path else ""
    if key not in sections:
        heading = group.label_in(lang, q.default_language) if group else ""
        if group is not None and group.type == "repeat":
            instance = instance_of(path)
            heading = f"{heading or group.name} {instance[-1] + 1 if instance else 1}"
        sections[key] = Section(
            path=key,
            heading=heading or (group.name if group and group.name else ""),
            depth=max(0, key.count("/")),
            worker_only=kind is Kind.worker,
        )
    return sections[key]


# --- corrections ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why the engine refused a corrected value: its code (``constraint``,
    ``unknown_choice``, ``invalid_integer``, ``out_of_range``, ``not_correctable``, ...)
    and the questionnaire's own message, when it has one, in the coordinator's language."""

    code: str
    message: str = ""


def check_correction(
    q: Questionnaire,
    values: Mapping[str, Any],
    path: str,
    value: Any,
    lang: str,
) -> tuple[Any, Refusal | None]:
    """(the value as the engine stores it, None) when ``value`` may replace the answer at
    ``path``; (None, refusal) when it may not. The record's other answers are in place, so a
    constraint that reads them is checked as in the field."""
    item = next((it for it in q.items if it.path == item_path(path)), None)
    if _kind(item) not in (Kind.answer, Kind.worker):
        return None, Refusal("not_correctable")
    assert item is not None
    data = {
        "form_id": q.form_id,
        "language": lang if lang in q.languages else q.default_language,
        "values": [
            [item_path(p), list(instance_of(p)), _raw(v)]
            for p, v in values.items()
            if p != path and item_path(p) in {it.path for it in q.items}
        ],
        "position": None,
    }
    session = Session.restore(q, data)
    errors = session.answer(item.name, value, instance=instance_of(path) or None)
    if errors:
        e = errors[0]
        return None, Refusal(e.code, e.message or "")
    stored = session.values().get(path)
    if stored is None:  # answered but not relevant, or cleared: keep what was given
        stored = value
    return stored, None


def correction_value(text: str, reading: Reading) -> Any:
    """What a coordinator typed, as the value to check: a select_multiple's choices are
    space-separated; everything else is checked by the engine as typed."""
    if reading.type == "select_multiple":
        return text.split()
    return text.strip()
