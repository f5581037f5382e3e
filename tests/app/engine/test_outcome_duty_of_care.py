"""A flag marked ``duty_of_care`` carries the mark on the raised Flag and in Outcome.to_data();
a mark that is not true or false is a located problem."""

from __future__ import annotations

import pytest

from app.engine import QuestionnaireError, Session, load_questionnaire

FORM = """
form_id: f
version: "1"
default_language: en
languages: {{en: {{name: English, status: reviewed}}}}
survey:
  - {{type: text, name: a, label: {{en: A}}}}
  - {{type: text, name: b, label: {{en: B}}}}
outcome:
  flags:
    - {{id: urgent, label: {{en: U}}, when: "${{a}} = 'yes'", duty_of_care: {mark}}}
    - {{id: other, label: {{en: O}}, when: "${{b}} = 'yes'"}}
"""


def test_duty_of_care_travels_on_the_flag_and_in_the_data() -> None:
    q = load_questionnaire(FORM.format(mark="true").encode(), "f.yaml")
    s = Session(q)
    s.answer("a", "yes")
    s.answer("b", "yes")
    out = s.outcome()
    assert [f.id for f in out.duty_of_care] == ["urgent"]
    data = out.to_data()["flags"]
    assert [(f["id"], f["duty_of_care"]) for f in data] == [("urgent", True), ("other", False)]


def test_a_mark_that_is_not_true_or_false_is_a_problem() -> None:
    with pytest.raises(QuestionnaireError) as err:
        load_questionnaire(FORM.format(mark="'maybe'").encode(), "f.yaml")
    (problem,) = err.value.problems
    assert problem.code == "outcome_bad_flag_value"
    assert problem.location.column == "duty_of_care"
