"""The public XLSForm corpus (shared/conformance/forms/public): each form's verdict and every
problem's location are data (tests/data/engine/public_expected.json). A form that loads is
filled to the end in each of its languages, never showing a blank screen; a rejected form has
every problem located."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from app.engine import QuestionnaireError, Session, load_questionnaire
from tests.app.engine.filler import fill

EXPECTED_FILE = Path(__file__).resolve().parents[2] / "data" / "engine" / "public_expected.json"
EXPECTED: dict[str, dict[str, Any]] = json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))
LOADS = sorted(name for name, e in EXPECTED.items() if e["verdict"] == "loads")
CLOCK = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


def _public(shared_dir: Path) -> Path:
    return shared_dir / "conformance" / "forms" / "public"


def _problems(shared_dir: Path, name: str) -> tuple[str, list[Any]]:
    data = (_public(shared_dir) / name).read_bytes()
    try:
        q = load_questionnaire(data, name)
    except QuestionnaireError as exc:
        return "rejected", exc.problems
    return "loads", list(q.warnings)


def test_the_expectations_cover_the_whole_corpus(shared_dir: Path) -> None:
    forms = {p.name for p in _public(shared_dir).iterdir() if p.suffix in (".xls", ".xlsx")}
    assert forms == set(EXPECTED)
    sources = (_public(shared_dir) / "SOURCES.tsv").read_text(encoding="utf-8").splitlines()[1:]
    verdicts = {line.split("\t")[0]: line.split("\t")[3].strip() for line in sources}
    for name, e in EXPECTED.items():
        assert e["pyxform"] == ("accepts" if verdicts[name] == "ok" else "rejects"), name
        if (e["pyxform"] == "accepts") != (e["verdict"] == "loads"):
            assert e["why"], f"{name}: differs from pyxform without a reason"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_verdict_and_every_problem_located(shared_dir: Path, name: str) -> None:
    verdict, problems = _problems(shared_dir, name)
    expected = EXPECTED[name]
    assert verdict == expected["verdict"]
    found = [
        [p.severity, p.code, p.location.sheet, p.location.row, p.location.column] for p in problems
    ]
    assert found == expected["problems"]
    for p in problems:
        assert p.location.file == name
        assert p.location.sheet and p.location.row is not None, p
    if verdict == "rejected":
        assert any(p.severity == "error" for p in problems)


@pytest.mark.parametrize("name", LOADS)
def test_every_loading_form_fills_to_the_end_in_each_language(shared_dir: Path, name: str) -> None:
    q = load_questionnaire((_public(shared_dir) / name).read_bytes(), name)
    assert q.languages == EXPECTED[name]["languages"]
    for lang in q.languages:
        s = Session(q, language=lang, seed=2, clock=lambda: CLOCK)
        shown = _walk_screens(s)
        assert s.at_end and s.screen().kind == "end"
        assert s.open_errors() == []
        done, total = s.progress
        assert done == total == shown > 0


def _walk_screens(s: Session) -> int:
    """Fill the session, then go back to the start and count every screen going forward,
    checking that each one shows words (a label, a hint, or the unsupported note)."""
    fill(s)
    while not s.at_start:
        s.previous()
    count = 0
    while not s.at_end:
        screen = s.screen()
        if screen.kind == "questions":
            count += 1
            assert screen.prompts
            for p in screen.prompts:
                assert p.label() or p.hint() or p.unsupported, p.name
                assert "${" not in p.label(), p.name
        assert s.next() == []
    return count
