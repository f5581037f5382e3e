"""Raw form -> validated, compiled :class:`Questionnaire`, collecting EVERY problem at once.

Stages: rows to items (types, names), expressions compiled per cell, references and choice
lists checked, the dependency graph built and sorted (cycles reported). Each rule adds
:class:`Problem` values with the cell's location; nothing stops at the first.
"""

from __future__ import annotations

import csv
import importlib
import io
import re
from collections import defaultdict
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from app.engine._raw import RawForm, RawRow
from app.engine.errors import ExpressionError, Location, Problem, QuestionnaireError
from app.engine.expressions import Call, Expr, Literal, parse, walk
from app.engine.model import (
    INPUT_TYPES,
    META_TYPES,
    TEXT_REFERENCE,
    Choice,
    Dependencies,
    Item,
    Questionnaire,
)


class Code(StrEnum):
    """Problem codes; each names a message template in the catalogs."""

    UNREADABLE = "unreadable_file"
    UNKNOWN_FORMAT = "unknown_format"
    MISSING_SHEET = "missing_sheet"
    MISSING_COLUMN = "missing_column"
    MISSING_TYPE = "missing_type"
    MISSING_NAME = "missing_name"
    INVALID_NAME = "invalid_name"
    DUPLICATE_NAME = "duplicate_name"
    DUPLICATE_CHOICE = "duplicate_choice"
    AMBIGUOUS_REFERENCE = "ambiguous_reference"
    UNKNOWN_REFERENCE = "unknown_reference"
    EXPRESSION_SYNTAX = "expression_syntax"
    CIRCULAR_DEPENDENCY = "circular_dependency"
    UNKNOWN_CHOICE_LIST = "unknown_choice_list"
    UNSUPPORTED_TYPE = "unsupported_type"
    UNMATCHED_END = "unmatched_end"
    UNCLOSED_GROUP = "unclosed_group"
    TYPOGRAPHIC_QUOTES = "typographic_quotes"
    OUTCOME_UNAVAILABLE = "outcome_unavailable"
    INVALID_VALUE = "invalid_value"
    EMPTY_SURVEY = "empty_survey"
    DUPLICATE_COLUMN = "duplicate_column"
    MISSING_CHOICE_NAME = "missing_choice_name"
    MISSING_CALCULATION = "missing_calculation"
    ROW_SKIPPED = "row_skipped"
    BARE_NAME = "bare_name"
    MISSING_ATTACHMENT = "missing_attachment"
    UNKNOWN_INSTANCE = "unknown_instance"
    UNKNOWN_TYPE = "unknown_type"


#: types ODK has that Waymark does not run (reported as a warning; the question is kept and
#: shown as a note so no question ever disappears silently)
_KNOWN_UNSUPPORTED = frozenset(
    {
        "geopoint",
        "geotrace",
        "geoshape",
        "image",
        "audio",
        "video",
        "file",
        "barcode",
        "signature",
        "rank",
        "select_one_from_file",
        "select_multiple_from_file",
        "osm",
        "xml-external",
        "csv-external",
    }
)

#: every question type pyxform 4.5 knows (pyxform.question_type_dictionary); a type outside
#: these and Waymark's own is an error, as pyxform rejects it
PYXFORM_TYPES = frozenset(
    {
        *("acknowledge", "audio", "audit", "background-audio", "background-geopoint"),
        *("barcode", "calculate", "csv-external", "date", "date time", "dateTime", "datetime"),
        *("decimal", "device id", "deviceid", "email", "end", "end time", "file", "geopoint"),
        *("geoshape", "geotrace", "get device id", "get end time", "get phone number"),
        *("get sim id", "get start time", "get subscriber id", "get today", "gps", "hidden"),
        *("image", "imei", "int", "integer", "location", "note", "number of days in last month"),
        *("number of days in last six months", "number of days in last year", "osm"),
        *("percentage", "phone number", "phonenumber", "photo", "range", "rank"),
        *("select all that apply", "select all that apply from", "select multiple from"),
        *("select multiple using", "select one", "select one external", "select one using"),
        *("sim id", "simserial", "start", "start time", "start-geopoint", "string"),
        *("subscriber id", "subscriberid", "text", "time", "today", "trigger"),
        *("uri:deviceid", "uri:email", "uri:phonenumber", "uri:simserial", "uri:subscriberid"),
        *("uri:username", "username", "video", "xml-external"),
        *(f"add {t} prompt" for t in ("acknowledge", "audio", "barcode", "calculate", "date")),
        *(f"add {t} prompt" for t in ("date time", "dateTime", "decimal", "file", "image")),
        *(f"add {t} prompt" for t in ("integer", "location", "note", "text", "video")),
        *("add select multiple prompt using", "add select one prompt using"),
        *(f"q {t}" for t in ("acknowledge", "audio", "barcode", "calculate", "date")),
        *(f"q {t}" for t in ("date time", "dateTime", "decimal", "geopoint", "geoshape")),
        *(f"q {t}" for t in ("geotrace", "image", "int", "location", "note", "picture")),
        *(f"q {t}" for t in ("select", "select1", "string", "video")),
    }
)

#: pyxform's other spellings of a whole type, by what they are in Waymark
_PHRASE_TYPES = {
    **dict.fromkeys(("add acknowledge prompt", "q acknowledge"), "acknowledge"),
    **dict.fromkeys(("add calculate prompt", "q calculate"), "calculate"),
    **dict.fromkeys(("add date prompt", "q date"), "date"),
    **dict.fromkeys(
        ("add date time prompt", "add datetime prompt", "date time", "q date time", "q datetime"),
        "dateTime",
    ),
    **dict.fromkeys(("add decimal prompt", "q decimal"), "decimal"),
    **dict.fromkeys(("add integer prompt", "q int", "percentage"), "integer"),
    **dict.fromkeys(
        (
            "number of days in last month",
            "number of days in last six months",
            "number of days in last year",
        ),
        "integer",
    ),
    **dict.fromkeys(("add note prompt", "q note"), "note"),
    **dict.fromkeys(("add text prompt", "q string"), "text"),
    **dict.fromkeys(("device id", "get device id"), "deviceid"),
    **dict.fromkeys(("start time", "get start time"), "start"),
    **dict.fromkeys(("end time", "get end time"), "end"),
    "get today": "today",
    "get phone number": "phonenumber",
    **dict.fromkeys(("get sim id", "sim id"), "simserial"),
    **dict.fromkeys(("get subscriber id", "subscriber id"), "subscriberid"),
    **dict.fromkeys(("gps", "location", "add location prompt", "q location"), "geopoint"),
    "q geopoint": "geopoint",
    "q geoshape": "geoshape",
    "q geotrace": "geotrace",
    **dict.fromkeys(("add image prompt", "q image", "q picture", "photo"), "image"),
    **dict.fromkeys(("add audio prompt", "q audio"), "audio"),
    **dict.fromkeys(("add video prompt", "q video"), "video"),
    **dict.fromkeys(("add barcode prompt", "q barcode"), "barcode"),
    "add file prompt": "file",
}

#: media columns (pictures, sounds, films beside a question), which Waymark does not show
_MEDIA_COLUMNS = ("media", "image", "big-image", "audio", "video")

_TYPE_ALIASES = {
    "begin_group": "group",
    "begin group": "group",
    "begin_repeat": "repeat",
    "begin repeat": "repeat",
    "select one": "select_one",
    "select multiple": "select_multiple",
    "select_one_external": "select_one",
    "datetime": "dateTime",
    "int": "integer",
    "string": "text",
    "instanceid": "instanceID",
    "imei": "deviceid",
    "uri:deviceid": "deviceid",
    "uri:subscriberid": "subscriberid",
    "uri:simserial": "simserial",
    "uri:phonenumber": "phonenumber",
    "uri:username": "username",
    "uri:email": "email",
    "trigger": "acknowledge",
    "begin_loop": "group",
    "begin loop": "group",
    "photo": "image",
    "add image prompt": "image",
    "add photo prompt": "image",
    "add audio prompt": "audio",
    "add video prompt": "video",
    "add file prompt": "file",
    "q picture": "image",
    "phone number": "phonenumber",
}

_NAME_RE = re.compile(r"^[A-Za-z_][\w.\-]*$", re.UNICODE)
_TRUE = frozenset({"yes", "true", "1", "true()"})
_FALSE = frozenset({"", "no", "false", "0", "false()"})
_EXPR_COLUMNS = (
    "relevant",
    "constraint",
    "calculation",
    "choice_filter",
    "repeat_count",
    "trigger",
)


#: the spellings of select types pyxform accepts (pyxform.aliases.select), longest first
_SELECT_SPELLINGS = (
    ("add select multiple prompt using", "select_multiple"),
    ("add select one prompt using", "select_one"),
    ("select all that apply from", "select_multiple"),
    ("select multiple from file", "select_multiple_from_file"),
    ("select one from file", "select_one_from_file"),
    ("select all that apply", "select_multiple"),
    ("select one from", "select_one"),
    ("select_one_from_file", "select_one_from_file"),
    ("select_multiple_from_file", "select_multiple_from_file"),
    ("select_one_external", "select_one"),
    ("select multiple using", "select_multiple"),
    ("select multiple from", "select_multiple"),
    ("select one using", "select_one"),
    ("select one external", "select_one"),
    ("q select1", "select_one"),
    ("q select", "select_multiple"),
    ("select multiple", "select_multiple"),
    ("select_multiple", "select_multiple"),
    ("select one", "select_one"),
    ("select_one", "select_one"),
    ("select1", "select_one"),
    ("rank", "rank"),
)
_OTHER_SUFFIXES = ("or specify other", "or_other")


def _type_parts(raw_type: str) -> tuple[str, str, bool]:
    """``"select_multiple fruits or_other"`` -> ("select_multiple", "fruits", True); legacy
    spellings too: ``select one from LIST``, ``select all that apply from LIST or specify
    other``, ``trigger`` (an acknowledgement)."""
    text = " ".join(raw_type.split())
    if not text:
        return "", "", False
    lower = text.lower()
    if lower in _PHRASE_TYPES:
        return _PHRASE_TYPES[lower], "", False
    for spelling, base in _SELECT_SPELLINGS:
        if lower == spelling or lower.startswith(spelling + " "):
            rest = text[len(spelling) :].strip()
            or_other = False
            for suffix in _OTHER_SUFFIXES:
                if rest.lower().endswith(" " + suffix) or rest.lower() == suffix:
                    rest = rest[: -len(suffix)].strip()
                    or_other = True
            words = rest.split()
            return base, (words[0] if words else ""), or_other
    words = text.split()
    first = words[0]
    if len(words) >= 2 and f"{words[0]} {words[1]}".lower() in _TYPE_ALIASES:
        first = _TYPE_ALIASES[f"{words[0]} {words[1]}".lower()]
        words = [first, *words[2:]]
    base = _TYPE_ALIASES.get(first.lower(), first)
    tail = words[1:]
    or_other = bool(tail) and tail[-1] == "or_other"
    if or_other:
        tail = tail[:-1]
    return base, (tail[0] if tail else ""), or_other


class _Builder:
    def __init__(self, raw: RawForm) -> None:
        self.raw = raw
        self.problems: list[Problem] = list(raw.problems)
        self.items: list[Item] = []
        self.by_name: dict[str, Item] = {}
        self.rows: dict[int, RawRow] = {}
        self.sibling_names: dict[int, dict[str, Location]] = {}
        self.ambiguous: dict[str, Location] = {}
        self.data_files: dict[str, tuple[dict[str, str], ...]] = {}
        #: ``${name}`` in choice labels, checked once every question is known
        self.pending_choice_refs: list[tuple[str, Location]] = []

    def problem(
        self, code: Code, location: Location, severity: str = "error", **params: Any
    ) -> None:
        self.problems.append(Problem(str(code), location, params, severity))

    # -- stage 1: rows -> items ---------------------------------------------------------------

    def build_items(self) -> Item:
        root = Item(name="", type="group", location=Location(self.raw.source), path="")
        self.items.append(root)
        root.children = tuple(self._children(self.raw.survey, root, ()))
        return root

    def _children(self, rows: list[RawRow], parent: Item, repeats: tuple[Item, ...]) -> list[Item]:
        out: list[Item] = []
        for row in rows:
            item = self._item(row, parent, repeats)
            if item is not None:
                out.append(item)
                if item.or_other:  # pyxform adds the "specify other" text question itself
                    other = self._item(_specify_other(row, item.name), parent, repeats)
                    if other is not None:
                        out.append(other)
        return out

    def _item(self, row: RawRow, parent: Item, repeats: tuple[Item, ...]) -> Item | None:
        base, list_name, or_other = _type_parts(row.type)
        if not base:
            if row.name or any(row.cells.values()) or row.texts.get("label"):
                self.problem(Code.MISSING_TYPE, row.at("type"), name=row.name)
            return None
        kind = self._kind(row, base)
        if kind == "unsupported":
            list_name = ""
        name = self._name(row, kind, parent)
        cells = row.cells
        item = Item(
            name=name,
            type=kind,
            location=row.location,
            label=dict(row.texts.get("label", {})),
            hint=dict(row.texts.get("hint", {})),
            source_type=row.type.strip(),
            choice_list=list_name if kind in ("select_one", "select_multiple") else "",
            or_other=or_other,
            required_message=dict(row.texts.get("required_message", {})),
            constraint_message=dict(row.texts.get("constraint_message", {})),
            default=str(cells.get("default", "") or ""),
            appearance=str(cells.get("appearance", "") or "").strip(),
            parameters=_parameters(str(cells.get("parameters", "") or "")),
            parent=parent,
            repeats=repeats,
        )
        item.path = f"{parent.path}/{name}" if parent.path else name
        self.by_name.setdefault(name, item)
        self.items.append(item)
        self.rows[id(item)] = row
        if kind in ("select_one", "select_multiple") and not list_name:
            self.problem(Code.UNKNOWN_CHOICE_LIST, row.at("type"), list="", name=name)
        elif item.choice_list and item.choice_list not in self.raw.choices:
            self.problem(Code.UNKNOWN_CHOICE_LIST, row.at("type"), list=item.choice_list, name=name)
        self._conditions(item, row)
        if kind in ("group", "repeat"):
            inner = (*repeats, item) if kind == "repeat" else repeats
            item.children = tuple(self._children(row.children or [], item, inner))
        return item

    def _kind(self, row: RawRow, base: str) -> str:
        """The item type a row makes; a type Waymark does not run (or a note that is only a
        picture or a sound) is ``unsupported``, with a located warning."""
        kind = base
        if row.children is not None and base not in ("group", "repeat"):
            kind = "group"
        known = INPUT_TYPES | META_TYPES | {"calculate", "hidden", "group", "repeat"}
        if kind not in known and not _pyxform_knows(row.type, kind):
            self.problem(Code.UNKNOWN_TYPE, row.at("type"), type=row.type.strip())
            return "unsupported"
        if kind not in known:
            self.problem(
                Code.UNSUPPORTED_TYPE, row.at("type"), severity="warning", type=row.type.strip()
            )
            return "unsupported"
        if kind == "note" and not row.texts.get("label") and not row.texts.get("hint"):
            media = next((c for c in _MEDIA_COLUMNS if row.cells.get(c)), "")
            if media:
                self.problem(
                    Code.UNSUPPORTED_TYPE,
                    row.at(media),
                    severity="warning",
                    type=f"{row.type.strip()} ({media})",
                )
                return "unsupported"
        return kind

    def _name(self, row: RawRow, kind: str, parent: Item) -> str:
        """The row's name, checked: present (pyxform names an unnamed note itself), valid, and
        not used twice in the same group."""
        name = row.name.strip()
        if not name and kind == "note":
            name = f"generated_note_name_{row.location.row or len(self.items)}"
        elif not name:
            self.problem(Code.MISSING_NAME, row.at("name"), type=row.type.strip())
            name = f"_row{row.location.row or len(self.items)}"
        elif not _NAME_RE.match(name):
            self.problem(Code.INVALID_NAME, row.at("name"), name=name)
        siblings = self.sibling_names.setdefault(id(parent), {})
        if name in siblings:
            first = siblings[name]
            self.problem(
                Code.DUPLICATE_NAME,
                row.at("name"),
                name=name,
                first_row=first.row,
                first_sheet=first.sheet,
            )
            name = f"{name}#{row.location.row}"
        else:
            siblings[name] = row.location
        if name in self.by_name:
            self.ambiguous[name] = row.location
        return name

    def _conditions(self, item: Item, row: RawRow) -> None:
        """required, read_only and every expression column of the row, compiled."""
        cells = row.cells
        req = str(cells.get("required", "") or "").strip()
        if req.lower() in _TRUE:
            item.required = True
        elif req.lower() not in _FALSE:
            item.required_expr = self._expr(row, "required", req)
        ro = str(cells.get("read_only", "") or "").strip().lower()
        item.read_only = ro in _TRUE or item.type in ("note", "calculate", "hidden", "unsupported")
        for col in _EXPR_COLUMNS:
            text = str(cells.get(col, "") or "").strip()
            if text:
                setattr(item, col, self._expr(row, col, text))
        if item.type == "calculate" and item.calculation is None and not item.default:
            if not str(cells.get("calculation", "") or "").strip():
                self.problem(Code.MISSING_CALCULATION, row.at("calculation"), name=item.name)

    def _expr(self, row: RawRow, column: str, text: str) -> Expr | None:
        try:
            expr = parse(text)
        except ExpressionError as exc:
            self.problem(
                Code.EXPRESSION_SYNTAX,
                row.at(column),
                expression=text,
                position=exc.position,
                reason=exc.code,
                **{k: v for k, v in exc.params.items() if k not in ("expression", "position")},
            )
            return None
        if expr.typographic_quotes:
            self.problem(
                Code.TYPOGRAPHIC_QUOTES, row.at(column), severity="warning", expression=text
            )
        return expr

    # -- stage 2: references ------------------------------------------------------------------

    def check_references(self) -> None:
        for item in self.items[1:]:
            row = self.rows[id(item)]
            for col in (*_EXPR_COLUMNS, "required"):
                expr = item.required_expr if col == "required" else getattr(item, col)
                if expr is None:
                    continue
                for ref in sorted(expr.references):
                    if ref not in self.by_name:
                        self.problem(
                            Code.UNKNOWN_REFERENCE, row.at(col), name=ref, expression=expr.text
                        )
                    elif ref in self.ambiguous:
                        first = self.by_name[ref].location
                        self.problem(
                            Code.AMBIGUOUS_REFERENCE,
                            row.at(col),
                            name=ref,
                            expression=expr.text,
                            first_row=first.row,
                            first_sheet=first.sheet,
                            other_row=self.ambiguous[ref].row,
                        )
                if col != "choice_filter":
                    for bare in sorted(expr.columns):
                        if bare not in self.by_name:  # ODK reads it as an empty node-set
                            self.problem(
                                Code.BARE_NAME,
                                row.at(col),
                                severity="warning",
                                name=bare,
                                expression=expr.text,
                            )
                for list_name in sorted(expr.instances):
                    if list_name not in self.raw.choices:
                        self.problem(
                            Code.UNKNOWN_INSTANCE, row.at(col), list=list_name, expression=expr.text
                        )
                self._check_attachments(row, col, expr)
            self._check_text_references(item, row)

    def check_choice_references(self) -> None:
        for ref, where in self.pending_choice_refs:
            if ref not in self.by_name:
                loc = Location(where.file, where.sheet, where.row, "label")
                self.problem(Code.UNKNOWN_REFERENCE, loc, name=ref, expression=f"${{{ref}}}")

    def _check_text_references(self, item: Item, row: RawRow) -> None:
        """``${name}`` inside labels, hints and messages names a question, as in expressions."""
        for col in ("label", "hint", "required_message", "constraint_message"):
            texts: Mapping[str, str] = getattr(item, col)
            names = sorted(
                {m[1].strip() for t in texts.values() for m in TEXT_REFERENCE.finditer(t)}
            )
            for ref in names:
                if ref not in self.by_name:
                    self.problem(
                        Code.UNKNOWN_REFERENCE, row.at(col), name=ref, expression=f"${{{ref}}}"
                    )

    def _check_attachments(self, row: RawRow, col: str, expr: Expr) -> None:
        if "pulldata" not in expr.functions:
            return
        for node in walk(expr.tree):
            if isinstance(node, Call) and node.name == "pulldata" and node.args:
                first = node.args[0]
                if isinstance(first, Literal) and isinstance(first.value, str):
                    stem = first.value.strip()
                    if stem not in self.data_files:
                        self.problem(
                            Code.MISSING_ATTACHMENT,
                            row.at(col),
                            severity="warning",
                            file=f"{stem}.csv",
                        )

    def read_attachments(self) -> None:
        """CSV files beside the form, as rows of {column: text}, by name without ``.csv``."""
        for filename, blob in sorted(self.raw.attachments.items()):
            if not filename.lower().endswith(".csv"):
                continue
            try:
                text = blob.decode("utf-8-sig")
                rows = tuple(dict(r) for r in csv.DictReader(io.StringIO(text)))
            except (UnicodeDecodeError, csv.Error):
                self.problem(Code.UNREADABLE, Location(filename), severity="warning", reason="csv")
                continue
            self.data_files[filename.rsplit("/", 1)[-1][: -len(".csv")]] = rows

    # -- stage 3: choices ---------------------------------------------------------------------

    def build_choices(self) -> dict[str, tuple[Choice, ...]]:
        allow_dupes = str(self.raw.settings.get("allow_choice_duplicates", "")).lower() in _TRUE
        out: dict[str, tuple[Choice, ...]] = {}
        for list_name, rows in self.raw.choices.items():
            seen: set[str] = set()
            items: list[Choice] = []
            for rc in rows:
                if rc.name in seen and not allow_dupes and not rc.external:
                    self.problem(Code.DUPLICATE_CHOICE, rc.location, list=list_name, name=rc.name)
                seen.add(rc.name)
                for ref in sorted(
                    {m[1].strip() for t in rc.label.values() for m in TEXT_REFERENCE.finditer(t)}
                ):
                    self.pending_choice_refs.append((ref, rc.location))
                items.append(Choice(rc.name, rc.label, rc.columns))
            out[list_name] = tuple(items)
        return out

    # -- stage 4: dependency graph ------------------------------------------------------------

    def build_dependencies(self) -> Dependencies:
        """Node ``2i`` is item i's relevance, ``2i + 1`` its value; an edge runs from what is
        read to what reads it. Nodes on a cycle are reported and ordered last."""
        edges = self._dependency_edges()
        n = 2 * len(self.items)
        order = _topological_order(edges, n)
        if len(order) < n:
            left = _cycle_members(edges, set(range(n)) - set(order))
            self._cycle([self.items[i] for i in sorted({k // 2 for k in left})])
            order.extend(sorted(set(range(n)) - set(order)))
        rank = {k: r for r, k in enumerate(order)}
        dependents = {k: tuple(sorted(v, key=rank.__getitem__)) for k, v in edges.items()}
        return Dependencies(dependents=dependents, rank=rank, order=tuple(order))

    def _dependency_edges(self) -> dict[int, set[int]]:
        index = {id(it): i for i, it in enumerate(self.items)}
        edges: dict[int, set[int]] = defaultdict(set)

        def val(name: str) -> int | None:
            it = self.by_name.get(name)
            return None if it is None else 2 * index[id(it)] + 1

        for i, it in enumerate(self.items):
            rel, value = 2 * i, 2 * i + 1
            if it.parent is not None:
                edges[2 * index[id(it.parent)]].add(rel)
                if it.parent.type == "repeat":
                    edges[2 * index[id(it.parent)] + 1].add(rel)
            edges[rel].add(value)
            if it.relevant is not None:
                for r in it.relevant.references:
                    v = val(r)
                    if v is not None:
                        edges[v].add(rel)
            for expr in _value_sources(it):
                for r in expr.references:
                    v = val(r)
                    if v is not None and v != value:
                        edges[v].add(value)
                    elif v == value and it.calculation is not None and it.trigger is None:
                        self._cycle([it])
        return edges

    def _cycle(self, items: list[Item]) -> None:
        if not items:
            return
        names = [it.name for it in items if it.name]
        first = items[0]
        row = self.rows.get(id(first))
        col = "calculation" if first.calculation is not None else "relevant"
        loc = row.at(col) if row is not None else first.location
        self.problem(Code.CIRCULAR_DEPENDENCY, loc, names=names)

    # -- all together -------------------------------------------------------------------------

    def build(self) -> Questionnaire:
        raw = self.raw
        root = self.build_items()
        if len(self.items) == 1:
            self.problem(Code.EMPTY_SURVEY, Location(raw.source, "survey"))
        choices = self.build_choices()
        self.read_attachments()
        self.check_references()
        self.check_choice_references()
        deps = self.build_dependencies()
        for i, it in enumerate(self.items):
            it.order = i
        settings = raw.settings
        q = Questionnaire(
            form_id=str(settings.get("form_id") or _stem(raw.source)),
            version=str(settings.get("version") or ""),
            title_text=settings.get("title") or {},
            default_language=str(settings.get("default_language") or "")
            or (raw.languages.codes[0] if raw.languages.codes else ""),
            languages=list(raw.languages.codes),
            language_names=dict(raw.languages.names),
            statuses=dict(raw.languages.statuses),
            root=root,
            choices=choices,
            items=tuple(self.items),
            by_name=self.by_name,
            dependencies=deps,
            source=raw.source,
            data_files=self.data_files,
        )
        if raw.has_outcome:
            q.outcome = self._outcome(raw)
        errors = [p for p in self.problems if p.severity == "error"]
        q.warnings = tuple(p for p in self.problems if p.severity != "error")
        if errors:
            raise QuestionnaireError(self.problems)
        return q

    def _outcome(self, raw: RawForm) -> Any:
        try:
            outcome_module = importlib.import_module("app.engine.outcome")
        except ImportError:
            self.problem(Code.OUTCOME_UNAVAILABLE, raw.settings_location)
            return None
        compile_rules = getattr(outcome_module, "compile_rules", None)
        if compile_rules is None:
            self.problem(Code.OUTCOME_UNAVAILABLE, raw.settings_location)
            return None
        rules, problems = compile_rules(raw.outcome, raw.source, set(self.by_name))
        self.problems.extend(problems)
        return rules


def _pyxform_knows(raw_type: str, kind: str) -> bool:
    """A type ODK has (which Waymark shows as not available), as opposed to a typo."""
    words = " ".join(raw_type.split()).lower()
    return (
        kind in _KNOWN_UNSUPPORTED
        or kind.lower() in PYXFORM_TYPES
        or words in PYXFORM_TYPES
        or words.split(" ")[0] in PYXFORM_TYPES
    )


def _specify_other(row: RawRow, name: str) -> RawRow:
    """The text question pyxform writes after a ``select_one LIST or_other``: asked when
    "other" is chosen, named ``NAME_other``."""
    return RawRow(
        type="text",
        name=f"{name}_other",
        location=row.location,
        cells={
            "type": "text",
            "name": f"{name}_other",
            "relevant": f"selected(${{{name}}}, 'other')",
        },
        texts={"label": {"": "Specify other."}},
        columns={"type": row.columns.get("type", "type"), "relevant": "type"},
    )


def _parameters(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in text.replace(",", " ").split():
        k, sep, v = part.partition("=")
        if sep:
            out[k.strip()] = v.strip()
    return out


def _stem(source: str) -> str:
    base = source.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[0] if "." in base else base


def build(raw: RawForm) -> Questionnaire:
    """Validate and compile ``raw``; raises :class:`QuestionnaireError` listing every error."""
    return _Builder(raw).build()


def _value_sources(it: Item) -> list[Expr]:
    """The expressions an item's value is computed from (its trigger or calculation, and a
    repeat's count)."""
    sources: list[Expr] = []
    if it.trigger is not None:
        sources.append(it.trigger)
    elif it.calculation is not None:
        sources.append(it.calculation)
    if it.repeat_count is not None:
        sources.append(it.repeat_count)
    return sources


def _topological_order(edges: dict[int, set[int]], n: int) -> list[int]:
    """Kahn's order over nodes ``0..n-1``, the lowest ready node first (so it is stable);
    nodes on or behind a cycle are left out."""
    indeg = [0] * n
    for dsts in edges.values():
        for d in dsts:
            indeg[d] += 1
    ready = [k for k in range(n) if indeg[k] == 0]
    ready.reverse()
    order: list[int] = []
    while ready:
        k = ready.pop()
        order.append(k)
        for d in sorted(edges.get(k, ()), reverse=True):
            indeg[d] -= 1
            if indeg[d] == 0:
                ready.append(d)
    return order


def _cycle_members(edges: dict[int, set[int]], left: set[int]) -> set[int]:
    """Of the unordered nodes, the ones on a cycle (dropping those that only lead out of it)."""
    left = set(left)
    changed = True
    while changed:
        changed = False
        for k in list(left):
            if not (edges.get(k, set()) & left):
                left.discard(k)
                changed = True
    return left
