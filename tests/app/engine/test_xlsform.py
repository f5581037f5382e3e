"""XLSForm loading: types, columns, languages, settings, and every problem at once, located."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine import QuestionnaireError, Session, load_questionnaire
from tests.app.engine.workbooks import xls, xlsx

HEADER = (
    "type",
    "name",
    "label::English (en)",
    "label::Arabic (ar)",
    "relevant",
    "constraint",
    "calculation",
    "required",
    "choice_filter",
    "appearance",
    "hint::English (en)",
    "constraint_message::English (en)",
    "constraint_message::Arabic (ar)",
    "default",
    "read_only",
    "repeat_count",
    "trigger",
    "required_message::English (en)",
)
CHOICES = [
    ("list_name", "name", "label::English (en)", "label::Arabic (ar)", "region"),
    ("yn", "yes", "Yes", "نعم", ""),
    ("yn", "no", "No", "لا", ""),
    ("city", "a1", "Aleppo", "حلب", "north"),
    ("city", "d1", "Damascus", "دمشق", "south"),
    ("region", "north", "North", "الشمال", ""),
    ("region", "south", "South", "الجنوب", ""),
]
SETTINGS = [
    ("form_id", "version", "form_title", "default_language"),
    ("travel_check", "2026.1", "Travel check", "English (en)"),
]


def r(type_: str, name: str, *, en: str = "", ar: str = "", **cols: str) -> tuple[object, ...]:
    cells = {"type": type_, "name": name, "label::English (en)": en, "label::Arabic (ar)": ar}
    aliases = {
        "hint": "hint::English (en)",
        "cmsg": "constraint_message::English (en)",
        "cmsg_ar": "constraint_message::Arabic (ar)",
        "rmsg": "required_message::English (en)",
    }
    for k, v in cols.items():
        cells[aliases.get(k, k)] = v
    return tuple(cells.get(h, "") for h in HEADER)


GOOD = [
    HEADER,
    r("start", "start"),
    r("today", "today"),
    r("deviceid", "deviceid"),
    r("select_one yn", "alone", en="Alone?", ar="بمفردك؟", required="yes"),
    r(
        "integer",
        "companions",
        en="How many?",
        ar="كم؟",
        relevant="${alone} = 'no'",
        constraint=". > 0 and . < 30",
        cmsg="From 1 to 29",
        cmsg_ar="من 1 إلى 29",
    ),
    r("select_one region", "region", en="Region"),
    r("select_one city", "city", en="City", choice_filter="region = ${region}"),
    r("select_multiple yn", "both", en="Both", required="${alone} = 'yes'", rmsg="Needed"),
    r("select_one yn or_other", "other_yn", en="Other?"),
    r("begin_group", "page", en="One page", appearance="field-list"),
    r("text", "given", en="Given name", default="Sam"),
    r("decimal", "weight", en="Weight", read_only="yes"),
    r("end_group", ""),
    r("date", "dob", en="Date of birth", constraint=". <= today()"),
    r("calculate", "days_old", calculation="today() - ${dob}"),
    r("calculate", "city_name", calculation="jr:choice-name(${city}, '${city}')"),
    r("calculate", "stamp", calculation="once(concat('x', ${given}))"),
    r("calculate", "on_alone", calculation="concat('set:', ${alone})", trigger="${alone}"),
    r("time", "at", en="Time"),
    r("dateTime", "when", en="When"),
    r("range", "score", en="Score"),
    r("note", "thanks", en="Thank you", ar="شكرا"),
    r("acknowledge", "ok", en="OK?"),
    r("hidden", "hid"),
    r("begin_repeat", "visit", en="Visit", repeat_count="2"),
    r("text", "place", en="Place"),
    r("calculate", "n", calculation="position(..)"),
    r("end_repeat", ""),
    r("calculate", "places", calculation="join(',', ${place})"),
    r("begin repeat", "extra", en="Extra"),
    r("text", "what", en="What"),
    r("end repeat", ""),
    r("instanceID", "instanceID"),
]


def load(data: bytes, name: str = "form.xlsx"):
    return load_questionnaire(data, name)


def test_a_good_form_loads_with_settings_and_languages() -> None:
    q = load(xlsx(GOOD, CHOICES, SETTINGS))
    assert (q.form_id, q.version, q.default_language) == ("travel_check", "2026.1", "en")
    assert q.languages == ["en", "ar"]
    assert q.title("en") == "Travel check"
    assert q.item("alone").label == {"en": "Alone?", "ar": "بمفردك؟"}
    assert q.item("other_yn").or_other
    assert q.item("page").field_list
    assert q.item("visit").type == "repeat" and q.item("extra").type == "repeat"
    assert q.warnings == ()


def test_the_same_form_loads_from_xls() -> None:
    q = load(xls(GOOD, CHOICES, SETTINGS), "form.xls")
    assert q.form_id == "travel_check"
    assert [it.name for it in q.items[1:6]] == ["start", "today", "deviceid", "alone", "companions"]


def test_a_session_over_every_type() -> None:
    import datetime as dt

    q = load(xlsx(GOOD, CHOICES, SETTINGS))
    s = Session(
        q,
        language="ar",
        device_id="tab-7",
        new_id=lambda: "id-1",
        clock=lambda: dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC),
    )
    assert s.screen().prompts[0].name == "alone"
    assert s.answer("alone", "no") == []
    errs = s.answer("companions", 40)
    assert errs[0].code == "constraint" and errs[0].message == "من 1 إلى 29"
    s.answer("companions", 3)
    s.answer("region", "south")
    s.jump("city")
    assert [c.name for c in s.screen().prompts[0].choices] == ["d1"]
    s.answer("city", "d1")
    s.jump("other_yn")
    assert [c.name for c in s.screen().prompts[0].choices] == ["yes", "no", "other"]
    s.answer("other_yn", "other")
    s.jump("given")
    page = s.screen()
    assert [p.name for p in page.prompts] == ["given", "weight"] and page.section == "One page"
    assert page.prompts[0].value == "Sam" and page.prompts[1].read_only
    s.answer("dob", "2026-11-20")
    assert [e.code for e in s.answer("dob", "2027-01-01")] == ["constraint"]
    s.answer("dob", "2026-11-20")
    s.answer("at", "10:15")
    s.answer("when", "2026-11-25T09:30:00Z")
    s.answer("score", 7)
    s.answer("ok", True)
    s.answer("place", "Tunis", (0,))
    s.answer("place", "Sfax", (1,))
    v = s.values()
    assert v["days_old"] == "5"
    assert v["city_name"] == "دمشق"
    assert v["stamp"] == "xSam"
    assert v["on_alone"] == "set:no"
    assert v["at"] == "10:15:00.000" and v["when"].startswith("2026-11-25T09:30:00")
    assert v["ok"] == "OK" and v["score"] == 7.0
    assert v["visit[2]/n"] == "2" and v["places"] == "Tunis,Sfax"
    assert v["deviceid"] == "tab-7" and v["instanceID"] == "uuid:id-1"
    assert v["today"] == "2026-11-25" and v["start"].startswith("2026-11-25T09:00:00")
    s.language = "en"
    assert s.values()["city_name"] == "Damascus"
    s.answer("given", "Lee")
    assert s.values()["stamp"] == "xSam"  # once() keeps its first value
    s.answer("alone", "yes")
    assert "companions" not in s.values()
    assert s.values()["on_alone"] == "set:yes"
    s.jump("both")
    assert [(e.code, e.message) for e in s.next()] == [("required", "Needed")]


def test_every_problem_is_reported_at_once_with_its_location() -> None:
    bad = [
        HEADER,
        r("integer", "age", en="Age"),
        r("integer", "age", en="Age again"),
        r("text", "notes", relevant="${agee} > 3"),
        r("text", "broken", constraint=". > (3"),
        r("calculate", "a", calculation="${b} + 1"),
        r("calculate", "b", calculation="${a} + 1"),
        r("select_one colours", "colour", en="Colour"),
        r("geopoint", "where", en="Where"),
        r("text", "fn", relevant="frobnicate(${age})"),
    ]
    with pytest.raises(QuestionnaireError) as info:
        load(xlsx(bad, CHOICES), "bad.xlsx")
    found = {
        (p.code, p.location.sheet, p.location.row, p.location.column, p.severity)
        for p in info.value.problems
    }
    assert ("duplicate_name", "survey", 3, "name", "error") in found
    assert ("unknown_reference", "survey", 4, "relevant", "error") in found
    assert ("expression_syntax", "survey", 5, "constraint", "error") in found
    assert ("unknown_choice_list", "survey", 8, "type", "error") in found
    assert ("unsupported_type", "survey", 9, "type", "warning") in found
    assert ("expression_syntax", "survey", 10, "relevant", "error") in found
    cycle = [p for p in info.value.problems if p.code == "circular_dependency"]
    assert len(cycle) == 1 and set(cycle[0].params["names"]) == {"a", "b"}
    syntax = next(p for p in info.value.problems if p.location.row == 5)
    assert syntax.params["position"] == 6 and syntax.params["reason"] == "unexpected_end"
    assert all(p.location.file == "bad.xlsx" for p in info.value.problems)
    unknown = next(p for p in info.value.problems if p.code == "unknown_reference")
    assert unknown.params["name"] == "agee"


def test_relevance_cycle_is_reported() -> None:
    bad = [HEADER, r("text", "x", relevant="${y} = ''"), r("text", "y", relevant="${x} = ''")]
    with pytest.raises(QuestionnaireError) as info:
        load(xlsx(bad))
    assert [p.code for p in info.value.problems] == ["circular_dependency"]


def test_unsupported_types_are_kept_as_unanswerable_notes() -> None:
    form = [HEADER, r("image", "photo", en="Photo"), r("text", "t", en="T")]
    q = load(xlsx(form))
    assert [(w.code, w.location.row, w.params["type"]) for w in q.warnings] == [
        ("unsupported_type", 2, "image")
    ]
    s = Session(q)
    assert s.screen().prompts[0].name == "photo" and s.screen().prompts[0].read_only
    assert [e.code for e in s.answer("photo", "x.jpg")] == ["read_only"]


def test_unreadable_and_unknown_files_are_problems_not_crashes() -> None:
    with pytest.raises(QuestionnaireError) as info:
        load(b"not a workbook", "x.xlsx")
    assert info.value.problems[0].code == "unreadable_file"
    with pytest.raises(QuestionnaireError) as info:
        load(b"", "x.csv")
    assert info.value.problems[0].code == "unknown_format"
    with pytest.raises(QuestionnaireError) as info:
        load(xlsx([HEADER, r("begin_group", "g"), r("text", "t")]))
    assert info.value.problems[0].code == "unclosed_group"


def test_plain_label_column_without_language() -> None:
    form = [("type", "name", "label"), ("text", "t", "Plain")]
    q = load(xlsx(form))
    s = Session(q)
    assert s.screen().prompts[0].label() == "Plain"
    assert q.languages == ["und"]


TYPES = [
    "text",
    "integer",
    "select_one yn",
    "select_multiple yn",
    "begin_group",
    "end_group",
    "begin_repeat",
    "end_repeat",
    "calculate",
    "note",
    "geopoint",
    "select_one nolist",
    "",
    "date",
    "begin group",
    "end group",
    "acknowledge",
]
NAMES = ["a", "b", "c", "", "a b", "1x", "d"]
EXPRS = [
    "",
    "${a} = 1",
    "${b} > ${a}",
    "${zz}",
    "(",
    "selected(${c}, 'yes')",
    ". > 1",
    "position(..)",
    "if(1,2)",
    "${a} + ${b}",
    "count(${c})",
]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(TYPES),
            st.sampled_from(NAMES),
            st.sampled_from(EXPRS),
            st.sampled_from(EXPRS),
        ),
        max_size=12,
    )
)
def test_any_workbook_loads_or_lists_its_problems(rows) -> None:
    survey = [("type", "name", "label", "relevant", "calculation")]
    survey += [(t, n, "L", rel, calc) for t, n, rel, calc in rows]
    try:
        q = load(xlsx(survey, CHOICES))
    except QuestionnaireError as exc:
        assert exc.problems
        assert all(p.location.file == "form.xlsx" for p in exc.problems)
        assert any(p.severity == "error" for p in exc.problems)
        return
    s = Session(q)
    for _ in range(len(rows) + 2):
        for p in s.screen().prompts:
            s.answer(p.name, None, p.instance)
        s.next()
    assert s.at_end


def test_a_required_unsupported_question_never_blocks() -> None:
    form = [
        ("type", "name", "label", "required"),
        ("geopoint", "gps", "Where", "yes"),
        ("text", "t", "T", ""),
    ]
    s = Session(load(xlsx(form)))
    assert not s.screen().prompts[0].required
    assert s.next() == []
    assert s.screen().prompts[0].name == "t"
