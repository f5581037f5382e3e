"""Pick the loader by file extension: .xlsx/.xls -> XLSForm, .yaml/.yml -> Waymark text."""

from __future__ import annotations

from app.engine._build import Code
from app.engine.errors import Location, Problem, QuestionnaireError
from app.engine.model import Questionnaire


def load_questionnaire(data: bytes, filename: str) -> Questionnaire:
    """Load a questionnaire from its bytes; raises :class:`QuestionnaireError` listing every
    problem, each located (file, sheet, row, column)."""
    lower = filename.lower()
    if lower.endswith((".xlsx", ".xls")):
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
