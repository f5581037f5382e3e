"""Waymark's YAML text format: loads into the same model; problems point at lines; outcome
rules pass through the seam to app.engine.outcome."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.engine import QuestionnaireError, Session, load_questionnaire
from tests.app.engine.conftest import yaml_form

ROOT = Path(__file__).resolve().parents[3]

WITH_OUTCOME = """
form_id: outcome_demo
version: "1"
title: {en: "Demo"}
default_language: en
languages:
  en: {name: English, status: reviewed}
  ar: {name: "العربية", status: draft}
choices:
  yn:
    - {name: "yes", label: {en: "Yes", ar: "نعم"}}
    - {name: "no", label: {en: "No", ar: "لا"}}
survey:
  - type: group
    name: about
    label: {en: "About you"}
    appearance: field-list
    children:
      - {type: select_one yn, name: papers_held, label: {en: "Papers held by someone else?"}}
      - {type: select_one yn, name: hurt, label: {en: "Hurt?"}}
outcome:
  dimensions:
    - {id: coercion, label: {en: "Coercion"}}
  flags:
    - id: papers
      label: {en: "Papers held"}
      when: "${papers_held} = 'yes'"
      indicator: {dimension: coercion, strength: strong}
  pathways:
    - id: protection
      label: {en: "Protection"}
      when: "flag('papers')"
"""


def test_the_skeleton_questionnaire_loads_and_checks_clean() -> None:
    """(Every questionnaire in questionnaires/ is checked by the content tests; the engine
    owns the skeleton.)"""
    path = ROOT / "questionnaires" / "skeleton.yaml"
    q = load_questionnaire(path.read_bytes(), path.name)
    assert q.form_id == "waymark_skeleton" and q.warnings == ()


def test_skeleton_has_eight_languages_non_english_draft(skeleton) -> None:
    assert skeleton.languages == ["en", "fr", "ar", "fa", "ps", "ur", "ti", "so"]
    assert skeleton.language_status("en") == "reviewed"
    assert {skeleton.language_status(c) for c in skeleton.languages[1:]} == {"draft"}
    for it in skeleton.items[1:]:
        assert set(it.label) == set(skeleton.languages), it.name


def test_nested_group_and_outcome_through_the_seam() -> None:
    q = yaml_form(WITH_OUTCOME)
    assert q.item("papers_held").path == "about/papers_held"
    assert q.outcome is not None
    s = Session(q, language="ar")
    screen = s.screen()
    assert [p.name for p in screen.prompts] == ["papers_held", "hurt"]
    assert screen.prompts[0].choices[0].label() == "نعم"
    assert s.outcome().pathway_ids == []
    s.answer("papers_held", "yes")
    out = s.outcome()
    assert out.flag_ids == ["papers"] and out.pathway_ids == ["protection"]
    assert s.values() == {"about/papers_held": "yes"}


def test_outcome_problems_join_the_report() -> None:
    text = WITH_OUTCOME.replace("${papers_held} = 'yes'", "${nobody} = 'yes'")
    with pytest.raises(QuestionnaireError) as info:
        yaml_form(text)
    assert any("nobody" in str(p.params) for p in info.value.problems)


def test_outcome_without_the_outcome_module_is_a_problem(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "app.engine.outcome", None)
    with pytest.raises(QuestionnaireError) as info:
        yaml_form(WITH_OUTCOME)
    assert [p.code for p in info.value.problems] == ["outcome_unavailable"]


def test_yaml_problems_point_at_lines() -> None:
    text = """
form_id: broken
languages: {en: {name: English, status: reviewed}}
survey:
  - {type: text, name: a, label: {en: "A"}}
  - {type: text, name: b, relevant: "${zz} = 1", label: {en: "B"}}
  - {type: select_one nolist, name: c, label: {en: "C"}}
"""
    with pytest.raises(QuestionnaireError) as info:
        yaml_form(text, "broken.yaml")
    got = {
        (p.code, p.location.file, p.location.row, p.location.column) for p in info.value.problems
    }
    assert got == {
        ("unknown_reference", "broken.yaml", 6, "relevant"),
        ("unknown_choice_list", "broken.yaml", 7, "type"),
    }


def test_bad_yaml_is_one_located_problem() -> None:
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(b"survey: [\n  {type: text", "x.yaml")
    assert info.value.problems[0].code == "unreadable_file"


@pytest.mark.parametrize(
    ("replace", "where"),
    [
        ("languages:\n  en: {name: English, status: reviewed}", "languages: English"),
        ('choices:\n  yn:\n    - {name: "yes", label: {en: "Yes"}}', "choices: [yes, no]"),
        ('choices:\n  yn:\n    - {name: "yes", label: {en: "Yes"}}', "choices:\n  yn: true"),
        ("survey:\n  - {type: text, name: a, label: {en: A}}", "survey: 1.5"),
        (
            "survey:\n  - {type: text, name: a, label: {en: A}}",
            "survey:\n  - {type: group, name: g, children: 7}",
        ),
    ],
)
def test_a_wrong_shape_is_a_located_problem_not_a_crash(replace: str, where: str) -> None:
    text = (
        'form_id: f\nversion: "1"\ndefault_language: en\n'
        "languages:\n  en: {name: English, status: reviewed}\n"
        'choices:\n  yn:\n    - {name: "yes", label: {en: "Yes"}}\n'
        "survey:\n  - {type: text, name: a, label: {en: A}}\n"
    )
    assert replace in text
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(text.replace(replace, where).encode(), "shape.yaml")
    assert "invalid_value" in {p.code for p in info.value.problems}
