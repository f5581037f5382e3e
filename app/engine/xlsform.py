"""XLSForm workbooks (.xlsx, .xls, .ods, read by content through calamine) -> :class:`RawForm`.

Rows keep their spreadsheet row numbers so every problem points at a cell. ``begin_group``/
``end_group`` and ``begin_repeat``/``end_repeat`` rows are nested here; the builder does the
rest, exactly as for the text format.
"""

from __future__ import annotations

import datetime as _dt
import io
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from app.engine._build import Code, build
from app.engine._raw import (
    TRANSLATABLE,
    Languages,
    RawChoice,
    RawForm,
    RawRow,
    language_code,
    split_header,
)
from app.engine.errors import Location, Problem, QuestionnaireError
from app.engine.model import Questionnaire

Sheet = list[tuple[int, list[Any]]]


#: runs of empty rows and columns after which a sheet is taken to have ended, as pyxform does
#: (a workbook may declare a million rows; only the ones before such a run are read)
MAX_EMPTY_ROWS = 60
MAX_EMPTY_COLUMNS = 20


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, _dt.datetime) and v.time() == _dt.time():
        return v.date().isoformat()  # a date cell (Excel keeps dates as midnight)
    if isinstance(v, (_dt.date, _dt.time)):
        return v.isoformat()
    return str(v).strip()


def _header_width(first: list[str]) -> int:
    """How many columns the header row spans, stopping after a run of empty headers."""
    width = empty = 0
    for i, h in enumerate(first):
        if h:
            width, empty = i + 1, 0
        else:
            empty += 1
            if empty > MAX_EMPTY_COLUMNS:
                break
    return width


def _rows(raw_rows: Iterable[list[str]]) -> Sheet:
    """Non-empty rows with their 1-based numbers, cut to the header's width; stops after a
    run of empty rows."""
    rows: Sheet = []
    width: int | None = None
    empty = 0
    for i, vals in enumerate(raw_rows, start=1):
        if width is None:
            if not any(vals):
                empty += 1
                if empty > MAX_EMPTY_ROWS:
                    break
                continue
            width = _header_width(vals)
        vals = vals[:width]
        if any(vals):
            rows.append((i, vals))
            empty = 0
        else:
            empty += 1
            if empty > MAX_EMPTY_ROWS:
                break
    return rows


def _read_sheets(data: bytes) -> dict[str, Sheet]:
    """Every sheet's rows. The format (.xlsx, .xls, .ods) is read from the content, never the
    name: an old .xls saved under an .xlsx name is still read."""
    import python_calamine

    with warnings.catch_warnings():  # a reader's own notes never reach the person's output
        warnings.simplefilter("ignore")
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        out: dict[str, Sheet] = {}
        for name in book.sheet_names:
            grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            out[name] = _rows([_cell(v) for v in row] for row in grid)
        return out


def _sheet(sheets: dict[str, Sheet], name: str) -> tuple[str, Sheet] | None:
    for k, v in sheets.items():
        if k.strip().lower() == name:
            return k, v
    return None


def read_workbook(data: bytes, filename: str) -> RawForm:
    """Read the survey, choices and settings sheets into a :class:`RawForm`."""
    from python_calamine import CalamineError

    problems: list[Problem] = []
    try:
        sheets = _read_sheets(data)
    except (CalamineError, ValueError, TypeError, OverflowError) as exc:
        # the reader's own failure (not a workbook, truncated, encrypted, broken XML) or a cell
        # it cannot convert: one located problem naming the failure's type, never a crash
        raise QuestionnaireError(
            [Problem(str(Code.UNREADABLE), Location(filename), {"reason": type(exc).__name__})]
        ) from None
    langs = Languages()
    note_lang = langs.note
    settings, settings_loc = _read_settings(filename, sheets)
    default_lang = ""
    if settings.get("default_language"):
        default_lang, dname = language_code(str(settings["default_language"]))
        note_lang(default_lang, dname)
    settings["default_language"] = default_lang

    choices: dict[str, list[RawChoice]] = {}
    for sheet_key, external in (("choices", False), ("external_choices", True)):
        found = _sheet(sheets, sheet_key)
        if found is not None and found[1]:
            _read_choices(filename, found, external, choices, problems, note_lang)

    survey = _read_survey(filename, sheets, choices, problems, note_lang)

    if not langs.codes:
        langs.codes.append(default_lang or "und")
    if "" in langs.codes:
        langs.codes.remove("")
    langs.statuses = dict.fromkeys(langs.codes, "reviewed")  # a workbook has no review status
    return RawForm(
        filename, survey, choices, settings, langs, problems, settings_location=settings_loc
    )


Fields = list[tuple[str, str | None, str]]


def _read_settings(filename: str, sheets: dict[str, Sheet]) -> tuple[dict[str, Any], Location]:
    """The settings sheet's first row of values, by header (titles per language)."""
    settings: dict[str, Any] = {}
    found = _sheet(sheets, "settings")
    if not found or len(found[1]) < 2:
        return settings, Location(filename, "settings")
    sheet_name, rows = found
    for h, v in zip([h.strip() for h in rows[0][1]], rows[1][1], strict=False):
        if h and v:
            key, code, _lname = split_header(h)
            if key in ("form_title", "title"):
                settings.setdefault("title", {})[code or ""] = v
            else:
                settings[key] = v
    return settings, Location(filename, sheet_name, rows[1][0])


def _read_survey(
    filename: str,
    sheets: dict[str, Sheet],
    choices: dict[str, list[RawChoice]],
    problems: list[Problem],
    note_lang: Callable[[str | None, str], None],
) -> list[RawRow]:
    found = _sheet(sheets, "survey")
    if found is None or not found[1]:
        problems.append(Problem(str(Code.MISSING_SHEET), Location(filename, "survey")))
        return []
    sheet_name, rows = found
    header, fields = _header(filename, sheet_name, rows[0], problems)
    for f, code, lname in fields:
        if f in TRANSLATABLE:
            note_lang(code, lname)
    for column in ("type", "name"):
        if not any(f == column for f, _, _ in fields):
            problems.append(
                Problem(
                    str(Code.MISSING_COLUMN),
                    Location(filename, sheet_name, rows[0][0]),
                    {"column": column},
                )
            )
    survey = _nest(filename, sheet_name, rows[1:], header, fields, problems)
    return _expand_loops(survey, choices, problems)


def _header(
    filename: str, sheet: str, first: tuple[int, list[str]], problems: list[Problem]
) -> tuple[list[str], Fields]:
    """A sheet's column headers and what each means; a header written twice is a problem
    (which of the two columns would count is anyone's guess)."""
    rownum, header = first
    seen: set[str] = set()
    for h in header:
        text = " ".join(h.split())
        if text and text in seen:
            problems.append(
                Problem(str(Code.DUPLICATE_COLUMN), Location(filename, sheet, rownum, text))
            )
        seen.add(text)
    single = not any("::" in h for h in header)
    fields = [split_header(h, single) if h else ("", None, "") for h in header]
    return header, fields


def _read_choices(
    filename: str,
    found: tuple[str, Sheet],
    external: bool,
    choices: dict[str, list[RawChoice]],
    problems: list[Problem],
    note_lang: Callable[[str | None, str], None],
) -> None:
    sheet_name, rows = found
    header, fields = _header(filename, sheet_name, rows[0], problems)
    for f, code, lname in fields:
        if f == "label":
            note_lang(code, lname)
    for rownum, vals in rows[1:]:
        cells: dict[str, str] = {}
        label: dict[str, str] = {}
        name_column = "name"
        for (f, code, _), h, v in zip(fields, header, vals, strict=False):
            if f == "name":
                name_column = h.strip()
            if not f or not v:
                continue
            if f == "label":
                label[code or ""] = v
            elif code is None:
                cells[f] = v
                cells.setdefault(h.strip(), v)
        list_name = cells.get("list_name", "")
        if not list_name:
            continue
        name = cells.get("name", "")
        where = Location(filename, sheet_name, rownum)
        if not name:
            problems.append(
                Problem(
                    str(Code.MISSING_CHOICE_NAME),
                    Location(filename, sheet_name, rownum, name_column),
                    {"list": list_name},
                )
            )
            continue
        choices.setdefault(list_name, []).append(
            RawChoice(list_name, name, label, cells, where, external=external)
        )


def _expand_loops(
    rows: list[RawRow], choices: dict[str, list[RawChoice]], problems: list[Problem]
) -> list[RawRow]:
    """``begin loop over LIST``: a group holding one group per choice of LIST, each with a copy
    of the loop's questions, ``%(label)s`` in their texts replaced by the choice's label (as
    pyxform writes it)."""
    out: list[RawRow] = []
    for row in rows:
        if row.children is not None:
            row.children = _expand_loops(row.children, choices, problems)
        words = row.type.split()
        if len(words) >= 4 and [w.lower() for w in words[:3]] == ["begin", "loop", "over"]:
            list_name = words[3]
            if list_name not in choices:
                problems.append(
                    Problem(
                        str(Code.UNKNOWN_CHOICE_LIST),
                        row.at("type"),
                        {"list": list_name, "name": row.name},
                    )
                )
            groups = []
            for choice in choices.get(list_name, []):
                copies = [_substitute(c, choice.label) for c in row.children or []]
                groups.append(
                    RawRow(
                        type="begin group",
                        name=choice.name,
                        location=row.location,
                        cells={"type": "begin group", "name": choice.name},
                        texts={"label": dict(choice.label)} if choice.label else {},
                        columns=dict(row.columns),
                        children=copies,
                    )
                )
            row.type = "begin group"
            row.cells["type"] = "begin group"
            row.children = groups
        out.append(row)
    return out


def _substitute(row: RawRow, label: dict[str, str]) -> RawRow:
    def fill(text: str, lang: str) -> str:
        return text.replace(
            "%(label)s", label.get(lang) or label.get("") or next(iter(label.values()), "")
        )

    return RawRow(
        type=row.type,
        name=row.name,
        location=row.location,
        cells=dict(row.cells),
        texts={k: {lang: fill(t, lang) for lang, t in v.items()} for k, v in row.texts.items()},
        columns=dict(row.columns),
        children=None if row.children is None else [_substitute(c, label) for c in row.children],
    )


def _nest(
    filename: str,
    sheet: str,
    rows: Sheet,
    header: list[str],
    fields: list[tuple[str, str | None, str]],
    problems: list[Problem],
) -> list[RawRow]:
    top: list[RawRow] = []
    stack: list[tuple[RawRow, str]] = []
    for rownum, vals in rows:
        row = RawRow(type="", name="", location=Location(filename, sheet, rownum))
        for (f, code, _), h, v in zip(fields, header, vals, strict=False):
            if not f:
                continue
            if f in TRANSLATABLE:
                if v:
                    row.texts.setdefault(f, {})[code or ""] = v
                    row.columns.setdefault(f, h.strip())
            elif code is None or f not in row.cells:
                if v and f not in row.cells:
                    row.cells[f] = v
                row.columns.setdefault(f, h.strip())
        row.type = row.cells.get("type", "")
        row.name = row.cells.get("name", "")
        kind = " ".join(row.type.lower().replace("_", " ").split()[:2])
        target = stack[-1][0].children if stack else top
        if kind in ("begin group", "begin repeat", "begin loop"):
            row.children = []
            assert target is not None
            target.append(row)
            stack.append((row, kind.split()[1]))
        elif kind in ("end group", "end repeat", "end loop"):
            want = kind.split()[1]
            if not stack or stack[-1][1] != want:
                problems.append(
                    Problem(str(Code.UNMATCHED_END), row.at("type"), {"type": row.type})
                )
                continue
            stack.pop()
        else:
            if not row.type and not row.name and not row.texts.get("label"):
                if any(row.cells.values()) or row.texts:
                    # only a designer's note or a required cell: skipped, as pyxform does
                    problems.append(
                        Problem(str(Code.ROW_SKIPPED), row.location, severity="warning")
                    )
                continue
            assert target is not None
            target.append(row)
    for open_row, _kind in stack:
        problems.append(
            Problem(str(Code.UNCLOSED_GROUP), open_row.at("type"), {"name": open_row.name})
        )
    return top


def load_xlsform(
    data: bytes, filename: str, attachments: Mapping[str, bytes] | None = None
) -> Questionnaire:
    raw = read_workbook(data, filename)
    raw.attachments = dict(attachments or {})
    return build(raw)
