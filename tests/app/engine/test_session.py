"""Sessions: answers, relevance, checks, navigation, languages, repeats, save and resume."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine import Session, SessionError, apply_script
from tests.app.engine.conftest import yaml_form

FIXED = dt.datetime(2026, 11, 25, 10, 30, tzinfo=dt.UTC)


def clock() -> dt.datetime:
    return FIXED


def test_skeleton_walks_to_the_end_with_relevance(skeleton) -> None:
    s = Session(skeleton, language="ar", clock=clock)
    assert s.screen().prompts[0].name == "case_code"
    assert s.screen().prompts[0].label() == "رمز الملف"
    assert [e.code for e in s.next()] == ["required"]
    assert s.answer("case_code", "AB-12") == []
    assert s.next() == []
    assert s.screen().prompts[0].name == "travelling_alone"
    s.answer("travelling_alone", "yes")
    s.next()
    assert s.at_end
    assert s.values() == {"case_code": "AB-12", "travelling_alone": "yes"}


def test_constraint_message_in_the_current_language(skeleton) -> None:
    s = Session(skeleton, language="fr")
    s.answer("case_code", "X")
    s.answer("travelling_alone", "no")
    errors = s.answer("companions", 0)
    assert [e.code for e in errors] == ["constraint"]
    assert errors[0].message == "Saisissez un nombre entre 1 et 50."
    s.language = "en"
    s.jump("companions")
    assert s.screen().prompts[0].errors[0].message == "Enter a number from 1 to 50."


def test_answers_to_questions_that_become_irrelevant_are_excluded(skeleton) -> None:
    s = Session(skeleton)
    s.answer("case_code", "X")
    s.answer("travelling_alone", "no")
    s.answer("companions", 4)
    assert s.values()["companions"] == 4
    s.answer("travelling_alone", "yes")
    assert "companions" not in s.values()
    s.answer("travelling_alone", "no")
    assert s.values()["companions"] == 4


def test_switching_language_never_changes_an_answer(skeleton) -> None:
    s = Session(skeleton, language="en")
    s.answer("case_code", "Z-9")
    s.answer("travelling_alone", "no")
    s.answer("companions", 2)
    before = s.values()
    for code in skeleton.languages:
        s.language = code
        assert s.values() == before
        assert s.screen().prompts[0].label() == skeleton.item("case_code").label[code]


def test_session_round_trips_through_plain_json(skeleton) -> None:
    s = Session(skeleton, language="so", clock=clock)
    s.answer("case_code", "Q1")
    s.next()
    s.answer("travelling_alone", "no")
    s.next()
    data = json.loads(json.dumps(s.to_data()))
    r = Session.restore(skeleton, data)
    assert r.values() == s.values()
    assert r.language == "so"
    assert r.screen().prompts[0].name == "companions"


def test_unknown_choice_and_bad_integer_are_refused_without_storing(skeleton) -> None:
    s = Session(skeleton)
    assert [e.code for e in s.answer("travelling_alone", "perhaps")] == ["unknown_choice"]
    s.answer("travelling_alone", "no")
    assert [e.code for e in s.answer("companions", "three")] == ["invalid_integer"]
    assert "companions" not in s.values()
    with pytest.raises(SessionError):
        s.answer("no_such_question", 1)


def test_previous_skips_irrelevant_screens(skeleton) -> None:
    s = Session(skeleton)
    s.answer("case_code", "A")
    s.next()
    s.answer("travelling_alone", "yes")
    s.next()
    assert s.at_end
    s.previous()
    assert s.screen().prompts[0].name == "travelling_alone"
    assert s.progress == (1, 2)


REPEATS = """
form_id: household
languages: {en: {name: English, status: reviewed}}
survey:
  - {type: integer, name: members, label: {en: "Members"}}
  - type: repeat
    name: person
    repeat_count: "${members}"
    children:
      - {type: text, name: pname, label: {en: "Name"}}
      - {type: integer, name: page, label: {en: "Age"}}
      - {type: calculate, name: pos, calculation: "position(..)"}
      - {type: integer, name: school, relevant: "${page} < 18", label: {en: "School"}}
  - {type: calculate, name: total_age, calculation: "sum(${page})"}
  - {type: calculate, name: second, calculation: "indexed-repeat(${pname}, ${person}, 2)"}
  - {type: calculate, name: how_many, calculation: "count(${person})"}
  - type: repeat
    name: visit
    children:
      - {type: text, name: place, label: {en: "Place"}}
"""


def test_repeat_count_position_sum_and_indexed_repeat() -> None:
    q = yaml_form(REPEATS)
    s = Session(q)
    apply_script(
        s,
        [
            {"name": "members", "value": 2},
            {"name": "pname", "value": "A"},
            {"name": "page", "value": 30},
            {"name": "school", "value": 1},
            {"name": "pname", "value": "B"},
            {"name": "page", "value": 10},
            {"name": "school", "value": 2},
        ],
    )
    v = s.values()
    assert v["person[1]/pname"] == "A" and v["person[2]/pname"] == "B"
    assert "person[1]/school" not in v and v["person[2]/school"] == 2
    assert v["person[2]/pos"] == "2"
    assert v["total_age"] == "40"
    assert v["second"] == "B"
    assert v["how_many"] == "2"
    s.answer("members", 1)
    assert "person[2]/pname" not in s.values()
    assert s.values()["total_age"] == "30"


def test_user_repeats_add_and_remove() -> None:
    q = yaml_form(REPEATS)
    s = Session(q)
    assert s.repeat_count("visit") == 1
    s.answer("place", "first", (0,))
    s.add_repeat("visit")
    s.answer("place", "second", (1,))
    s.add_repeat("visit")
    s.answer("place", "third", (2,))
    s.remove_repeat("visit", (1,))
    v = s.values()
    assert v["visit[1]/place"] == "first" and v["visit[2]/place"] == "third"
    assert "visit[3]/place" not in v
    r = Session.restore(q, json.loads(json.dumps(s.to_data())))
    assert r.values() == s.values()


def test_at_start_and_at_end(skeleton) -> None:
    s = Session(skeleton)
    assert s.at_start and not s.at_end
    s.answer("case_code", "A")
    s.next()
    assert not s.at_start


ANSWERS = {
    "members": st.one_of(st.none(), st.integers(min_value=0, max_value=4)),
    "pname": st.one_of(st.none(), st.text(max_size=5)),
    "page": st.one_of(st.none(), st.integers(min_value=0, max_value=90)),
    "school": st.one_of(st.none(), st.integers(min_value=0, max_value=5)),
    "place": st.one_of(st.none(), st.sampled_from(["a", "b", "ب"])),
}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(sorted(ANSWERS)).flatmap(lambda n: st.tuples(st.just(n), ANSWERS[n])),
        max_size=25,
    ),
    st.lists(st.sampled_from(["next", "previous", "add"]), max_size=8),
)
def test_any_session_round_trips_and_replays(steps, moves) -> None:
    q = yaml_form(REPEATS)
    s = Session(q)
    for name, value in steps:
        s.apply(name, value)
    for m in moves:
        if m == "next":
            s.next()
        elif m == "previous":
            s.previous()
        elif s.repeat_count("visit") < 4:
            s.add_repeat("visit")
    data = json.loads(json.dumps(s.to_data()))
    r = Session.restore(q, data)
    assert r.values() == s.values()
    assert r.report() == s.report()
    assert r.at_end == s.at_end
    assert r.to_data()["values"] == data["values"]


def test_range_bounds_are_checked() -> None:
    q = yaml_form("""
form_id: r
languages: {en: {name: English, status: reviewed}}
survey:
  - {type: range, name: pain, parameters: "start=0 end=10 step=1", label: {en: Pain}}
""")
    s = Session(q)
    assert [e.code for e in s.answer("pain", 11)] == ["out_of_range"]
    assert s.answer("pain", 4) == []
    assert s.values() == {"pain": 4.0}


def test_same_name_in_two_groups_round_trips() -> None:
    q = yaml_form("""
form_id: twice
languages: {en: {name: English, status: reviewed}}
survey:
  - type: group
    name: first
    children: [{type: text, name: note_text, label: {en: A}}]
  - type: group
    name: second
    children: [{type: text, name: note_text, label: {en: B}}]
""")
    s = Session(q)
    s.answer("note_text", "one")
    s.next()
    s.answer("note_text", "two")
    assert s.values() == {"first/note_text": "one", "second/note_text": "two"}
    s.previous()
    s.answer("note_text", "uno")
    assert s.values() == {"first/note_text": "uno", "second/note_text": "two"}
    t = Session(q)
    t.apply("note_text", "a")
    t.apply("note_text", "b")
    assert t.values() == {"first/note_text": "a", "second/note_text": "b"}
    r = Session.restore(q, json.loads(json.dumps(s.to_data())))
    assert r.values() == s.values()


def test_corrupt_session_data_is_a_session_error(skeleton) -> None:
    good = Session(skeleton).to_data()
    for bad in (
        [],
        {"form_id": "other"},
        {**good, "values": [["case_code"]]},
        {**good, "cursor": "x"},
        {**good, "repeats": [[1, 2]]},
    ):
        with pytest.raises(SessionError):
            Session.restore(skeleton, bad)


def test_groups_calculations_and_notes_take_no_answer() -> None:
    q = yaml_form(REPEATS)
    s = Session(q)
    for name in ("person", "total_age"):
        assert [e.code for e in s.answer(name, "x")] == ["read_only"]
    assert "total_age" not in s.values()  # sum over no instances is NaN, stored empty
    assert s.values()["how_many"] == "0"


def test_an_answer_that_overflows_a_calculation_leaves_it_empty() -> None:
    q = yaml_form(
        """
        form_id: f
        version: "1"
        default_language: en
        languages: {en: {name: English, status: reviewed}}
        survey:
          - {type: integer, name: n, label: {en: N}}
          - {type: calculate, name: day, calculation: "date(${n})"}
          - {type: calculate, name: rounded, calculation: "round(1.5, ${n})"}
        """
    )
    s = Session(q, language="en")
    assert s.answer("n", 5000000) == []
    assert s.values()["n"] == 5000000 and "day" not in s.values()
    assert s.answer("n", 400) == []
    assert s.values()["day"] == "1971-02-05" and s.values()["rounded"] == "1.5"
