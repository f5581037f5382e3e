"""Pick the loader by content: a workbook (zip or OLE2, whatever its name) -> XLSForm; then by
extension: .xlsx/.xls/.ods -> XLSForm, .yaml/.yml -> Waymark text."""

from __future__ import annotations

from collections.abc import Mapping

from app.engine._build import Code
from app.engine.errors import Location, Problem, QuestionnaireError
from app.engine.model import Questionnaire

#: the first bytes of a zip (.xlsx, .ods) and of an OLE2 compound file (.xls)
WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


def load_questionnaire(
    data: bytes, filename: str, attachments: Mapping[str, bytes] | None = None
) -> Questionnaire:
    """Load a questionnaire from its bytes; raises :class:`QuestionnaireError` listing every
    problem, each located (file, sheet, row, column). ``attachments`` are the files a form
    reads beside it, by name (``fruits.csv`` for ``pulldata('fruits', ...)``)."""
    lower = filename.lower()
    if data.startswith(WORKBOOK_MAGIC) or lower.endswith((".xlsx", ".xls", ".xlsm", ".ods")):
        from app.engine.xlsform import load_xlsform

        return load_xlsform(data, filename, attachments)
    if lower.endswith((".yaml", ".yml")):
        from app.engine.textformat import load_text

        return load_text(data, filename, attachments)
    raise QuestionnaireError(
        [
            Problem(
                str(Code.UNKNOWN_FORMAT),
                Location(filename),
                {"extension": lower.rsplit(".", 1)[-1]},
            )
        ]
    )
