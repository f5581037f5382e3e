"""The engine's errors: codes and data, never words.

    QuestionnaireError        a questionnaire cannot be loaded; carries EVERY problem found
    ExpressionError           one expression cannot be parsed or evaluated (code, position)
    SessionError              (in app.engine.session) a session cannot do what it was asked

All three are ``sync.errors.WaymarkError`` (a pure-Python module: the one error contract);
their codes are the StrEnums ``ExpressionCode`` and ``SessionCode`` below.

Only the interface turns a ``Problem`` into a sentence, through the gettext catalogs, in the
person's language. Nothing here ever carries an answer a person gave.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sync.errors import WaymarkError


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


class EngineCode(StrEnum):
    QUESTIONNAIRE_INVALID = "questionnaire_invalid"


class QuestionnaireError(WaymarkError):
    """The questionnaire cannot be loaded; ``problems`` lists every problem found, located."""

    codes = EngineCode
    code = EngineCode.QUESTIONNAIRE_INVALID

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(params={"problems": len(self.problems)})

    def _summary(self) -> str:
        return f"{len(self.problems)} problem(s) in questionnaire"


class ExpressionCode(StrEnum):
    """Why an expression cannot be read or evaluated."""

    EXPRESSION_ERROR = "expression_error"
    BAD_REFERENCE = "bad_reference"
    EMPTY_EXPRESSION = "empty_expression"
    INDEXED_REPEAT_TARGET = "indexed_repeat_target"
    NOT_TEXT = "not_text"
    UNEXPECTED_CHARACTER = "unexpected_character"
    UNEXPECTED_END = "unexpected_end"
    UNEXPECTED_TOKEN = "unexpected_token"  # noqa: S105 - a code, not a secret
    UNKNOWN_FUNCTION = "unknown_function"
    UNSUPPORTED_INSTANCE_PATH = "unsupported_instance_path"
    UNTERMINATED_REFERENCE = "unterminated_reference"
    UNTERMINATED_STRING = "unterminated_string"
    WRONG_ARITY = "wrong_arity"


class ExpressionError(WaymarkError):
    """``position`` (the location) is the character where reading stopped."""

    codes = ExpressionCode
    code = ExpressionCode.EXPRESSION_ERROR

    def __init__(self, code: str, position: int = 0, **params: Any) -> None:
        self.position = position
        super().__init__(code, params=params, location=position)


class SessionCode(StrEnum):
    """Why a session refused what it was asked (``app.engine.session.SessionError``)."""

    SESSION_ERROR = "session_error"
    BAD_SESSION_DATA = "bad_session_data"
    NO_INSTANCE = "no_instance"
    NOT_A_USER_REPEAT = "not_a_user_repeat"
    NOT_ON_ANY_SCREEN = "not_on_any_screen"
    OTHER_QUESTIONNAIRE = "other_questionnaire"
    TOO_MANY_INSTANCES = "too_many_instances"
    UNKNOWN_QUESTION = "unknown_question"
    WRONG_INSTANCE = "wrong_instance"
