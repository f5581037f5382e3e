"""``waymark questionnaire check [FILE...]`` and ``waymark questionnaire run FILE --answers``.

Files are read here (the engine takes bytes). ``check`` prints every problem of every file,
located and in the person's language, and exits 1 when any file has an error. ``run`` applies
an answer script and prints, as JSON, every question and calculation by name with its relevance
and value, every required or constraint check still open, every answer it could not apply with
its coded error in words, and the outcome: flags with the answers behind them, indicator counts
per dimension and the pathways in the questionnaire's (protection first) order. ``applied``
counts only the answers stored.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.engine import (
    Problem,
    Questionnaire,
    QuestionnaireError,
    Session,
    SessionError,
    load_questionnaire,
)
from app.engine.errors import Location
from app.i18n import N_, Translator
from app.resources import bundled_questionnaires

#: message templates for problem codes; parameters fill the braces
MESSAGES: dict[str, str] = {
    "unreadable_file": N_("The file cannot be read as a questionnaire ({reason})."),
    "unknown_format": N_(
        'Unknown questionnaire format "{extension}": use .xlsx, .xls, .yaml or .yml.'
    ),
    "missing_sheet": N_("The workbook has no survey sheet."),
    "missing_column": N_('The survey sheet has no "{column}" column.'),
    "missing_type": N_("This row has no type."),
    "missing_name": N_('A question of type "{type}" has no name.'),
    "invalid_name": N_(
        '"{name}" is not a valid name: use letters, digits, _ - and ., starting with a letter.'
    ),
    "duplicate_name": N_(
        'The name "{name}" is used twice in the same group (first at row {first_row}).'
    ),
    "ambiguous_reference": N_(
        '"{name}" names more than one question (rows {first_row} and {other_row}), '
        "so ${{{name}}} is ambiguous."
    ),
    "duplicate_choice": N_('The choice "{name}" appears twice in the list "{list}".'),
    "unknown_reference": N_("${{{name}}} does not name any question in this questionnaire."),
    "expression_syntax": N_(
        "The expression cannot be read at character {position} ({reason}): {expression}"
    ),
    "circular_dependency": N_("These depend on each other in a circle: {names}."),
    "unknown_choice_list": N_('The choice list "{list}" used by "{name}" does not exist.'),
    "unsupported_type": N_(
        'The question type "{type}" is not supported; the question is shown as a note '
        "and cannot be answered."
    ),
    "unmatched_end": N_('"{type}" closes a group or repeat that was never opened.'),
    "unclosed_group": N_('The group or repeat "{name}" is never closed.'),
    "typographic_quotes": N_(
        "Curly quotes are read as plain quotes here; other tools may reject them: {expression}"
    ),
    "outcome_unavailable": N_(
        "This questionnaire has outcome rules but this version of Waymark cannot read them."
    ),
    "invalid_value": N_('The value "{value}" is not allowed here.'),
    "empty_survey": N_("The questionnaire has no questions."),
    "unknown_type": N_('"{type}" is not a question type XLSForm knows; check its spelling.'),
    "duplicate_column": N_("This column heading appears twice on the sheet; keep only one."),
    "missing_choice_name": N_('A choice of the list "{list}" has no name.'),
    "missing_calculation": N_('The calculation "{name}" has nothing in its calculation column.'),
    "row_skipped": N_("This row has no type, name or label, so it is left out."),
    "bare_name": N_(
        '"{name}" is a bare name, not a question: it reads as empty, as in ODK. '
        "To read a question, write ${{{name}}}: {expression}"
    ),
    "missing_attachment": N_(
        'The form reads "{file}", which is not attached; the values it gives stay empty.'
    ),
    "unknown_instance": N_(
        "instance('{list}') names no choice list of this questionnaire: {expression}"
    ),
    # the outcome rules (app/engine/outcome.py); the location names outcome.flags and so on
    "outcome_not_a_mapping": N_(
        "The outcome rules, or this entry in them, must be key: value pairs."
    ),
    "outcome_not_a_list": N_('"{key}" in the outcome rules must be a list.'),
    "outcome_missing_key": N_('This entry of the outcome rules has no "{key}".'),
    "outcome_unknown_key": N_('"{key}" is not a key the outcome rules know.'),
    "outcome_bad_id": N_(
        '"{id}" is not a valid id: use lower-case letters, digits and _, starting with a letter.'
    ),
    "outcome_duplicate_id": N_('The id "{id}" is used twice in the same list.'),
    "outcome_bad_text": N_(
        '"{key}" is empty or has the wrong form: a label is language: text pairs, '
        "a when is an expression."
    ),
    "outcome_unknown_flag": N_("flag('{flag}') names no flag of the outcome rules."),
    "outcome_unknown_dimension": N_('"{dimension}" is not a dimension of the outcome rules.'),
    "outcome_bad_strength": N_('"{strength}" is not a strength: use one of {allowed}.'),
    "outcome_unknown_name": N_("${{{name}}} does not name any question in this questionnaire."),
    "outcome_bad_arguments": N_(
        "{function}() needs the right number of arguments, each written as quoted text."
    ),
    "outcome_expression": N_(
        "The expression cannot be read at character {position} ({error}): {expression}"
    ),
    "outcome_flag_cycle": N_("These flags depend on each other in a circle: {flags}."),
    "outcome_bad_flag_value": N_('"{key}" must be true or false.'),
}
GENERIC = N_('Problem "{code}" {details}')

#: why an answer of a script could not be stored (the session's value codes)
ANSWER_MESSAGES: dict[str, str] = {
    "unknown_question": N_("No question of this questionnaire has this name."),
    "invalid_integer": N_('"{value}" is not a whole number.'),
    "invalid_number": N_('"{value}" is not a number.'),
    "invalid_decimal": N_('"{value}" is not a number.'),
    "invalid_range": N_('"{value}" is not a number.'),
    "unknown_choice": N_('"{value}" is not one of the choices of this question.'),
    "invalid_date": N_('"{value}" is not a date that exists (write YYYY-MM-DD).'),
    "invalid_datetime": N_('"{value}" is not a date and time.'),
    "invalid_time": N_('"{value}" is not a time (write HH:MM).'),
    "read_only": N_("This is calculated or read only: it cannot be answered."),
}
ANSWER_GENERIC = N_('The value "{value}" cannot be stored here ({code}).')
#: codes of the checks that leave a stored answer open (the answer itself was stored)
OPEN_CHECKS = frozenset({"required", "constraint"})


def describe(problem: Problem, _: Translator) -> str:
    """One problem as a sentence in the person's language, led by its location."""
    template = MESSAGES.get(problem.code)
    params = {
        k: (", ".join(map(str, v)) if isinstance(v, list | tuple) else v)
        for k, v in problem.params.items()
    }
    try:
        text = _(template, **params) if template else None
    except (KeyError, IndexError):
        text = None
    if text is None:
        details = ", ".join(f"{k}={v}" for k, v in sorted(params.items()))
        text = _(GENERIC, code=problem.code, details=details)
    level = _("error") if problem.severity == "error" else _("warning")
    return f"{_location(problem.location, _)}: {level}: {text}"


def _location(loc: Location, _: Translator) -> str:
    parts = [loc.file or "?"]
    if loc.sheet:
        parts.append(_("sheet {sheet}", sheet=loc.sheet))
    if loc.row is not None:
        parts.append(_("row {row}", row=loc.row))
    if loc.column:
        parts.append(_("column {column}", column=loc.column))
    return ", ".join(parts)


#: the largest CSV beside a form read as its attachment (pulldata)
MAX_ATTACHMENT_BYTES = 20_000_000


def attachments_beside(path: Path) -> dict[str, bytes]:
    """The CSV files in the form's folder, by name: what ``pulldata('name', ...)`` reads."""
    out: dict[str, bytes] = {}
    try:
        for csv_path in sorted(path.parent.glob("*.csv")):
            if csv_path.is_file() and csv_path.stat().st_size <= MAX_ATTACHMENT_BYTES:
                out[csv_path.name] = csv_path.read_bytes()
    except OSError:
        pass  # an unreadable folder only means no attachment; the form reports what it misses
    return out


def _check(args: argparse.Namespace, _: Translator) -> int:
    failed = False
    names = args.files or [str(p) for p in bundled_questionnaires()]
    for name in names:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError:
            print(_("{file}: cannot be opened.", file=name), file=sys.stderr)
            failed = True
            continue
        try:
            q = load_questionnaire(data, path.name, attachments_beside(path))
        except QuestionnaireError as exc:
            failed = True
            errors = sum(1 for p in exc.problems if p.severity == "error")
            for p in exc.problems:
                print(describe(p, _))
            print(_("{file}: rejected, {n} error(s).", file=name, n=errors))
            continue
        for p in q.warnings:
            print(describe(p, _))
        print(
            _(
                "{file}: loads ({n} questions, languages: {languages}).",
                file=name,
                n=sum(1 for it in q.items if it.name and not it.is_container),
                languages=", ".join(q.languages),
            )
        )
    return 1 if failed else 0


def _run(args: argparse.Namespace, _: Translator) -> int:
    """``questionnaire run``: apply an answer script, print the session's report as JSON.
    Each step below returns its result, or the exit status after saying what is wrong."""
    q = _load_one(Path(args.file), args.file, _)
    if isinstance(q, int):
        return q
    script = _read_script(args.answers, _)
    if isinstance(script, int):
        return script
    code = args.form_language or q.default_language
    if code not in q.languages:
        print(
            _(
                "{language}: not a language of this questionnaire ({languages}).",
                language=code,
                languages=", ".join(q.languages),
            ),
            file=sys.stderr,
        )
        return 2
    session = Session(q, language=code)
    counts = _apply_script(session, script, _)
    report = {
        "form_id": q.form_id,
        "version": q.version,
        "language": code,
        **counts,
        **session.report(),
        "outcome": _outcome(session, q, code),
    }
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


def _load_one(path: Path, shown: str, _: Translator) -> Questionnaire | int:
    try:
        return load_questionnaire(path.read_bytes(), path.name, attachments_beside(path))
    except OSError:
        print(_("{file}: cannot be opened.", file=shown), file=sys.stderr)
        return 2
    except QuestionnaireError as exc:
        for p in exc.problems:
            print(describe(p, _), file=sys.stderr)
        return 1


def _read_script(answers: str, _: Translator) -> list[dict[str, Any]] | int:
    try:
        script: Any = json.loads(Path(answers).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        print(_("{file}: not a readable answer script.", file=answers), file=sys.stderr)
        return 2
    if not isinstance(script, list) or not all(isinstance(e, dict) and "name" in e for e in script):
        print(
            _('{file}: an answer script is a list of {{"name", "value"}}.', file=answers),
            file=sys.stderr,
        )
        return 2
    return script


def _apply_script(session: Session, script: list[dict[str, Any]], _: Translator) -> dict[str, Any]:
    """Each answer in turn: how many were applied and skipped (not relevant), the names the
    questionnaire does not have, and every answer a check kept out, with why."""
    applied = skipped = 0
    unknown: list[str] = []
    not_applied: list[dict[str, Any]] = []
    for entry in script:
        name, value = str(entry["name"]), entry.get("value")
        try:
            relevant = session.apply(name, value)
        except SessionError as exc:
            unknown.append(name)
            not_applied.append(_not_applied(name, value, exc.code, _))
            continue
        if not relevant:
            skipped += 1
            continue
        refused = _refused(session, name, value)
        if refused is None:
            applied += 1
        else:
            not_applied.append(_not_applied(name, value, refused, _))
    return {
        "applied": applied,
        "skipped": skipped,
        "unknown": unknown,
        "not_applied": not_applied,
    }


def _refused(session: Session, name: str, value: Any) -> str | None:
    """The code of the value check that kept ``value`` out of ``name``, or None when stored.
    Answering again with the same value changes nothing when it was stored."""
    for error in session.answer(name, value):
        code = str(getattr(error, "code", ""))
        if code not in OPEN_CHECKS:
            return code
    return None


def _not_applied(name: str, value: Any, code: str, _: Translator) -> dict[str, Any]:
    shown = " ".join(map(str, value)) if isinstance(value, list) else str(value)
    template = ANSWER_MESSAGES.get(code)
    message = _(template, value=shown) if template else _(ANSWER_GENERIC, value=shown, code=code)
    return {"name": name, "value": value, "code": code, "message": message}


def _outcome(session: Session, q: Any, lang: str) -> dict[str, Any]:
    """Flags with the answers behind them, indicator counts, pathways in order."""
    out = session.outcome()
    rules = getattr(q, "outcome", None)
    dims = {d.id: d.label_in(lang) for d in rules.dimensions} if rules is not None else {}
    return {
        "flags": [
            {
                "id": f.id,
                "label": f.label_in(lang),
                "dimension": f.dimension,
                "strength": f.strength,
                "duty_of_care": bool(getattr(f, "duty_of_care", False)),
                "because": list(f.because),
            }
            for f in out.flags
        ],
        "indicators": {
            d: {"label": dims.get(d, d), **{k: int(v) for k, v in counts.items()}}
            for d, counts in (out.indicators or {}).items()
        },
        "pathways": [
            {"id": p.id, "label": p.label_in(lang), "because": list(p.because)}
            for p in out.pathways
        ],
    }


def register(subparsers: Any, _: Translator) -> None:
    parser = subparsers.add_parser("questionnaire", help=_("check and try out questionnaires"))
    sub = parser.add_subparsers(dest="questionnaire_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help=_("list every problem in questionnaire files"))
    check.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help=_("questionnaire files (default: the questionnaires Waymark ships)"),
    )
    check.set_defaults(func=_check)
    run = sub.add_parser("run", help=_("apply an answer script and print the result as JSON"))
    run.add_argument("file", metavar="FILE")
    run.add_argument("--answers", required=True, metavar="SCRIPT.json")
    run.add_argument(
        "--language",
        dest="form_language",
        metavar="CODE",
        help=_("language of the questionnaire's texts"),
    )
    run.set_defaults(func=_run)
