"""Write small XLSForm workbooks in memory, from rows written inline in the tests."""

from __future__ import annotations

import io
from collections.abc import Sequence

Row = Sequence[object]


def xlsx(
    survey: list[Row], choices: list[Row] | None = None, settings: list[Row] | None = None
) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    for r in survey:
        ws.append(list(r))
    for title, rows in (("choices", choices), ("settings", settings)):
        if rows:
            sheet = wb.create_sheet(title)
            for r in rows:
                sheet.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xls(
    survey: list[Row], choices: list[Row] | None = None, settings: list[Row] | None = None
) -> bytes:
    import xlwt

    book = xlwt.Workbook()
    for title, rows in (("survey", survey), ("choices", choices), ("settings", settings)):
        if rows:
            sheet = book.add_sheet(title)
            for i, r in enumerate(rows):
                for j, v in enumerate(r):
                    sheet.write(i, j, v)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def synthetic_xlsx(n: int, survey: list[Row], choices: list[Row]) -> bytes:
    """synthetic_<n> from shared/anchors/gen_form.py's ``build(n)``, with the settings its own
    writer gives it; the ODK expectations (bench/odk/make_expected.py) and the differential
    test read the same bytes."""
    settings = [("form_id", "version", "default_language"), (f"synthetic_{n}", "1", "English (en)")]
    return xlsx(survey, choices, settings)
