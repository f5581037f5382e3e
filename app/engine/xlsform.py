"""XLSForm workbooks (.xlsx through openpyxl, .xls through xlrd) -> :class:`RawForm`.

Rows keep their spreadsheet row numbers so every problem points at a cell. ``begin_group``/
``end_group`` and ``begin_repeat``/``end_repeat`` rows are nested here; the builder does the
rest, exactly as for the text format.
"""

from __future__ import annotations

import io
from typing import Any

from app.engine._build import Code, build
from app.engine._raw import TRANSLATABLE, RawChoice, RawForm, RawRow, language_code, split_header
from app.engine.errors import Location, Problem, QuestionnaireError
from app.engine.model import Questionnaire

Sheet = list[tuple[int, list[Any]]]


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _read_xlsx(data: bytes) -> dict[str, Sheet]:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        out: dict[str, Sheet] = {}
        for ws in wb.worksheets:
            rows: Sheet = []
            for i, r in enumerate(ws.iter_rows(values_only=True), start=1):
                vals = [_cell(v) for v in r]
                if any(vals):
                    rows.append((i, vals))
            out[ws.title] = rows
        return out
    finally:
        wb.close()


def _read_xls(data: bytes) -> dict[str, Sheet]:
    import xlrd

    book = xlrd.open_workbook(file_contents=data)
    out: dict[str, Sheet] = {}
    for sh in book.sheets():
        rows: Sheet = []
        for i in range(sh.nrows):
            vals = [_cell(v) for v in sh.row_values(i)]
            if any(vals):
                rows.append((i + 1, vals))
        out[sh.name] = rows
    return out


def _sheet(sheets: dict[str, Sheet], name: str) -> tuple[str, Sheet] | None:
    for k, v in sheets.items():
        if k.strip().lower() == name:
            return k, v
    return None


def read_workbook(data: bytes, filename: str) -> RawForm:
    """Read the survey, choices and settings sheets into a :class:`RawForm`."""
    problems: list[Problem] = []
    try:
        sheets = _read_xls(data) if filename.lower().endswith(".xls") else _read_xlsx(data)
    except Exception as exc:  # any reader failure is one located problem, never a crash
        raise QuestionnaireError(
            [Problem(str(Code.UNREADABLE), Location(filename), {"reason": type(exc).__name__})]
        ) from None
    langs: list[str] = []
    names: dict[str, str] = {}

    def note_lang(code: str | None, name: str) -> None:
        if code is not None and code not in langs:
            langs.append(code)
            names[code] = name

    settings: dict[str, Any] = {}
    settings_loc = Location(filename, "settings")
    found = _sheet(sheets, "settings")
    if found and len(found[1]) >= 2:
        sheet_name, rows = found
        hdr = [h.strip() for h in rows[0][1]]
        vals = rows[1][1]
        settings_loc = Location(filename, sheet_name, rows[1][0])
        for h, v in zip(hdr, vals, strict=False):
            if h:
                key, code, _lname = split_header(h)
                if key in ("form_title", "title") and v:
                    settings.setdefault("title", {})[code or ""] = v
                elif v:
                    settings[key] = v
    default_lang = ""
    if settings.get("default_language"):
        default_lang, dname = language_code(str(settings["default_language"]))
        note_lang(default_lang, dname)
    settings["default_language"] = default_lang

    found = _sheet(sheets, "survey")
    survey: list[RawRow] = []
    if found is None or not found[1]:
        problems.append(Problem(str(Code.MISSING_SHEET), Location(filename, "survey")))
    else:
        sheet_name, rows = found
        header = rows[0][1]
        fields = [split_header(h) if h else ("", None, "") for h in header]
        for f, code, lname in fields:
            if f in TRANSLATABLE:
                note_lang(code, lname)
        if not any(f == "type" for f, _, _ in fields):
            problems.append(
                Problem(
                    str(Code.MISSING_COLUMN),
                    Location(filename, sheet_name, rows[0][0]),
                    {"column": "type"},
                )
            )
        if not any(f == "name" for f, _, _ in fields):
            problems.append(
                Problem(
                    str(Code.MISSING_COLUMN),
                    Location(filename, sheet_name, rows[0][0]),
                    {"column": "name"},
                )
            )
        survey = _nest(filename, sheet_name, rows[1:], header, fields, problems)

    choices: dict[str, list[RawChoice]] = {}
    found = _sheet(sheets, "choices")
    if found is not None and found[1]:
        sheet_name, rows = found
        header = rows[0][1]
        fields = [split_header(h) if h else ("", None, "") for h in header]
        for f, code, lname in fields:
            if f == "label":
                note_lang(code, lname)
        for rownum, vals in rows[1:]:
            cells: dict[str, str] = {}
            label: dict[str, str] = {}
            for (f, code, _), h, v in zip(fields, header, vals, strict=False):
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
            choices.setdefault(list_name, []).append(
                RawChoice(list_name, name, label, cells, Location(filename, sheet_name, rownum))
            )
    if not langs:
        langs = [default_lang or "und"]
    if "" in langs:
        langs.remove("")
    statuses = {code: "reviewed" for code in langs}
    return RawForm(
        source=filename,
        survey=survey,
        choices=choices,
        settings=settings,
        languages=langs,
        language_names=names,
        statuses=statuses,
        problems=problems,
        settings_location=settings_loc,
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
        if kind in ("begin group", "begin repeat"):
            row.children = []
            assert target is not None
            target.append(row)
            stack.append((row, kind.split()[1]))
        elif kind in ("end group", "end repeat"):
            want = kind.split()[1]
            if not stack or stack[-1][1] != want:
                problems.append(
                    Problem(str(Code.UNMATCHED_END), row.at("type"), {"type": row.type})
                )
                continue
            stack.pop()
        else:
            if not row.type and not row.name and not any(row.cells.values()) and not row.texts:
                continue
            assert target is not None
            target.append(row)
    for open_row, _kind in stack:
        problems.append(
            Problem(str(Code.UNCLOSED_GROUP), open_row.at("type"), {"name": open_row.name})
        )
    return top


def load_xlsform(data: bytes, filename: str) -> Questionnaire:
    return build(read_workbook(data, filename))
