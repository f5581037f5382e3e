"""Waymark's pure questionnaire engine: load a questionnaire, run sessions over it.

No I/O here: loaders take bytes and a file name. docs/CONTRACTS.md is the public API; the
details it leaves open are settled here:

- ``Screen.kind`` is ``questions``, ``repeat_offer`` (``Screen.repeat`` may get another
  instance: ``add_repeat(name)``, or ``next()`` to go on) or ``end``.
- ``Prompt.label(lang=None)`` and ``Prompt.hint(lang=None)`` are methods (the session's language
  by default); ``Prompt.choices`` are ``ChoiceView`` with ``.name`` and ``.label(lang=None)``;
  ``Prompt.errors`` and what ``answer``/``next`` return are ``FieldError(code, name, instance,
  message, params)``: code ``required``, ``constraint``, ``out_of_range``, ``unknown_choice``,
  ``invalid_<type>`` or ``read_only``; ``message`` is the questionnaire's own text, if any.
- ``values()`` paths name repeat instances 1-based: ``household/member[2]/age``. Values are
  typed: int (integer), float (decimal, range), list (select_multiple), str otherwise.
- ``answer(name, value, instance=None)``; ``apply(name, value)`` answers the next occurrence as
  a person going forward would (answer scripts); ``report()`` is what ``questionnaire run``
  prints; ``finish()`` stamps the ``end`` metadata; ``remove_repeat(name, instance)``.
- Problems: ``QuestionnaireError.problems`` are errors and warnings; a loaded questionnaire
  keeps its warnings in ``Questionnaire.warnings`` (unsupported types, which stay in the
  form as notes that cannot be answered, and typographic quotes read as quotes).
- ``load_questionnaire(data, filename, attachments=None)`` reads a workbook by its content;
  ``attachments`` are the CSV files ``pulldata`` reads. ``Prompt.unsupported`` marks a part
  Waymark does not run (the interface says it is not available); ``Prompt.label()`` and
  ``hint()`` fill ``${name}`` with the answers as they are. ``Session(..., device_id=,
  username=)`` fill the ``deviceid`` and ``username`` metadata.
"""

from __future__ import annotations

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
    "load_questionnaire",
]
