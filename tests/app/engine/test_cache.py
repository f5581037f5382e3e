"""The compiled cache gives the same questionnaire as loading the source, or a clear problem."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from app.engine import QuestionnaireError, Session, from_cache, load_questionnaire, to_cache
from tests.app.engine.filler import fill

ROOT = Path(__file__).resolve().parents[3]


def test_household_from_cache_behaves_as_from_source(shared_dir: Path) -> None:
    path = shared_dir / "conformance" / "forms" / "household_survey_americas.xlsx"
    data = path.read_bytes()
    source = load_questionnaire(data, path.name)
    cached = from_cache(to_cache(data, path.name))
    assert [i.path for i in cached.items] == [i.path for i in source.items]
    assert cached.warnings == source.warnings and cached.languages == source.languages

    def clock() -> dt.datetime:
        return dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)

    a = Session(source, language="ar", seed=4, clock=clock)
    b = Session(cached, language="ar", seed=4, clock=clock)
    script = fill(a, overrides={"HH01": 2, "Intro03": "1", "Intro04": "1"})
    for e in script:
        b.apply(e["name"], e["value"])
    assert b.report() == a.report()


def test_yaml_with_outcome_from_cache() -> None:
    path = ROOT / "questionnaires" / "skeleton.yaml"
    q = from_cache(to_cache(path.read_bytes(), path.name))
    assert q.language_status("ar") == "draft" and q.form_id == "waymark_skeleton"


def test_a_cache_of_another_format_is_refused() -> None:
    path = ROOT / "questionnaires" / "skeleton.yaml"
    doc = json.loads(to_cache(path.read_bytes(), path.name))
    doc["format"] = 999
    with pytest.raises(QuestionnaireError) as info:
        from_cache(json.dumps(doc).encode())
    assert info.value.problems[0].code == "stale_cache"
    with pytest.raises(QuestionnaireError):
        from_cache(b"\xff\x00")


def test_a_bad_questionnaire_has_no_cache() -> None:
    with pytest.raises(QuestionnaireError):
        to_cache(b"survey:\n  - {type: text, name: a, relevant: '${b}'}\n", "bad.yaml")
