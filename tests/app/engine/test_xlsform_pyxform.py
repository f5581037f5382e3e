"""XLSForms as pyxform reads them: each cause that used to stop a real form, written as a small
inline table (pyxform's tests/test_*.py style), plus what a loaded form must do with it."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine import QuestionnaireError, Session, load_questionnaire
from tests.app.engine.workbooks import xls, xlsx

YN = [("list_name", "name", "label"), ("yn", "yes", "Yes"), ("yn", "no", "No")]


def load(data: bytes, name: str = "form.xlsx", **kw: object):
    return load_questionnaire(data, name, **kw)  # type: ignore[arg-type]


def problems(data: bytes, name: str = "form.xlsx") -> set[tuple[str, str, int | None, str, str]]:
    with pytest.raises(QuestionnaireError) as info:
        load(data, name)
    return {
        (p.code, p.location.sheet, p.location.row, p.location.column, p.severity)
        for p in info.value.problems
    }


def warnings_of(q) -> set[tuple[str, str, int | None, str]]:
    return {(w.code, w.location.sheet, w.location.row, w.location.column) for w in q.warnings}


# -- cause 1: legacy type spellings ----------------------------------------------------------- ---


def test_legacy_select_spellings_and_or_specify_other() -> None:
    q = load(
        xlsx(
            [
                ("type", "name", "label"),
                ("select one from yn", "a", "A"),
                ("select all that apply from yn or specify other", "b", "B"),
                ("select_one yn or specify other", "c", "C"),
                ("select1 yn", "d", "D"),
                ("trigger", "e", "E"),
            ],
            YN,
        )
    )
    kinds = {n: (q.item(n).type, q.item(n).choice_list, q.item(n).or_other) for n in "abcde"}
    assert kinds == {
        "a": ("select_one", "yn", False),
        "b": ("select_multiple", "yn", True),
        "c": ("select_one", "yn", True),
        "d": ("select_one", "yn", False),
        "e": ("acknowledge", "", False),
    }
    assert q.warnings == ()
    s = Session(q)
    assert s.answer("b", ["yes", "other"]) == []
    assert s.value("b") == ["yes", "other"]


# -- cause 2: external_choices and select_one_external ------------------------------------------ -


def test_external_choices_sheet_allows_a_name_twice() -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    for r in [("type", "name", "label"), ("select_one_external town", "t", "Town")]:
        ws.append(r)
    ext = wb.create_sheet("external_choices")
    for r in [("list_name", "name", "label"), ("town", "a", "A1"), ("town", "a", "A2")]:
        ext.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    q = load(buf.getvalue())
    assert [c.name for c in q.choices["town"]] == ["a", "a"]
    assert q.item("t").type == "select_one"


def test_a_name_twice_on_the_choices_sheet_is_still_located() -> None:
    found = problems(
        xlsx(
            [("type", "name", "label"), ("select_one yn", "a", "A")],
            [*YN, ("yn", "yes", "Again")],
        )
    )
    assert ("duplicate_choice", "choices", 4, "", "error") in found


def test_a_choice_without_a_name_is_located_on_the_choices_sheet() -> None:
    found = problems(
        xlsx([("type", "name", "label"), ("select_one yn", "a", "A")], [*YN, ("yn", "", "?")])
    )
    assert found == {("missing_choice_name", "choices", 4, "name", "error")}


# -- cause 3: typographic quotes ---------------------------------------------------------------- -


def test_typographic_quotes_are_straightened_one_at_a_time() -> None:
    # an unbalanced pair (“no‘ reads "no') is a located syntax error, as in ODK after pyxform
    found = problems(
        xlsx(
            [
                ("type", "name", "label", "relevant"),
                ("select_one yn", "a", "A", ""),
                ("text", "c", "C", "${a} = \u201cno\u2018"),
            ],
            YN,
        )
    )
    assert ("expression_syntax", "survey", 3, "relevant", "error") in found
    q = load(
        xlsx(
            [
                ("type", "name", "label", "relevant"),
                ("select_one yn", "a", "A", ""),
                ("text", "b", "B", "${a} = \u2018yes\u2019"),
                ("text", "c", "C", "${a} = \u2019no\u2018"),  # reversed, still two quotes
            ],
            YN,
        )
    )
    assert ("typographic_quotes", "survey", 3, "relevant") in warnings_of(q)
    s = Session(q)
    s.answer("a", "yes")
    assert s.relevant("b") and not s.relevant("c")
    s.answer("a", "no")
    assert s.relevant("c") and not s.relevant("b")


# -- cause 4: instance('list') lookups -------------------------------------------------------------


def test_current_paths_in_a_choice_filter_read_the_question() -> None:
    q = load(
        xlsx(
            [
                ("type", "name", "label", "choice_filter"),
                ("select_one region", "region", "Region", ""),
                ("select_one city", "city", "City", "region = current()/../region"),
            ],
            [
                ("list_name", "name", "label", "region"),
                ("region", "north", "North", ""),
                ("region", "south", "South", ""),
                ("city", "a1", "Aleppo", "north"),
                ("city", "d1", "Damascus", "south"),
            ],
        )
    )
    s = Session(q)
    s.answer("region", "south")
    s.next()
    assert [c.name for c in s.screen().prompts[0].choices] == ["d1"]


def test_instance_lookups_read_a_choice_column_and_label() -> None:
    q = load(
        xlsx(
            [
                ("type", "name", "label", "calculation"),
                ("select_one fruit", "f", "Fruit", ""),
                ("calculate", "colour", "", "instance('fruit')/root/item[name = ${f}]/colour"),
                (
                    "calculate",
                    "shown",
                    "",
                    "jr:itext(instance('fruit')/root/item[name=${f}]/itextId)",
                ),
                ("note", "n", "You chose ${shown}, which is ${colour}", ""),
            ],
            [
                ("list_name", "name", "label", "colour"),
                ("fruit", "apple", "Apple", "red"),
                ("fruit", "pear", "Pear", "green"),
            ],
        )
    )
    s = Session(q)
    s.answer("f", "pear")
    assert s.value("colour") == "green" and s.value("shown") == "Pear"
    s.next()
    assert s.screen().prompts[0].label() == "You chose Pear, which is green"


def test_an_instance_of_no_list_is_located() -> None:
    found = problems(
        xlsx(
            [
                ("type", "name", "label", "calculation"),
                ("calculate", "x", "", "instance('nolist')/root/item[name = 'a']/label"),
            ]
        )
    )
    assert found == {("unknown_instance", "survey", 2, "calculation", "error")}


# -- cause 5: bare names ---------------------------------------------------------------------------


def test_bare_xpath_names_are_empty_with_a_located_warning() -> None:
    q = load(
        xlsx(
            [
                ("type", "name", "label", "calculation", "relevant"),
                ("integer", "a", "A", "", ""),
                ("calculate", "c", "", "if(${a} > 1, ${a}, null)", ""),
                ("text", "t", "T", "", "no"),
            ]
        )
    )
    assert warnings_of(q) == {
        ("bare_name", "survey", 3, "calculation"),
        ("bare_name", "survey", 4, "relevant"),
    }
    bare = next(w for w in q.warnings if w.location.row == 3)
    assert bare.params["name"] == "null"
    s = Session(q)
    s.answer("a", 5)
    assert s.value("c") == "5"
    s.answer("a", 0)
    assert s.value("c") == "" and not s.relevant("t")


# -- cause 6: functions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("sqrt(16)", "4"),
        ("pow(2, 10)", "1024"),
        ("exp(0)", "1"),
        ("log(1)", "0"),
        ("log10(1000)", "3"),
        ("round(sin(pi() div 2), 3)", "1"),
        ("round(cos(0), 3)", "1"),
        ("round(tan(0), 3)", "0"),
        ("round(asin(1) * 2 div pi(), 3)", "1"),
        ("round(acos(1), 3)", "0"),
        ("round(atan(1) * 4 div pi(), 3)", "1"),
        ("round(atan2(1, 1) * 4 div pi(), 3)", "1"),
        ("sqrt(-1)", ""),
        ("substring-before('a-b', '-')", "a"),
        ("substring-after('a-b', '-')", "b"),
        ("checklist(1, 1, true(), false())", "true"),
        ("weighted-checklist(3, -1, true(), 2, true(), 1)", "true"),
        ("decimal-time('18:00')", "0.75"),
        (
            "digest('abc', 'SHA-256', 'hex')",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
    ],
)
def test_functions_odk_has(expression: str, value: str) -> None:
    q = load(xlsx([("type", "name", "calculation"), ("calculate", "x", expression)]))
    assert Session(q).value("x") == value


def test_pulldata_reads_an_attached_csv_and_warns_without_it() -> None:
    form = xlsx(
        [
            ("type", "name", "label", "calculation"),
            ("text", "fruit", "Fruit", ""),
            ("calculate", "colour", "", "pulldata('fruits', 'colour', 'name', ${fruit})"),
        ]
    )
    q = load(form)
    assert warnings_of(q) == {("missing_attachment", "survey", 3, "calculation")}
    assert next(iter(q.warnings)).params == {"file": "fruits.csv"}
    s = Session(q)
    s.answer("fruit", "mango")
    assert s.value("colour") == ""
    q = load(form, attachments={"fruits.csv": b"name,colour\nmango,orange\nkiwi,green\n"})
    assert q.warnings == ()
    s = Session(q)
    s.answer("fruit", "mango")
    assert s.value("colour") == "orange"


# -- cause 7: rows and workbooks -------------------------------------------------------------------


def test_upper_case_headers_and_sheet_names() -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "SURVEY"
    ws.append(("TYPE", "NAME", "LABEL", "Relevant"))
    ws.append(("integer", "a", "A", ""))
    ws.append(("text", "b", "B", "${a} > 1"))
    buf = io.BytesIO()
    wb.save(buf)
    q = load(buf.getvalue())
    assert q.item("b").relevant is not None and q.item("a").label_in(None) == "A"


def test_rows_with_no_type_only_a_note_or_required_are_skipped_with_a_warning() -> None:
    q = load(
        xlsx(
            [
                ("type", "name", "label", "required", "designer notes"),
                ("text", "a", "A", "", ""),
                ("", "", "", "yes", ""),
                ("", "", "", "", "ask the team lead"),
                ("note", "", "An unnamed note", "", ""),
            ]
        )
    )
    assert warnings_of(q) == {("row_skipped", "survey", 3, ""), ("row_skipped", "survey", 4, "")}
    assert [it.name for it in q.items[1:]] == ["a", "generated_note_name_5"]


def test_a_row_with_a_label_and_no_type_is_located() -> None:
    found = problems(xlsx([("type", "name", "label"), ("text", "a", "A"), ("", "", "Orphan")]))
    assert found == {("missing_type", "survey", 3, "type", "error")}


def test_begin_loop_repeats_its_questions_for_each_choice() -> None:
    q = load(
        xlsx(
            [
                ("type", "name", "label"),
                ("begin loop over rooms", "rooms_loop", "Rooms"),
                ("integer", "windows", "Windows in the %(label)s?"),
                ("end loop", "", ""),
            ],
            [
                ("list_name", "name", "label"),
                ("rooms", "kitchen", "kitchen"),
                ("rooms", "hall", "hall"),
            ],
        )
    )
    s = Session(q)
    assert s.screen().prompts[0].label() == "Windows in the kitchen?"
    s.answer("windows", 2)
    s.next()
    assert s.screen().prompts[0].label() == "Windows in the hall?"
    s.answer("windows", 1)
    assert s.values() == {"rooms_loop/kitchen/windows": 2, "rooms_loop/hall/windows": 1}


def test_calculate_without_calculation_is_located() -> None:
    found = problems(xlsx([("type", "name", "label"), ("calculate", "c", "")]))
    assert found == {("missing_calculation", "survey", 2, "calculation", "error")}


def test_duplicate_column_headers_are_located() -> None:
    found = problems(
        xlsx(
            [("type", "name", "label", "label"), ("text", "a", "A", "B")],
            [("list_name", "name", "name"), ("yn", "yes", "yes")],
        )
    )
    assert ("duplicate_column", "survey", 1, "label", "error") in found
    assert ("duplicate_column", "choices", 1, "name", "error") in found


def test_a_million_row_declared_range_stops_after_the_empty_rows() -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(("type", "name", "label"))
    ws.append(("text", "a", "A"))
    ws.cell(row=1_000_000, column=200, value=None)  # a styled cell far away declares the range
    ws.cell(row=1_000_000, column=200).number_format = "0.00"
    ws.cell(row=500, column=1, value="text")  # after a run of 60 empty rows: not read
    buf = io.BytesIO()
    wb.save(buf)
    q = load(buf.getvalue())
    assert [it.name for it in q.items[1:]] == ["a"]


def test_a_workbook_is_read_by_its_content_not_its_name() -> None:
    old = xls([("type", "name", "label"), ("text", "a", "A")])
    q = load(old, "saved_as.xlsx")
    assert q.item("a").type == "text"
    new = xlsx([("type", "name", "label"), ("text", "b", "B")])
    assert load(new, "saved_as.xls").item("b").type == "text"
    assert load(new, "attached.bin").item("b").type == "text"


# -- on forms that load ---------------------------------------------------------------------------


def test_references_in_labels_hints_and_messages_are_filled_and_follow_answers() -> None:
    q = load(
        xlsx(
            [
                (
                    "type",
                    "name",
                    "label",
                    "hint",
                    "constraint",
                    "constraint_message",
                    "required",
                    "required_message",
                ),
                ("text", "my_name", "Your name?", "", "", "", "", ""),
                (
                    "integer",
                    "age",
                    "${my_name}, how old are you?",
                    "Hello ${my_name}",
                    ". < 120",
                    "${my_name}: ${age} is too many",
                    "yes",
                    "${my_name}, please answer",
                ),
            ]
        )
    )
    s = Session(q)
    s.answer("my_name", "Ana")
    s.next()
    p = s.screen().prompts[0]
    assert (p.label(), p.hint()) == ("Ana, how old are you?", "Hello Ana")
    assert [(e.code, e.message) for e in s.next()] == [("required", "Ana, please answer")]
    assert [e.message for e in s.answer("age", 300)] == ["Ana: 300 is too many"]
    s.jump("my_name")
    s.answer("my_name", "Sam")
    s.jump("age")
    assert s.screen().prompts[0].label() == "Sam, how old are you?"


def test_an_unknown_reference_in_a_label_is_located() -> None:
    found = problems(xlsx([("type", "name", "label"), ("text", "a", "Hi ${nobody}")]))
    assert found == {("unknown_reference", "survey", 2, "label", "error")}


def test_choice_filter_is_enforced_on_answers() -> None:
    q = load(
        xlsx(
            [
                ("type", "name", "label", "choice_filter"),
                ("select_one region", "region", "Region", ""),
                ("select_one city", "city", "City", "region = ${region}"),
                ("select_multiple city", "cities", "Cities", "region = ${region}"),
            ],
            [
                ("list_name", "name", "label", "region"),
                ("region", "north", "North", ""),
                ("region", "south", "South", ""),
                ("city", "a1", "Aleppo", "north"),
                ("city", "d1", "Damascus", "south"),
            ],
        )
    )
    s = Session(q)
    s.answer("region", "north")
    assert [e.code for e in s.answer("city", "d1")] == ["unknown_choice"]
    assert s.value("city") == ""
    assert s.answer("city", "a1") == [] and s.value("city") == "a1"
    assert [e.code for e in s.answer("cities", ["a1", "d1"])] == ["unknown_choice"]
    assert s.value("cities") == ""


@pytest.mark.parametrize(
    ("type_", "bad", "code"),
    [
        ("integer", "1.5", "invalid_integer"),
        ("integer", 2.5, "invalid_integer"),
        ("decimal", "about three", "invalid_decimal"),
        ("date", "2024-02-30", "invalid_date"),
        ("dateTime", "yesterday", "invalid_datetime"),
        ("time", "25:99", "invalid_time"),
    ],
)
def test_an_invalid_value_is_an_error_and_is_not_stored(type_: str, bad: object, code: str) -> None:
    good = {
        "integer": 4,
        "decimal": 1.5,
        "date": "2024-02-28",
        "dateTime": "2024-02-28T10:00",
        "time": "10:00",
    }[type_]
    q = load(xlsx([("type", "name", "label"), (type_, "x", "X")]))
    s = Session(q)
    assert s.answer("x", good) == []
    before = s.value("x")
    errors = s.answer("x", bad)
    assert [e.code for e in errors] == [code]
    assert s.value("x") == before != ""


def test_a_required_question_without_message_gets_the_code_the_interface_words() -> None:
    q = load(xlsx([("type", "name", "label", "required"), ("text", "x", "X", "yes")]))
    errors = Session(q).next()
    assert [(e.code, e.message) for e in errors] == [("required", "")]


def test_metadata_is_hidden_and_filled_where_waymark_can() -> None:
    meta = [
        "start",
        "end",
        "today",
        "deviceid",
        "subscriberid",
        "simserial",
        "phonenumber",
        "username",
        "email",
        "audit",
        "start-geopoint",
    ]
    q = load(
        xlsx(
            [("type", "name", "label")]
            + [(t, f"m_{i}", "") for i, t in enumerate(meta)]
            + [("text", "q", "Q")]
        )
    )
    assert q.warnings == ()
    clock = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
    s = Session(q, clock=lambda: clock, device_id="dev-7", username="tablet 3")
    assert [p.name for p in s.screen().prompts] == ["q"]
    s.answer("q", "x")
    s.next()
    assert s.at_end
    s.finish()
    values = s.values()
    assert values["m_3"] == "dev-7" and values["m_7"] == "tablet 3"
    assert values["m_2"] == "2026-11-25" and values["m_0"].startswith("2026-11-25T10:00")
    assert "m_1" in values
    for i in (4, 5, 6, 8, 9, 10):
        assert f"m_{i}" not in values


def test_unsupported_parts_are_located_warnings_and_say_so() -> None:
    kinds = [
        "geopoint",
        "image",
        "audio",
        "signature",
        "barcode",
        "select_one_from_file places.csv",
    ]
    q = load(xlsx([("type", "name", "label")] + [(t, f"u{i}", "") for i, t in enumerate(kinds)]))
    assert warnings_of(q) == {("unsupported_type", "survey", i + 2, "type") for i in range(6)}
    s = Session(q)
    for _ in kinds:
        [p] = s.screen().prompts
        assert p.unsupported and p.read_only and not p.required
        assert s.next() == []
    assert s.at_end


# -- property: any workbook openpyxl writes --------------------------------------------------------

CELLS = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "type",
            "name",
            "label",
            "label::fr",
            "relevant",
            "calculation",
            "choice_filter",
            "required",
            "text",
            "integer",
            "select_one yn",
            "select one from yn",
            "begin group",
            "end group",
            "begin repeat",
            "end repeat",
            "begin loop over yn",
            "end loop",
            "note",
            "calculate",
            "${a}",
            "a",
            "b",
            "null",
            "‘x’",
            "instance('yn')/root/item/label",
            "pulldata('f','a','b','c')",
            "yes",
            "list_name",
            "${a} + 1 =",
        ]
    ),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=8),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
)
ROWS = st.lists(st.lists(CELLS, max_size=6), max_size=8)


@settings(max_examples=60, deadline=None)
@given(ROWS, ROWS, st.sampled_from(["survey", "Survey", "other"]))
def test_any_workbook_openpyxl_writes_loads_or_gives_located_problems(
    survey, choices, title: str
) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = title
    for r in survey:
        ws.append(r)
    if choices:
        sheet = wb.create_sheet("choices")
        for r in choices:
            sheet.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    try:
        q = load(buf.getvalue())
    except QuestionnaireError as exc:
        assert any(p.severity == "error" for p in exc.problems)
        assert all(p.location.file == "form.xlsx" and p.location.sheet for p in exc.problems)
        return
    assert all(w.location.sheet for w in q.warnings)
    s = Session(q)
    for _ in range(20):
        if s.at_end:
            break
        for p in s.screen().prompts:
            s.answer(p.name, None, p.instance)
        s.next()


def test_date_and_number_cells_read_as_pyxform_writes_them() -> None:
    q = load(
        xlsx(
            [
                ("type", "name", "label", "default"),
                ("date", "d", "D", dt.datetime(2024, 3, 1)),
                ("integer", "n", "N", 3.0),
                ("select_one codes", "c", "C", 1),
            ],
            [("list_name", "name", "label"), ("codes", 1, "One"), ("codes", 2.0, "Two")],
        )
    )
    assert q.item("d").default == "2024-03-01" and q.item("n").default == "3"
    assert [c.name for c in q.choices["codes"]] == ["1", "2"]
    s = Session(q)
    assert s.value("d") == "2024-03-01" and s.value("n") == 3 and s.value("c") == "1"


def test_every_spelling_pyxform_knows_loads_and_a_typo_is_located() -> None:
    from pyxform.question_type_dictionary import QUESTION_TYPE_DICT

    from app.engine._build import PYXFORM_TYPES

    assert set(QUESTION_TYPE_DICT) == PYXFORM_TYPES
    selects = ("select", "rank", "using", "from")
    rows = [
        (t + (" yn" if any(w in t for w in selects) else ""), f"q{i}", "Q", "1")
        for i, t in enumerate(sorted(PYXFORM_TYPES))
    ]
    q = load(xlsx([("type", "name", "label", "calculation"), *rows], YN))
    assert not [w for w in q.warnings if w.code != "unsupported_type"]
    assert q.item("q" + str(sorted(PYXFORM_TYPES).index("add date prompt"))).type == "date"
    assert q.item("q" + str(sorted(PYXFORM_TYPES).index("gps"))).type == "unsupported"
    found = problems(xlsx([("type", "name", "label"), ("txt", "a", "A"), ("text", "b", "B")]))
    assert found == {("unknown_type", "survey", 2, "type", "error")}


def test_references_in_choice_labels_are_filled_and_checked() -> None:
    survey = [("type", "name", "label"), ("text", "who", "Who?"), ("select_one ab", "x", "X")]
    q = load(
        xlsx(
            survey, [("list_name", "name", "label"), ("ab", "a", "${who} alone"), ("ab", "b", "B")]
        )
    )
    s = Session(q)
    s.answer("who", "Ana")
    s.next()
    assert [c.label() for c in s.screen().prompts[0].choices] == ["Ana alone", "B"]
    found = problems(
        xlsx(survey, [("list_name", "name", "label"), ("ab", "a", "${nobody}"), ("ab", "b", "B")])
    )
    assert found == {("unknown_reference", "choices", 2, "label", "error")}
