"""Waymark's pure questionnaire engine: load a questionnaire, run sessions over it.

No I/O here: loaders take bytes and a file name. See docs/CONTRACTS.md for the public API.
"""

from __future__ import annotations

from app.engine.cache import from_cache, to_cache
from app.engine.errors import ExpressionError, Location, Problem, QuestionnaireError
from app.engine.loader import load_questionnaire
from app.engine.model import Choice, Item, Questionnaire
from app.engine.session import (
    ChoiceView,
    FieldError,
    Prompt,
    Screen,
    Session,
    SessionError,
    apply_script,
)

try:  # the outcome module is written alongside; the engine works without it
    from app.engine.outcome import Flag, Outcome, Pathway
except ImportError:  # pragma: no cover - only while outcome.py does not exist yet
    Flag = Outcome = Pathway = None  # type: ignore[assignment,misc]

__all__ = [
    "Choice",
    "ChoiceView",
    "ExpressionError",
    "FieldError",
    "Flag",
    "Item",
    "Location",
    "Outcome",
    "Pathway",
    "Problem",
    "Prompt",
    "Questionnaire",
    "QuestionnaireError",
    "Screen",
    "Session",
    "SessionError",
    "apply_script",
    "from_cache",
    "load_questionnaire",
    "to_cache",
]
