"""Real agencies' forms (shared/conformance): the household survey fills to the end in each of
its four languages; the master form is rejected with its duplicate name located."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.engine import QuestionnaireError, Session, load_questionnaire
from tests.app.engine.filler import fill


def _load(shared_dir: Path, name: str):
    path = shared_dir / "conformance" / "forms" / name
    return load_questionnaire(path.read_bytes(), path.name)


@pytest.fixture(scope="module")
def household(shared_dir: Path):
    return _load(shared_dir, "household_survey_americas.xlsx")


def test_household_survey_loads_with_warnings_only(household) -> None:
    assert household.languages == ["en", "es", "fr", "ar"]
    kinds = {w.code for w in household.warnings}
    assert kinds == {"unsupported_type", "typographic_quotes"}
    unsupported = {
        (w.location.row, w.params["type"])
        for w in household.warnings
        if w.code == "unsupported_type"
    }
    assert (14, "geopoint") in unsupported


@pytest.mark.parametrize("lang", ["en", "es", "fr", "ar"])
def test_household_survey_fills_to_the_end(household, lang: str) -> None:
    s = Session(
        household,
        language=lang,
        seed=2,
        clock=lambda: dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC),
    )
    script = fill(s, overrides={"HH01": 2, "Intro03": "1", "Intro04": "1"})
    assert s.at_end
    assert len(script) > 100
    done, total = s.progress
    assert done == total > 20
    values = s.values()
    assert values["group_Part1/S1[2]/S1_Household/HH02"]
    assert s.screen().kind == "end" and s.screen().prompts == ()
    s.jump("Intro03")
    label = next(p for p in s.screen().prompts if p.name == "Intro03").label()
    assert label == household.item("Intro03").label[lang]
    assert s.open_errors() == []


def test_household_switching_language_midway_keeps_answers(household) -> None:
    s = Session(household, language="ar", seed=2)
    s.answer("Intro03", "1")
    s.answer("Intro04", "1")
    s.answer("HH01", 2)
    before = s.values()
    for lang in ("en", "es", "fr", "ar"):
        s.language = lang
        assert s.values() == before


def test_master_form_is_rejected_with_its_duplicate_name_located(shared_dir: Path) -> None:
    with pytest.raises(QuestionnaireError) as info:
        _load(shared_dir, "XlsForm_master.xlsx")
    dupes = [p for p in info.value.problems if p.code == "duplicate_name"]
    located = {
        (p.location.file, p.location.sheet, p.location.row, p.location.column, p.params["name"])
        for p in dupes
    }
    assert ("XlsForm_master.xlsx", "survey", 29, "name", "warning") in located
    assert all(p.severity == "error" for p in dupes)
