"""The engine's errors: codes and data, never words.

    QuestionnaireError        a questionnaire cannot be loaded; carries EVERY problem found
    ExpressionError           one expression cannot be parsed or evaluated (code, position)

Only the interface turns a ``Problem`` into a sentence, through the gettext catalogs, in the
person's language. Nothing here ever carries an answer a person gave.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Location:
    file: str = ""
    sheet: str = ""
    row: int | None = None
    column: str = ""

    def __str__(self) -> str:
        parts = [self.file or "?"]
        if self.sheet:
            parts.append(self.sheet)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(self.column)
        return ":".join(parts)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a questionnaire. ``code`` names a message template in the
    catalogs; ``params`` fills it; ``severity`` is ``error`` or ``warning``."""

    code: str
    location: Location
    params: dict[str, Any] = field(default_factory=dict)
    severity: str = "error"


class QuestionnaireError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s) in questionnaire")


class ExpressionError(Exception):
    def __init__(self, code: str, position: int = 0, **params: Any) -> None:
        self.code = code
        self.position = position
        self.params = params
        super().__init__(f"{code} at {position}")
