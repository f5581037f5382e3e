"""Every problem the engine can report has words in `waymark questionnaire check`.

The codes are collected from the engine's source (every ``Problem(...)`` and every
``.problem(...)`` helper call, and every member of its code enums), so a new code added
without a message fails here rather than reaching a form designer as a bare code."""

from __future__ import annotations

import ast
import importlib
from enum import Enum
from pathlib import Path

from app.cli.questionnaire import GENERIC, MESSAGES, describe
from app.engine import QuestionnaireError, load_questionnaire
from app.i18n import translator
from sync.errors import WaymarkError

ENGINE = Path(__file__).resolve().parents[3] / "app" / "engine"


def _code_of(node: ast.expr, module: object) -> str | None:
    """The code a call's first argument names, or None when it is computed at run time."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str":
        return _code_of(node.args[0], module) if node.args else None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        enum = getattr(module, node.value.id, None)
        if isinstance(enum, type) and issubclass(enum, Enum):
            return str(getattr(enum, node.attr))
    return None


def _error_code_enums() -> set[type]:
    """The enums of exception codes (``WaymarkError.codes``): not questionnaire problems."""
    found: set[type] = set()
    todo: list[type[WaymarkError]] = [WaymarkError]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.codes is not None:
            found.add(cls.codes)
    return found


def engine_problem_codes() -> set[str]:
    codes: set[str] = set()
    modules = [importlib.import_module(f"app.engine.{p.stem}") for p in sorted(ENGINE.glob("*.py"))]
    error_codes = _error_code_enums()
    for path, module in zip(sorted(ENGINE.glob("*.py")), modules, strict=True):
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Enum)
                and value.__name__.endswith("Code")
                and value not in error_codes
            ):
                codes.update(str(member) for member in value)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            named = (isinstance(func, ast.Name) and func.id == "Problem") or (
                isinstance(func, ast.Attribute) and func.attr == "problem"
            )
            if not named:
                continue
            arg = node.args[0] if node.args else None
            arg = next((k.value for k in node.keywords if k.arg == "code"), arg)
            code = _code_of(arg, module) if arg is not None else None
            if code is not None:
                codes.add(code)
    return codes


def test_every_problem_code_the_engine_raises_has_a_message() -> None:
    codes = engine_problem_codes()
    # the scan finds the loaders' and the outcome rules' codes
    assert {"duplicate_name", "outcome_flag_cycle", "unknown_format"} <= codes
    assert sorted(codes - set(MESSAGES)) == []


BROKEN_OUTCOME = """
form_id: f
version: "1"
default_language: en
languages: {en: {name: English, status: reviewed}}
survey:
  - {type: text, name: age, label: {en: Age}}
outcome:
  extra: 1
  dimensions:
    - {id: d1, label: {en: D}}
    - {id: d1, label: {en: D again}}
    - {label: {en: no id}}
    - not a mapping
  flags:
    - {id: Bad-Id, label: {en: x}, when: "true()"}
    - {id: a, label: "just text", when: "flag('b')", colour: red}
    - {id: b, label: {en: b}, when: "flag('a')"}
    - {id: c, label: {en: c}, when: "${nobody} = 1"}
    - {id: e, label: {en: e}, when: "flag('nothing')"}
    - {id: f, label: {en: f}, when: "1 +"}
    - {id: g, label: {en: g}, when: "true()", indicator: {dimension: d9, strength: huge}}
    - {id: h, label: {en: h}, when: "indicators('tiny', 'd9') > flag(${age})"}
    - {id: i, label: {en: i}}
    - {id: j, label: {en: j}, when: "true()", duty_of_care: "sometimes"}
  pathways: "not a list"
"""


def test_outcome_problems_read_as_sentences_in_every_language() -> None:
    try:
        load_questionnaire(BROKEN_OUTCOME.encode(), "broken.yaml")
    except QuestionnaireError as exc:
        problems = exc.problems
    else:  # pragma: no cover - the questionnaire above must be rejected
        raise AssertionError("a broken outcome block was accepted")
    codes = {p.code for p in problems}
    assert {c for c in MESSAGES if c.startswith("outcome_") and c != "outcome_unavailable"} <= codes
    generic = GENERIC.split("{", 1)[0]
    for lang in ("en", "fr", "ar"):
        _ = translator(lang)
        for p in problems:
            line = describe(p, _)
            assert generic not in line, line  # no bare code, every parameter filled
            assert "{" not in line.replace("${", ""), line
