"""A form exercising the expression language and repeats, for the differential test against
ODK's engine (bench/odk/make_expected.py writes what ODK gives; the test compares)."""

from __future__ import annotations

from typing import Any

SURVEY: list[tuple[str, ...]] = [
    (
        "type",
        "name",
        "label::English (en)",
        "label::French (fr)",
        "relevant",
        "calculation",
        "repeat_count",
        "choice_filter",
        "constraint",
    ),
    ("text", "name", "Name", "Nom", "", "", "", "", ""),
    ("text", "nick", "Nickname", "Surnom", "", "", "", "", ""),
    ("integer", "age", "Age", "Âge", "", "", "", "", ". >= 0"),
    ("decimal", "height", "Height", "Taille", "", "", "", "", ""),
    ("date", "dob", "Date of birth", "Date de naissance", "", "", "", "", ""),
    ("select_one yn", "yn", "Yes or no", "Oui ou non", "", "", "", "", ""),
    ("select_multiple fruit", "fruit", "Fruit", "Fruits", "", "", "", "", ""),
    ("select_one region", "region", "Region", "Région", "", "", "", "", ""),
    ("select_one town", "town", "Town", "Ville", "", "", "", "region = ${region}", ""),
    ("begin_group", "extra", "Extra", "Extra", "${yn} = 'yes'", "", "", "", ""),
    ("text", "detail", "Detail", "Détail", "", "", "", "", ""),
    ("integer", "score", "Score", "Score", "${age} > 10", "", "", "", ""),
    ("end_group", "", "", "", "", "", "", "", ""),
    ("integer", "members", "Members", "Membres", "", "", "", "", ""),
    ("begin_repeat", "member", "Member", "Membre", "", "", "${members}", "", ""),
    ("text", "member_name", "Member name", "Nom du membre", "", "", "", "", ""),
    ("integer", "member_age", "Member age", "Âge du membre", "", "", "", "", ""),
    ("calculate", "member_pos", "", "", "", "position(..)", "", "", ""),
    ("text", "member_school", "School", "École", "${member_age} < 18", "", "", "", ""),
    (
        "calculate",
        "member_label",
        "",
        "",
        "",
        "concat(${member_name}, ' (', ${member_age}, ')')",
        "",
        "",
        "",
    ),
    ("end_repeat", "", "", "", "", "", "", "", ""),
]

CALCS = {
    "c_concat": "concat(${name}, '-', ${age})",
    "c_substr": "substr(${name}, 1, 3)",
    "c_len": "string-length(${name})",
    "c_if": "if(${age} > 60, 'older', 'younger')",
    "c_coalesce": "coalesce(${nick}, ${name})",
    "c_round": "round(${height}, 1)",
    "c_int": "int(${height})",
    "c_number": "number(${age}) + 0.5",
    "c_selected": "selected(${fruit}, 'apple')",
    "c_selected_at": "selected-at(${fruit}, 1)",
    "c_count_selected": "count-selected(${fruit})",
    "c_contains": "contains(${name}, 'na')",
    "c_starts": "starts-with(${name}, 'Am')",
    "c_regex": "regex(${name}, '^[A-Z][a-z]+$')",
    "c_days": "date('2020-01-10') - date(${dob})",
    "c_format": "format-date(${dob}, '%Y/%m/%d')",
    "c_div": "${age} div 3",
    "c_mod": "${age} mod 7",
    "c_neg": "-${age}",
    "c_mul": "${height} * 2",
    "c_and": "${age} > 18 and selected(${fruit}, 'apple')",
    "c_not": "not(${yn} = 'yes')",
    "c_min": "min(${age}, 10)",
    "c_max": "max(${age}, ${height})",
    "c_sum": "sum(${member_age})",
    "c_count": "count(${member})",
    "c_indexed": "indexed-repeat(${member_name}, ${member}, 2)",
    "c_choice": "jr:choice-name(${yn}, '${yn}')",
    "c_hidden_read": "concat('[', ${detail}, ']')",
    "c_empty": "${nick} = ''",
    "c_string": "string(${age})",
    "c_bool": "boolean-from-string('true')",
    "c_join": "join(',', ${member_name})",
    "c_plus": "${height} + ${age}",
    "c_chain": "${c_plus} * 2",
    "c_eq_num": "${age} = 34",
    "c_eq_str": "${age} = '34'",
    "c_empty_num": "${score} + 1",
    "c_lt_empty": "${score} < 5",
    "c_date_cmp": "${dob} < '2000-01-01'",
    "c_pow": "pow(2, ${members})",
    "c_round_neg": "round(-1.5)",
    "c_round_half": "round(${height} * 10 + 0.04)",
    "c_substr_neg": "substr(${name}, -3)",
    "c_substr_neg2": "substr('hello', -1, 2)",
    "c_inf": "${height} div 0",
    "c_big": "100000000000000000000000 * 10",
    "c_frac": "1 div 3",
    "c_date_plus": "date(${dob} + 30)",
    "c_date_num": "${dob} + 30",
    "c_str_lt": "'abc' < 'abd'",
    "c_bool_num": "true() + 1",
    "c_float": "string(0.1 + 0.2)",
    "c_sel_neg": "selected-at(${fruit}, -1)",
    "c_town_name": "jr:choice-name(${town}, '${town}')",
    "c_ends": "ends-with(${name}, 'na')",
    "c_count_sel_empty": "count-selected(${nick})",
    "c_normalize": "normalize-space('  a   b ')",
    "c_translate": "translate(${name}, 'Am', 'aM')",
    "c_once_like": "coalesce(${nick}, 'none')",
    "c_member_sum_school": "count(${member_school})",
    "c_abs": "abs(-${height})",
    "c_floor": "floor(${height})",
    "c_ceiling": "ceiling(${height})",
}

CHOICES: list[tuple[str, ...]] = [
    ("list_name", "name", "label::English (en)", "label::French (fr)", "region"),
    ("yn", "yes", "Yes", "Oui", ""),
    ("yn", "no", "No", "Non", ""),
    ("fruit", "apple", "Apple", "Pomme", ""),
    ("fruit", "pear", "Pear", "Poire", ""),
    ("fruit", "fig", "Fig", "Figue", ""),
    ("region", "north", "North", "Nord", ""),
    ("region", "south", "South", "Sud", ""),
    ("town", "t1", "Town 1", "Ville 1", "north"),
    ("town", "t2", "Town 2", "Ville 2", "south"),
]

SETTINGS = [("form_id", "version", "default_language"), ("features", "1", "English (en)")]

SCRIPT: list[dict[str, Any]] = [
    {"name": "name", "value": "Amina"},
    {"name": "age", "value": 34},
    {"name": "height", "value": 1.64},
    {"name": "dob", "value": "1991-04-05"},
    {"name": "yn", "value": "yes"},
    {"name": "fruit", "value": ["apple", "fig"]},
    {"name": "region", "value": "south"},
    {"name": "town", "value": "t2"},
    {"name": "detail", "value": "more"},
    {"name": "score", "value": 7},
    {"name": "members", "value": 3},
    {"name": "member_name", "value": "Ali"},
    {"name": "member_age", "value": 40},
    {"name": "member_name", "value": "Sara"},
    {"name": "member_age", "value": 12},
    {"name": "member_school", "value": "Central"},
    {"name": "member_name", "value": "Omar"},
    {"name": "member_age", "value": 9},
    {"name": "member_school", "value": "East"},
    {"name": "yn", "value": "no"},
]


def rows() -> list[tuple[str, ...]]:
    blank = ("",) * 4
    calcs = [("calculate", name, "", "", "", expr, *blank[:3]) for name, expr in CALCS.items()]
    return [*SURVEY, *calcs]


def workbook_bytes() -> bytes:
    from tests.app.engine.workbooks import xlsx

    return xlsx(rows(), CHOICES, SETTINGS)


EDGE_ROWS: list[tuple[str, ...]] = [
    ("type", "name", "label", "relevant", "calculation", "repeat_count"),
    ("integer", "n", "N", "", "", ""),
    ("begin_repeat", "rep", "Rep", "", "", "${n}"),
    ("integer", "a", "A", "", "", ""),
    ("text", "b", "B", "${a} > 1", "", ""),
    ("end_repeat", "", "", "", "", ""),
    ("calculate", "s", "", "", "sum(${a})", ""),
    ("calculate", "c", "", "", "count(${rep})", ""),
    ("calculate", "j", "", "", "join('-', ${a})", ""),
    ("calculate", "mn", "", "", "min(${a})", ""),
    ("calculate", "mx", "", "", "max(${a})", ""),
    ("calculate", "cb", "", "", "count(${b})", ""),
    ("calculate", "ir", "", "", "indexed-repeat(${a}, ${rep}, 1)", ""),
    ("calculate", "cne", "", "", "count-non-empty(${b})", ""),
    ("calculate", "sel", "", "", "selected(${a}, '2')", ""),
    ("calculate", "eq", "", "", "${a} = 2", ""),
]

#: answer scripts over EDGE_ROWS: no repeat instance at all, and two instances
EDGE_SCRIPTS: dict[str, list[dict[str, Any]]] = {
    "edge_none": [{"name": "n", "value": 0}],
    "edge_two": [
        {"name": "n", "value": 2},
        {"name": "a", "value": 2},
        {"name": "a", "value": 5},
        {"name": "b", "value": "x"},
        {"name": "n", "value": 1},
    ],
}


def edge_bytes() -> bytes:
    from tests.app.engine.workbooks import xlsx

    return xlsx(EDGE_ROWS)
