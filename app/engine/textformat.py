"""Waymark's reviewable text format (YAML, see docs/CONTRACTS.md) -> :class:`RawForm`.

Each mapping in ``survey`` is one row; ``group``/``repeat`` rows nest their ``children``.
Locations name the file, the section (``survey``, ``choices``, ``settings``), the line of the
row in the file and the key, so a reviewer finds the exact spot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from app.engine._build import Code, build
from app.engine._raw import TRANSLATABLE, Languages, RawChoice, RawForm, RawRow
from app.engine.errors import Location, Problem, QuestionnaireError
from app.engine.model import Questionnaire


class _LineLoader(yaml.SafeLoader):  # type: ignore[misc]
    """A safe loader that records the line of every mapping under the key ``__line__``."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = dict(loader.construct_mapping(node, deep=True))
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _text(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if k != "__line__" and v is not None}
    if value is None:
        return {}
    return {"": str(value)}


def _scalar(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False or value is None:
        return ""
    return str(value)


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def _invalid(value: Any, location: Location, problems: list[Problem]) -> None:
    problems.append(Problem(str(Code.INVALID_VALUE), location, {"value": str(value)[:40]}))


def _mapping(
    doc: dict[str, Any], key: str, filename: str, problems: list[Problem]
) -> dict[Any, Any]:
    """``doc[key]`` when it is a mapping (or absent); anything else is a problem, not a crash."""
    value = doc.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        _invalid(value, Location(filename, key, doc.get("__line__"), key), problems)
        return {}
    return value


def _list(value: Any, location: Location, problems: list[Problem]) -> list[Any]:
    """``value`` when it is a list (or absent); anything else is a problem, not a crash."""
    if value is None:
        return []
    if not isinstance(value, list):
        _invalid(value, location, problems)
        return []
    return value


def parse_text(data: bytes, filename: str) -> RawForm:
    """Read a Waymark text questionnaire; every problem of its shape is collected, located."""
    problems: list[Problem] = []
    doc = _load(data, filename)
    settings: dict[str, Any] = {
        "form_id": _scalar(doc.get("form_id")),
        "version": _scalar(doc.get("version")),
        "title": _text(doc.get("title")),
        "default_language": _scalar(doc.get("default_language")),
    }
    langs = _languages(doc, filename, problems)
    if not langs.codes:
        langs.codes.append(settings["default_language"] or "en")
    choices = _choices(doc, filename, problems)
    survey = _rows(
        _list(doc.get("survey"), Location(filename, "survey"), problems), filename, problems
    )
    return RawForm(
        filename,
        survey,
        choices,
        settings,
        langs,
        problems,
        outcome=_strip_lines(doc.get("outcome")),
        has_outcome="outcome" in doc,
        settings_location=Location(filename, "outcome", None, "outcome"),
    )


def _load(data: bytes, filename: str) -> dict[str, Any]:
    """The document's top-level mapping; unreadable YAML or another shape is one problem."""
    try:
        doc = yaml.load(data.decode("utf-8"), Loader=_LineLoader)  # noqa: S506 - safe subclass
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise QuestionnaireError(
            [Problem(str(Code.UNREADABLE), Location(filename, "", row), {"reason": "yaml"})]
        ) from None
    if not isinstance(doc, dict):
        raise QuestionnaireError(
            [Problem(str(Code.UNREADABLE), Location(filename), {"reason": "not_a_mapping"})]
        )
    return doc


def _languages(doc: dict[str, Any], filename: str, problems: list[Problem]) -> Languages:
    """``languages:`` as codes in order, display names and review statuses."""
    langs = Languages()
    for code, info in _mapping(doc, "languages", filename, problems).items():
        if code == "__line__":
            continue
        info = info if isinstance(info, dict) else {"name": info}
        langs.note(str(code), _scalar(info.get("name")) or str(code))
        status = _scalar(info.get("status")) or "draft"
        if status not in ("reviewed", "draft"):
            _invalid(
                status, Location(filename, "languages", info.get("__line__"), "status"), problems
            )
        langs.statuses[str(code)] = status
    return langs


def _choices(
    doc: dict[str, Any], filename: str, problems: list[Problem]
) -> dict[str, list[RawChoice]]:
    """``choices:`` as each list's entries, in order."""
    choices: dict[str, list[RawChoice]] = {}
    for list_name, entries in _mapping(doc, "choices", filename, problems).items():
        if list_name == "__line__":
            continue
        where = Location(filename, "choices", None, str(list_name))
        for entry in _list(entries, where, problems):
            if not isinstance(entry, dict):
                _invalid(entry, where, problems)
                continue
            cols = {str(k): _scalar(v) for k, v in entry.items() if k not in ("label", "__line__")}
            choices.setdefault(str(list_name), []).append(
                RawChoice(
                    str(list_name),
                    _scalar(entry.get("name")),
                    _text(entry.get("label")),
                    cols,
                    Location(filename, "choices", entry.get("__line__"), "name"),
                )
            )
    return choices


def _rows(entries: list[Any], filename: str, problems: list[Problem]) -> list[RawRow]:
    out: list[RawRow] = []
    for entry in entries:
        if not isinstance(entry, dict):
            _invalid(entry, Location(filename, "survey"), problems)
            continue
        row = RawRow(
            type=_scalar(entry.get("type")),
            name=_scalar(entry.get("name")),
            location=Location(filename, "survey", entry.get("__line__")),
        )
        for key, value in entry.items():
            if key in ("__line__", "children", "type", "name"):
                continue
            if key in TRANSLATABLE:
                row.texts[key] = _text(value)
            else:
                row.cells[str(key)] = _scalar(value)
        row.cells["type"] = row.type
        row.cells["name"] = row.name
        if row.type in ("group", "repeat") or "children" in entry:
            children = _list(entry.get("children"), row.at("children"), problems)
            row.children = _rows(children, filename, problems)
        out.append(row)
    return out


def load_text(
    data: bytes, filename: str, attachments: Mapping[str, bytes] | None = None
) -> Questionnaire:
    raw = parse_text(data, filename)
    raw.attachments = dict(attachments or {})
    return build(raw)
