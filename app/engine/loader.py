"""Pick the loader by content: a workbook (zip or OLE2, whatever its name) -> XLSForm; then by
extension: .xlsx/.xls/.ods -> XLSForm, .yaml/.yml -> Waymark text."""

from __future__ import annotations

from app.engine._build import Code
from app.engine.errors import Location, Problem, QuestionnaireError
from app.engine.model import Questionnaire

#: the first bytes of a zip (.xlsx, .ods) and of an OLE2 compound file (.xls)
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


def load_questionnaire(data: bytes, filename: str) -> Questionnaire:
    """Load a questionnaire from its bytes; raises :class:`QuestionnaireError` listing every
    problem, each located (file, sheet, row, column)."""
    lower = filename.lower()
    if data.startswith(_WORKBOOK_MAGIC) or lower.endswith((".xlsx", ".xls", ".xlsm", ".ods")):
        from app.engine.xlsform import load_xlsform

        return load_xlsform(data, filename)
    if lower.endswith((".yaml", ".yml")):
        from app.engine.textformat import load_text

        return load_text(data, filename)
    raise QuestionnaireError(
        [
            Problem(
                str(Code.UNKNOWN_FORMAT),
                Location(filename),
                {"extension": lower.rsplit(".", 1)[-1]},
            )
        ]
    )
