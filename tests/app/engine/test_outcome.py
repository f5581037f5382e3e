"""Outcome rules: compile_rules reports every problem at once; evaluate raises every flag and
every applicable pathway, in listed order, and never reads a skip as "no"."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.engine import QuestionnaireError, Session
from app.engine.outcome import (
    Flag,
    Outcome,
    OutcomeCode,
    OutcomeRules,
    Pathway,
    compile_rules,
)
from tests.app.engine.conftest import yaml_form

NAMES = {"a", "b", "c"}


def rules(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "dimensions": [
            {"id": "recruitment", "label": {"en": "Recruitment"}},
            {"id": "destination", "label": {"en": "At destination"}},
        ],
        "flags": [
            {
                "id": "fa",
                "label": {"en": "A"},
                "when": "${a} = 'yes'",
                "indicator": {"dimension": "recruitment", "strength": "strong"},
            },
            {
                "id": "fb",
                "label": {"en": "B"},
                "when": "${b} = 'yes'",
                "indicator": {"dimension": "destination", "strength": "medium"},
            },
        ],
        "pathways": [
            {
                "id": "refer",
                "label": {"en": "Refer"},
                "description": {"en": "Why"},
                "when": "indicators('strong') >= 1 or indicators('medium') >= 2",
            },
        ],
    }
    raw.update(overrides)
    return raw


def codes(problems: list[Any]) -> list[str]:
    return [p.code for p in problems]


# --- compile_rules: success -------------------------------------------------------------------


def test_valid_rules_compile_with_no_problems() -> None:
    compiled, problems = compile_rules(rules(), "f.yaml", NAMES)
    assert problems == []
    assert isinstance(compiled, OutcomeRules)
    assert compiled.flag_ids == ["fa", "fb"]
    assert compiled.pathway_ids == ["refer"]
    dim = compiled.dimension("destination")
    assert dim is not None and dim.label_in("fr") == "At destination"
    assert compiled.dimension("nowhere") is None


# --- compile_rules: every problem at once -----------------------------------------------------


def test_every_problem_is_reported_at_once_with_its_location() -> None:
    raw = rules(
        flags=[
            {
                "id": "fa",
                "label": {"en": "A"},
                "when": "${a} = 'yes' and flag('nope')",
                "indicator": {"dimension": "elsewhere", "strength": "huge"},
            },
            {"id": "fb", "label": {"en": "B"}, "when": "${ghost} = 'yes'"},
        ],
        pathways=[
            {"id": "p1", "label": {"en": "P"}, "when": "indicators('tiny') >= 1"},
            {"id": "p2", "label": {"en": "P"}, "when": "indicators('weak', 'moon') > 0"},
            {"id": "p3", "label": {"en": "P"}, "when": "${a} = = 'yes'"},
        ],
    )
    compiled, problems = compile_rules(raw, "f.yaml", NAMES)
    assert compiled is None
    found = {(p.code, p.location.sheet, p.location.row) for p in problems}
    assert found == {
        (OutcomeCode.UNKNOWN_FLAG, "outcome.flags", 1),
        (OutcomeCode.UNKNOWN_DIMENSION, "outcome.flags", 1),
        (OutcomeCode.BAD_STRENGTH, "outcome.flags", 1),
        (OutcomeCode.UNKNOWN_NAME, "outcome.flags", 2),
        (OutcomeCode.BAD_STRENGTH, "outcome.pathways", 1),
        (OutcomeCode.UNKNOWN_DIMENSION, "outcome.pathways", 2),
        (OutcomeCode.EXPRESSION, "outcome.pathways", 3),
    }
    assert all(p.location.file == "f.yaml" for p in problems)
    by_code = {p.code: p for p in problems}
    assert by_code[OutcomeCode.UNKNOWN_FLAG].params == {"flag": "nope"}
    assert by_code[OutcomeCode.UNKNOWN_NAME].params == {"name": "ghost"}
    strength = [p for p in problems if p.code == OutcomeCode.BAD_STRENGTH]
    assert {p.params["strength"] for p in strength} == {"huge", "tiny"}
    assert strength[0].params["allowed"] == ["strong", "medium", "weak"]


def test_expression_syntax_error_carries_its_position() -> None:
    text = "${a} = 'yes' and (${b} = 'yes'"
    raw = rules(flags=[{"id": "fa", "label": {"en": "A"}, "when": text}], pathways=[])
    _, problems = compile_rules(raw, "f.yaml", NAMES)
    assert codes(problems) == [OutcomeCode.EXPRESSION]
    params = problems[0].params
    assert params["expression"] == text
    assert isinstance(params["position"], int) and 0 < params["position"] <= len(text)
    assert params["error"]
    assert problems[0].location.column == "when"


def test_structural_problems_missing_duplicate_bad_ids_and_unknown_keys() -> None:
    raw = {
        "dimensions": "not a list",
        "flags": [
            {"id": "dup", "label": {"en": "A"}, "when": "${a} = 'yes'"},
            {"id": "dup", "label": {"en": "B"}, "when": "${b} = 'yes'"},
            {"id": "Bad-Id", "label": {"en": "C"}, "when": "${c} = 'yes'"},
            {"label": {"en": "no id"}, "when": "true()"},
            {"id": "nolabel", "when": "${a} = 'no'", "colour": "red"},
            {"id": "nowhen", "label": {"en": "D"}},
            {"id": "badlabel", "label": "just a string", "when": "${a} = 'no'"},
            "not a mapping",
        ],
        "pathways": [],
        "extra": 1,
    }
    compiled, problems = compile_rules(raw, "f.yaml", NAMES)
    assert compiled is None
    got = sorted((p.code, p.location.row or 0, p.location.column) for p in problems)
    assert got == sorted(
        [
            (OutcomeCode.UNKNOWN_KEY, 0, "extra"),
            (OutcomeCode.NOT_A_LIST, 0, ""),
            (OutcomeCode.DUPLICATE_ID, 2, "id"),
            (OutcomeCode.BAD_ID, 3, "id"),
            (OutcomeCode.MISSING_KEY, 4, "id"),
            (OutcomeCode.MISSING_KEY, 5, "label"),
            (OutcomeCode.UNKNOWN_KEY, 5, "colour"),
            (OutcomeCode.MISSING_KEY, 6, "when"),
            (OutcomeCode.BAD_TEXT, 7, "label"),
            (OutcomeCode.NOT_A_MAPPING, 8, ""),
        ]
    )


def test_not_a_mapping_at_all() -> None:
    compiled, problems = compile_rules(["flags"], "f.yaml", NAMES)  # type: ignore[arg-type]
    assert compiled is None
    assert codes(problems) == [OutcomeCode.NOT_A_MAPPING]


def test_non_literal_flag_argument_is_reported() -> None:
    raw = rules(pathways=[{"id": "p", "label": {"en": "P"}, "when": "flag(${a})"}])
    _, problems = compile_rules(raw, "f.yaml", NAMES)
    assert codes(problems) == [OutcomeCode.BAD_ARGUMENTS]
    assert problems[0].params == {"function": "flag"}


def test_flag_cycle_is_reported_with_the_cycle() -> None:
    raw = rules(
        flags=[
            {"id": "x", "label": {"en": "X"}, "when": "flag('y')"},
            {"id": "y", "label": {"en": "Y"}, "when": "flag('z') and ${a} = 'yes'"},
            {"id": "z", "label": {"en": "Z"}, "when": "flag('x')"},
            {"id": "ok", "label": {"en": "OK"}, "when": "flag('x')"},
        ],
        pathways=[],
    )
    compiled, problems = compile_rules(raw, "f.yaml", NAMES)
    assert compiled is None
    assert codes(problems) == [OutcomeCode.FLAG_CYCLE]
    cycle = problems[0].params["flags"]
    assert cycle[0] == cycle[-1] and set(cycle) == {"x", "y", "z"}


def test_an_indicator_counting_its_own_strength_is_a_cycle() -> None:
    raw = rules(
        flags=[
            {
                "id": "s",
                "label": {"en": "S"},
                "when": "indicators('strong') >= 1",
                "indicator": {"dimension": "recruitment", "strength": "strong"},
            },
        ],
        pathways=[],
    )
    _, problems = compile_rules(raw, "f.yaml", NAMES)
    assert codes(problems) == [OutcomeCode.FLAG_CYCLE]


def test_problems_reach_the_loader_as_a_questionnaire_error() -> None:
    with pytest.raises(QuestionnaireError) as err:
        yaml_form("""
            form_id: t
            version: "1"
            survey:
              - {type: text, name: a, label: {en: A}}
            outcome:
              flags:
                - {id: f, label: {en: F}, when: "flag('missing')"}
        """)
    assert OutcomeCode.UNKNOWN_FLAG in codes(err.value.problems)


# --- evaluate over a real session ------------------------------------------------------------

FORM = """
    form_id: outcome_test
    version: "1"
    choices:
      yn:
        - {name: "yes", label: {en: "Yes"}}
        - {name: "no", label: {en: "No"}}
        - {name: "prefer_not", label: {en: "Prefer not to say"}}
        - {name: "dont_know", label: {en: "Don't know"}}
    survey:
      - {type: select_one yn, name: a, label: {en: A}}
      - {type: select_one yn, name: b, label: {en: B}}
      - {type: select_one yn, name: c, label: {en: C}}
      - {type: select_one yn, name: consent, label: {en: Consent}}
    outcome:
      dimensions:
        - {id: recruitment, label: {en: Recruitment, fr: Recrutement}}
        - {id: destination, label: {en: At destination}}
      flags:
        # listed before the flags it reads: evaluation order comes from the dependencies
        - id: both
          label: {en: Both}
          when: "flag('fa') and flag('fb')"
        - id: fa
          label: {en: A, fr: "A (fr)"}
          when: "${a} = 'yes'"
          indicator: {dimension: recruitment, strength: strong}
        - id: fb
          label: {en: B}
          when: "${b} = 'yes'"
          indicator: {dimension: destination, strength: medium}
        - id: fc
          label: {en: C}
          when: "${c} = 'yes'"
          indicator: {dimension: destination, strength: medium}
        - id: said_no_to_a
          label: {en: Said no to A}
          when: "${a} = 'no'"
      pathways:
        - id: urgent
          label: {en: Urgent}
          description: {en: Now}
          when: "flag('both')"
        - id: refer
          label: {en: Refer}
          when: "indicators('strong') >= 1 or indicators('medium') >= 2"
        - id: destination_only
          label: {en: Destination}
          when: "indicators('medium', 'destination') >= 1"
        - id: with_consent
          label: {en: With consent}
          when: "flag('fa') and ${consent} = 'yes'"
"""


@pytest.fixture(scope="module")
def form() -> Any:
    return yaml_form(FORM)


def run(form: Any, **answers: str) -> Outcome:
    s = Session(form)
    for name, value in answers.items():
        s.answer(name, value)
    out = s.outcome()
    assert isinstance(out, Outcome)
    return out


def test_nothing_answered_raises_nothing(form: Any) -> None:
    out = run(form)
    assert out.flags == () and out.pathways == ()
    assert out.indicators == {
        "recruitment": {"strong": 0, "medium": 0, "weak": 0},
        "destination": {"strong": 0, "medium": 0, "weak": 0},
    }


def test_skips_never_count_as_no(form: Any) -> None:
    for skip in ("prefer_not", "dont_know"):
        out = run(form, a=skip, b=skip, c=skip)
        assert out.flag_ids == [], skip
    assert run(form, a="no").flag_ids == ["said_no_to_a"]


def test_all_flags_and_pathways_together_in_listed_order(form: Any) -> None:
    out = run(form, a="yes", b="yes", c="yes", consent="yes")
    assert out.flag_ids == ["both", "fa", "fb", "fc"]
    assert out.pathway_ids == ["urgent", "refer", "destination_only", "with_consent"]
    assert out.indicators["recruitment"] == {"strong": 1, "medium": 0, "weak": 0}
    assert out.indicators["destination"] == {"strong": 0, "medium": 2, "weak": 0}
    refer = next(p for p in out.pathways if p.id == "refer")
    assert refer.because == ("fa", "fb", "fc")
    both = out.flag("both")
    assert both is not None and set(both.because) == {"a", "b"}
    assert out.flag("fa") == Flag(
        "fa", {"en": "A", "fr": "A (fr)"}, "recruitment", "strong", ("a",)
    )


def test_threshold_two_medium_or_one_strong(form: Any) -> None:
    assert "refer" not in run(form, b="yes").pathway_ids
    assert "refer" in run(form, b="yes", c="yes").pathway_ids
    assert "refer" in run(form, a="yes").pathway_ids


def test_consent_gates_a_pathway_but_not_the_flag(form: Any) -> None:
    for consent in ("no", "prefer_not", None):
        answers = {"a": "yes"} | ({"consent": consent} if consent else {})
        out = run(form, **answers)
        assert "fa" in out.flag_ids
        assert "with_consent" not in out.pathway_ids


def test_to_data_is_plain_json_as_the_contract_says(form: Any) -> None:
    out = run(form, a="yes", consent="yes")
    data = out.to_data()
    assert json.loads(json.dumps(data)) == data
    assert data == {
        "flags": [
            {
                "id": "fa",
                "dimension": "recruitment",
                "strength": "strong",
                "because": ["a"],
                "duty_of_care": False,
            }
        ],
        "pathways": [{"id": "refer", "because": ["fa"]}, {"id": "with_consent", "because": ["fa"]}],
        "indicators": {
            "recruitment": {"strong": 1, "medium": 0, "weak": 0},
            "destination": {"strong": 0, "medium": 0, "weak": 0},
        },
    }


def test_labels_per_language_fall_back_to_english(form: Any) -> None:
    out = run(form, a="yes", b="yes")
    fa = out.flag("fa")
    assert fa is not None
    assert fa.label_in("fr") == "A (fr)" and fa.label_in("ar") == "A"
    urgent = out.pathways[0]
    assert isinstance(urgent, Pathway)
    assert urgent.label_in("so") == "Urgent" and urgent.description_in("en") == "Now"


def test_empty_outcome() -> None:
    empty = Outcome.empty()
    assert empty.to_data() == {"flags": [], "pathways": [], "indicators": {}}
    assert empty.flag("x") is None


def test_because_names_only_the_alternatives_that_hold(form: Any) -> None:
    either = yaml_form("""
        form_id: either
        version: "1"
        choices:
          yn:
            - {name: "yes", label: {en: "Yes"}}
            - {name: "no", label: {en: "No"}}
        survey:
          - {type: select_one yn, name: a, label: {en: A}}
          - {type: select_one yn, name: b, label: {en: B}}
        outcome:
          flags:
            - {id: fa, label: {en: A}, when: "${a} = 'yes'"}
            - {id: fb, label: {en: B}, when: "${b} = 'yes'"}
            - {id: any, label: {en: Any}, when: "${a} = 'yes' or (${b} = 'yes' or ${a} = 'no')"}
          pathways:
            - {id: p, label: {en: P}, when: "flag('fa') or flag('fb')"}
    """)
    s = Session(either)
    s.answer("a", "no")
    s.answer("b", "yes")
    out = s.outcome()
    flag = out.flag("any")
    assert flag is not None and set(flag.because) == {"a", "b"}  # the bracket holds as a whole
    assert out.pathways[0].because == ("fb",)  # fa is not raised, and its alternative failed
    s.answer("b", "no")
    s.answer("a", "yes")
    out = s.outcome()
    flag = out.flag("any")
    assert flag is not None and flag.because == ("a",)
    assert out.pathways[0].because == ("fa",)


# --- rules read as the engine reads them (its syntax tree, not a second tokenizer) -------------


def test_typographic_quotes_in_flag_calls_are_accepted_as_the_engine_accepts_them() -> None:
    raw = rules(
        pathways=[
            {"id": "urgent", "label": {"en": "U"}, "when": "flag(\u2018fa\u2019)"},
            {"id": "both", "label": {"en": "B"}, "when": "flag(\u201cfa\u201d) and flag('fb')"},
        ]
    )
    compiled, problems = compile_rules(raw, "f.yaml", NAMES)
    assert problems == []
    assert compiled is not None
    s = Session(
        yaml_form("""
        form_id: t
        version: "1"
        survey:
          - {type: text, name: a, label: {en: A}}
          - {type: text, name: b, label: {en: B}}
          - {type: text, name: c, label: {en: C}}
        """)
    )
    s.answer("a", "yes")
    out = compiled.evaluate(s)
    assert out.pathway_ids == ["urgent"]
    assert out.pathways[0].because == ("fa",)


def test_a_computed_flag_argument_is_bad_arguments_even_inside_strings_and_groups() -> None:
    raw = rules(
        pathways=[
            {"id": "p1", "label": {"en": "P"}, "when": "flag(concat('f', 'a'))"},
            {"id": "p2", "label": {"en": "P"}, "when": "${a} = 'flag(x)' and (indicators(1) > 0)"},
        ]
    )
    _, problems = compile_rules(raw, "f.yaml", NAMES)
    found = [(p.code, p.location.sheet, p.location.row, p.params.get("function")) for p in problems]
    assert found == [
        (OutcomeCode.BAD_ARGUMENTS, "outcome.pathways", 1, "flag"),
        (OutcomeCode.BAD_ARGUMENTS, "outcome.pathways", 2, "indicators"),
    ]


def test_only_the_holding_or_alternatives_explain_a_pathway() -> None:
    raw = rules(
        pathways=[
            {
                "id": "p",
                "label": {"en": "P"},
                "when": "(flag('fa') and ${c} = 'x') or flag('fb') or (flag('fa') or ${c} = 'y')",
            }
        ]
    )
    compiled, problems = compile_rules(raw, "f.yaml", NAMES)
    assert problems == [] and compiled is not None
    s = Session(
        yaml_form("""
        form_id: t
        version: "1"
        survey:
          - {type: text, name: a, label: {en: A}}
          - {type: text, name: b, label: {en: B}}
          - {type: text, name: c, label: {en: C}}
        """)
    )
    s.answer("b", "yes")
    s.answer("c", "x")
    out = compiled.evaluate(s)
    assert out.pathways[0].because == ("fb",)
