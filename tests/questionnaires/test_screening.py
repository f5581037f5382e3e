"""The default screening questionnaire: loads cleanly, every text in every shipped language,
no sensitive word in anything the respondent sees, and the trauma-informed behaviour (consent,
withdrawal, urgent stop, section gates, child mode, skips never scored as "no")."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from app.engine import Questionnaire, Session
from tests.questionnaires.conftest import SHIPPED

TEXT_KEYS = (
    "title",
    "label",
    "hint",
    "constraint_message",
    "required_message",
    "guidance_hint",
    "description",
)
#: choice lists read only by the worker-only set-up section
SETUP_ONLY_LISTS = {"interview_languages", "interpreter", "gender_pref"}


# --- loading and languages --------------------------------------------------------------------


def test_loads_with_no_problems_and_no_warnings(screening: Questionnaire) -> None:
    assert screening.form_id == "waymark_screening"
    assert screening.warnings == ()
    assert screening.outcome is not None
    assert screening.version == "2026.12.1"
    # protection first: needs before status, and before any criminal investigation
    assert screening.outcome.pathway_ids == [
        "urgent",
        "child",
        "medical",
        "mhpss",
        "gbv",
        "shelter",
        "special_needs",
        "trafficking",
        "international_protection",
        "legal_aid",
        "family_tracing",
    ]
    assert [d.id for d in screening.outcome.dimensions] == [
        "deceptive_recruitment",
        "coercive_recruitment",
        "abuse_vulnerability_recruitment",
        "exploitative_conditions",
        "coercion_destination",
        "abuse_vulnerability_destination",
    ]


def test_languages_and_review_status(screening: Questionnaire) -> None:
    assert tuple(screening.languages) == SHIPPED
    assert screening.language_status("en") == "reviewed"
    for code in SHIPPED[1:]:
        assert screening.language_status(code) == "draft", code


def _texts(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every translatable text in the raw YAML, with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{where}/{node.get('name') or node.get('id') or ''}:{key}"
            if key in TEXT_KEYS and isinstance(value, dict):
                yield here, value
            else:
                yield from _texts(value, here)
    elif isinstance(node, list):
        for value in node:
            yield from _texts(value, where)


def test_every_text_has_every_shipped_language(raw_screening: dict[str, Any]) -> None:
    texts = list(_texts(raw_screening))
    assert len(texts) > 200  # labels, hints, messages, choices, flags, pathways
    missing = [
        (where, code)
        for where, text in texts
        for code in SHIPPED
        if not str(text.get(code) or "").strip()
    ]
    assert missing == []
    extra = [(where, set(text) - set(SHIPPED)) for where, text in texts if set(text) - set(SHIPPED)]
    assert extra == []


def test_every_flag_and_pathway_has_a_worker_label_and_description(
    raw_screening: dict[str, Any], screening: Questionnaire
) -> None:
    outcome = raw_screening["outcome"]
    for kind in ("flags", "pathways"):
        for rule in outcome[kind]:
            for key in ("label", "description"):
                assert set(rule[key]) == set(SHIPPED), (kind, rule["id"], key)
    s = start(screening, age_band="unsure", health_distress="yes")
    for flag in s.outcome().flags:
        assert flag.description_in("ur") and flag.description_in("ur") != flag.description_in("en")
    for pathway in s.outcome().pathways:
        assert pathway.description_in("ti") != pathway.description_in("en")


def test_every_prompt_renders_in_every_language(screening: Questionnaire) -> None:
    for item in screening.items:
        if item.type in ("calculate", "group") and not item.label:
            continue
        if item.name and item.type != "calculate":
            for code in SHIPPED:
                assert item.label.get(code, "").strip(), (item.name, code)
        for choice in screening.choices.get(item.choice_list, ()):
            for code in SHIPPED:
                assert choice.label.get(code, "").strip(), (item.choice_list, choice.name)


# --- sensitive words --------------------------------------------------------------------------


def _pattern(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)


def find_sensitive(text: str, words: list[str]) -> list[str]:
    return [w for w in words if _pattern(w).search(text)]


def test_the_matcher_finds_whole_words_only() -> None:
    assert find_sensitive("Are you a Victim here?", ["victim"]) == ["victim"]
    assert find_sensitive("victimology", ["victim"]) == []
    assert find_sensitive("هل أنت ضحية؟", ["ضحية"]) == ["ضحية"]
    assert find_sensitive("ሓደ ግዳይ ኣሎ", ["ግዳይ"]) == ["ግዳይ"]
    assert find_sensitive("sharci darro", ["sharci darro"]) == ["sharci darro"]


def test_the_list_covers_every_shipped_language(sensitive_words: dict[str, list[str]]) -> None:
    assert set(sensitive_words) == set(SHIPPED)
    for code in SHIPPED:
        assert len(sensitive_words[code]) >= 5, code
    for word in ("victim", "trafficked", "trafficking", "smuggler", "smuggled", "illegal"):
        assert word in sensitive_words["en"]


def _respondent_texts(raw: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Everything the respondent may see: the title, every survey row outside the worker-only
    set-up group, and the choice lists those rows use. The outcome is worker-facing."""
    yield "title", raw["title"]
    used: set[str] = set()

    def rows(entries: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
        for row in entries:
            if row.get("name") == "setup":
                assert "worker-only" in str(row.get("appearance", "")).split()
                continue
            parts = str(row.get("type", "")).split()
            if len(parts) > 1 and parts[0].startswith("select"):
                used.add(parts[1])
            for key in TEXT_KEYS:
                if isinstance(row.get(key), dict):
                    yield f"{row.get('name')}:{key}", row[key]
            yield from rows(row.get("children") or [])

    yield from rows(raw["survey"])
    assert not used & SETUP_ONLY_LISTS
    for list_name in sorted(used):
        for choice in raw["choices"][list_name]:
            yield f"choices.{list_name}.{choice['name']}", choice["label"]


def test_no_sensitive_word_in_respondent_facing_text(
    raw_screening: dict[str, Any], sensitive_words: dict[str, list[str]]
) -> None:
    texts = list(_respondent_texts(raw_screening))
    assert len(texts) > 120
    found = [
        (where, code, hits)
        for where, text in texts
        for code in SHIPPED
        if (hits := find_sensitive(str(text.get(code, "")), sensitive_words[code]))
    ]
    assert found == []


def test_the_scan_would_catch_a_planted_word(
    raw_screening: dict[str, Any], sensitive_words: dict[str, list[str]]
) -> None:
    planted = {**raw_screening, "title": {**raw_screening["title"], "so": "Dhibbane ma tahay?"}}
    hits = [
        find_sensitive(str(text.get("so", "")), sensitive_words["so"])
        for _, text in _respondent_texts(planted)
    ]
    assert ["dhibbane"] in hits


def test_no_free_text_in_the_safety_section(screening: Questionnaire) -> None:
    safety = screening.item("safety")
    types = {item.type for item in safety.walk() if item is not safety}
    assert types <= {"select_one", "select_multiple", "note"}


def test_every_sensitive_item_offers_prefer_not_and_dont_know(screening: Questionnaire) -> None:
    groups = (
        "urgent",
        "profile",
        "child",
        "protection",
        "money",
        "work",
        "safety",
        "health",
        "family",
    )
    # the age band has "not sure" and "prefer not to say" (both count as a child) but no "don't
    # know"; age_doubt is the worker's own judgement (worker only); the others are navigation
    assert {"prefer_not", "unsure"} <= {c.name for c in screening.choices["age_band"]}
    exempt = {"age_band", "age_doubt", "urgent_continue", "money_gate", "work_gate", "safety_gate"}
    checked = 0
    for group in groups:
        for item in screening.item(group).walk():
            if item.type not in ("select_one", "select_multiple") or item.name in exempt:
                continue
            names = {c.name for c in screening.choices[item.choice_list]}
            assert {"prefer_not", "dont_know"} <= names, item.name
            checked += 1
    assert checked >= 35


# --- behaviour in a session -------------------------------------------------------------------


def start(screening: Questionnaire, **answers: Any) -> Session:
    s = Session(screening, language="en")
    base = {
        "interview_language": "en",
        "companion_refuses": "no",
        "consent_screening": "yes",
        "consent_store": "yes",
        "consent_withdrawn": "no",
    }
    for name, value in (base | answers).items():
        s.answer(name, value)
    return s


def test_setup_is_worker_only_and_comes_first(screening: Questionnaire) -> None:
    setup = screening.root.children[0]
    while setup.type == "calculate":
        setup = screening.root.children[screening.root.children.index(setup) + 1]
    assert setup.name == "setup" and "worker-only" in setup.appearance.split()
    s = Session(screening, language="ar")
    assert s.screen().section == setup.label["ar"]


def test_without_consent_nothing_else_is_asked(screening: Questionnaire) -> None:
    s = start(screening, consent_screening="no")
    for name in ("urgent_doctor", "age_band", "health_distress", "consent_ref_other"):
        assert not s.relevant(name), name
    assert s.relevant("consent_stopped")


def test_withdrawal_at_any_moment_stops_everything(screening: Questionnaire) -> None:
    s = start(screening, age_band="age_18_59", health_distress="yes", family_lost="yes")
    assert {"distress", "family_lost"} <= set(s.outcome().flag_ids)
    s.answer("consent_withdrawn", "yes")
    assert s.value("go") == "no"
    assert s.outcome().flag_ids == [] and s.outcome().pathway_ids == []
    assert not s.relevant("health_distress")
    assert "health/health_distress" not in s.values()


def test_urgent_answer_stops_the_screening_and_can_resume(screening: Questionnaire) -> None:
    s = start(screening, urgent_doctor="no", urgent_self_harm="yes")
    assert s.relevant("urgent_continue")
    assert s.value("urgent_stop") == "yes"
    assert not s.relevant("age_band")
    assert s.relevant("consent_ref_health")  # the close keeps the minimum
    assert s.outcome().pathway_ids == ["urgent", "mhpss"]
    s.answer("urgent_continue", "now")
    assert s.value("urgent_stop") == "no"
    assert s.relevant("age_band")


def test_a_skip_is_never_an_urgent_yes(screening: Questionnaire) -> None:
    s = start(screening, urgent_doctor="prefer_not", urgent_unsafe="dont_know")
    assert s.value("urgent_stop") == "no"
    assert not s.relevant("urgent_continue")
    assert "urgent" not in s.outcome().pathway_ids


def test_child_mode_for_under_18_or_unsure_age(screening: Questionnaire) -> None:
    for band, child in (
        ("under_14", True),
        ("age_14_17", True),
        ("unsure", True),
        ("prefer_not", True),
        ("age_18_59", False),
        ("age_60_plus", False),
        ("adult_unsure", False),
    ):
        s = start(
            screening,
            age_band=band,
            money_gate="continue",
            work_gate="continue",
            worked="yes",
            safety_gate="continue",
        )
        assert (s.value("child_mode") == "yes") is child, band
        assert s.relevant("child_separated") is child
        assert s.relevant("child_owe") is child and s.relevant("child_hurt") is child
        for adult_only in (
            "owe_money",
            "work_differs",
            "long_hours",
            "forced_sexual",
            "forced_offences",
            "deceived_journey",
            "sexual_harm",
            "marriage_choice",
        ):
            assert s.relevant(adult_only) is not child, (band, adult_only)
        assert ("child" in s.outcome().pathway_ids) is child


def test_a_skipped_age_is_never_scored_as_adult(screening: Questionnaire) -> None:
    """No age band given: child mode (best interests first, child wording), as for "unsure",
    and CHILD exactly as child mode does (the age-assessment safeguards apply)."""
    s = start(
        screening,
        money_gate="continue",
        work_gate="continue",
        worked="yes",
        safety_gate="continue",
    )
    assert s.relevant("age_band") and s.value("age_band") == ""
    assert s.value("child_mode") == "yes"
    assert s.relevant("child_welcome") and s.relevant("child_separated")
    assert not s.relevant("owe_money") and not s.relevant("sexual_harm")
    out = s.outcome()
    assert {"child", "age_not_given"} <= set(out.flag_ids)
    assert "child" in out.pathway_ids
    # before the profile is reached (an urgent stop, or ending right after consent), no age was
    # skipped: no CHILD
    stopped = start(screening, urgent_doctor="yes")
    assert "child" not in stopped.outcome().flag_ids
    assert "child" not in start(screening, urgent_doctor="no").outcome().flag_ids


def test_a_doubted_adult_age_means_child_mode_and_child(screening: Questionnaire) -> None:
    s = start(screening, age_band="age_18_59")
    assert s.relevant("age_doubt") and s.value("child_mode") == "no"
    s.answer("age_doubt", "yes")
    assert s.value("child_mode") == "yes"
    out = s.outcome()
    assert {"child", "age_doubt"} <= set(out.flag_ids) and "child" in out.pathway_ids
    assert not start(screening, age_band="age_14_17").relevant("age_doubt")  # already a child


def test_an_adult_unsure_of_the_exact_age_is_asked_the_adult_items(
    screening: Questionnaire,
) -> None:
    s = start(screening, age_band="adult_unsure", work_gate="continue", worked="yes")
    assert s.value("child_mode") == "no"
    assert s.relevant("work_differs") and not s.relevant("child_separated")
    assert "child" not in s.outcome().flag_ids


def test_child_mode_asks_fewer_questions(screening: Questionnaire) -> None:
    def asked(band: str) -> int:
        s = start(
            screening,
            age_band=band,
            money_gate="continue",
            work_gate="continue",
            worked="yes",
            safety_gate="continue",
            owe_money="yes",
        )
        return sum(
            1
            for item in screening.items
            if item.type.startswith("select") and s.relevant(item.name)
        )

    assert asked("age_14_17") < asked("age_18_59")


def test_the_child_section_comes_before_money_work_and_safety(screening: Questionnaire) -> None:
    order = [c.name for c in screening.root.children if c.type == "group"]
    assert order.index("profile") < order.index("child") < order.index("protection")
    assert order.index("child") < min(order.index(g) for g in ("money", "work", "safety"))


@pytest.mark.parametrize("gate", ["money_gate", "work_gate", "safety_gate"])
def test_a_section_gate_skips_the_whole_section(screening: Questionnaire, gate: str) -> None:
    group = screening.item(gate).parent
    assert group is not None
    s = start(screening, age_band="age_18_59", worked="yes", owe_money="yes")
    s.answer(gate, "skip_section")
    others = [i for i in group.walk() if i.name != gate and i.type.startswith("select")]
    assert others and not any(s.relevant(i.name) for i in others)
    assert "sections_skipped" in s.outcome().flag_ids


def test_a_companion_who_will_not_leave_closes_the_sensitive_sections(
    screening: Questionnaire,
) -> None:
    s = start(screening, companion_refuses="yes", age_band="age_14_17")
    for held_back in (
        "money_gate",
        "work_gate",
        "safety_gate",
        "urgent_unsafe",
        "urgent_self_harm",
        "documents",
        "return_fear",
        "threatened_at_home",
        "child_working",
        "child_married",
        "family_lost",
    ):
        assert not s.relevant(held_back), held_back
    assert s.relevant("health_distress") and s.relevant("urgent_doctor")
    out = s.outcome()
    assert {"companion_control", "sections_skipped", "private_follow_up"} <= set(out.flag_ids)
    assert out.indicators["coercion_destination"]["medium"] == 1


@pytest.mark.parametrize(
    ("name", "negative", "flag"),
    [("free_to_leave", "no", "not_free_to_leave"), ("paid_as_agreed", "no", "wages_withheld")],
)
def test_skip_is_not_no_where_no_is_the_indicator(
    screening: Questionnaire, name: str, negative: str, flag: str
) -> None:
    base = {"age_band": "age_18_59", "work_gate": "continue", "worked": "yes"}
    for skip in ("prefer_not", "dont_know"):
        assert flag not in start(screening, **base, **{name: skip}).outcome().flag_ids
    assert flag not in start(screening, **base, **{name: "yes"}).outcome().flag_ids
    assert flag in start(screening, **base, **{name: negative}).outcome().flag_ids


def test_gbv_only_with_its_own_consent(screening: Questionnaire) -> None:
    base = {"age_band": "age_18_59", "safety_gate": "continue", "sexual_harm": "yes"}
    s = start(screening, **base)
    assert s.relevant("consent_ref_gbv")
    assert "gbv" not in s.outcome().pathway_ids
    s.answer("consent_ref_gbv", "no")
    assert "gbv" not in s.outcome().pathway_ids
    s.answer("consent_ref_gbv", "yes")
    out = s.outcome()
    assert "gbv" in out.pathway_ids
    gbv = next(p for p in out.pathways if p.id == "gbv")
    assert gbv.because == ("sexual_violence",)
    assert not start(screening, age_band="age_18_59").relevant("consent_ref_gbv")


def test_forced_sexual_acts_at_work_open_a_gbv_consent_that_leads_somewhere(
    screening: Questionnaire,
) -> None:
    s = start(screening, age_band="age_18_59", work_gate="continue", forced_sexual="yes")
    assert s.relevant("forced_acts_intro")  # the non-punishment reassurance comes first
    assert s.relevant("consent_ref_gbv")
    s.answer("consent_ref_gbv", "yes")
    gbv = next(p for p in s.outcome().pathways if p.id == "gbv")
    assert gbv.because == ("forced_sexual",)


def test_the_trafficking_referral_has_its_own_consent(screening: Questionnaire) -> None:
    base = {"age_band": "age_18_59", "money_gate": "continue", "held_until_paid": "yes"}
    s = start(screening, **base)
    assert s.relevant("consent_ref_trafficking")
    assert "trafficking" not in s.outcome().pathway_ids
    s.answer("consent_ref_trafficking", "no")
    assert "trafficking" not in s.outcome().pathway_ids
    assert s.outcome().indicators["coercive_recruitment"]["strong"] == 1  # still shown
    s.answer("consent_ref_trafficking", "yes")
    assert "trafficking" in s.outcome().pathway_ids
    # a child is referred through child protection, without an adult's consent question
    child = start(screening, age_band="age_14_17", money_gate="continue", held_until_paid="yes")
    assert not child.relevant("consent_ref_trafficking")
    assert "trafficking" in child.outcome().pathway_ids
    assert not start(screening, age_band="age_18_59").relevant("consent_ref_trafficking")


def test_an_unanswered_gate_counts_as_a_skip(screening: Questionnaire) -> None:
    s = start(screening, age_band="age_18_59", money_gate="continue", work_gate="continue")
    assert "sections_skipped" in s.outcome().flag_ids  # the safety gate was never answered
    s.answer("safety_gate", "continue")
    assert "sections_skipped" not in s.outcome().flag_ids


def test_health_comes_before_money_and_work(screening: Questionnaire) -> None:
    order = [c.name for c in screening.root.children if c.type == "group"]
    assert order.index("health") < min(order.index(g) for g in ("money", "work", "safety"))


def test_the_closing_texts_follow_the_storing_consent(screening: Questionnaire) -> None:
    kept = start(screening, urgent_doctor="yes")
    assert kept.relevant("urgent_stopped") and not kept.relevant("urgent_stopped_not_kept")
    assert kept.relevant("close_thanks") and not kept.relevant("close_thanks_not_kept")
    refused = start(screening, consent_store="no", urgent_doctor="yes")
    assert refused.relevant("urgent_stopped_not_kept") and not refused.relevant("urgent_stopped")
    assert refused.relevant("close_thanks_not_kept") and not refused.relevant("close_thanks")
    assert "kept" in kept.questionnaire.item("close_thanks").label["en"]


def test_the_introduction_states_no_status_non_punishment_and_confidentiality(
    screening: Questionnaire,
) -> None:
    intro = screening.item("consent_intro").label["en"]
    for words in (
        "does not decide any status",
        "asylum",
        "not held against you",
        "confidential",
        "a child's safety is in danger",
    ):
        assert words in intro, words


def test_threats_at_home_feed_protection_not_trafficking(screening: Questionnaire) -> None:
    s = start(screening, age_band="age_18_59", threatened_at_home="yes", detained="yes")
    out = s.outcome()
    assert {"persecution", "detention"} <= set(out.flag_ids)
    assert all(f.strength is None for f in out.flags if f.id in ("persecution", "detention"))
    assert {"international_protection", "legal_aid"} <= set(out.pathway_ids)
    assert "trafficking" not in out.pathway_ids
    # the work-section threat is scoped to the people the person worked or travelled with
    assert "worked for" in screening.item("threats").label["en"]
    assert "worked for" in screening.item("movement_limited").label["en"]


@pytest.mark.parametrize(
    ("answers", "flag", "dimension", "strength"),
    [
        (
            {"money_gate": "continue", "deceived_journey": "yes"},
            "deceived_journey",
            "deceptive_recruitment",
            "medium",
        ),
        (
            {"work_gate": "continue", "recruited_online": "yes"},
            "recruited_online",
            "deceptive_recruitment",
            "weak",
        ),
        (
            {"money_gate": "continue", "debt_before_work": "yes"},
            "debt_before_work",
            "coercive_recruitment",
            "medium",
        ),
        (
            {"money_gate": "continue", "owe_money": "yes", "family_debt": "yes"},
            "family_debt",
            "abuse_vulnerability_destination",
            "medium",
        ),
        (
            {"work_gate": "continue", "threat_report": "yes"},
            "threat_report",
            "coercion_destination",
            "strong",
        ),
        (
            {"work_gate": "continue", "worked": "yes", "isolated": "yes"},
            "isolation",
            "coercion_destination",
            "strong",
        ),
        (
            {"work_gate": "continue", "worked": "yes", "living_conditions": "yes"},
            "poor_living_conditions",
            "exploitative_conditions",
            "medium",
        ),
        (
            {"work_gate": "continue", "worked": "yes", "phone_earnings": "yes"},
            "phone_earnings_controlled",
            "coercion_destination",
            "medium",
        ),
        (
            {"work_gate": "continue", "hurt_by_controllers": "yes"},
            "exploiter_violence",
            "coercion_destination",
            "strong",
        ),
        (
            {"work_gate": "continue", "forced_offences": "yes"},
            "forced_offences",
            "coercion_destination",
            "strong",
        ),
        ({"documents": ["taken"]}, "documents_held", "coercion_destination", "strong"),
    ],
)
def test_each_missing_indicator_is_asked_with_its_dimension_and_strength(
    screening: Questionnaire, answers: dict[str, Any], flag: str, dimension: str, strength: str
) -> None:
    out = start(screening, age_band="age_18_59", **answers).outcome()
    raised = out.flag(flag)
    assert raised is not None, flag
    assert (raised.dimension, raised.strength) == (dimension, strength)
    assert out.indicators[dimension][strength] >= 1


def test_documents_lost_is_not_an_indicator(screening: Questionnaire) -> None:
    assert "documents_held" not in start(screening, documents=["lost"]).outcome().flag_ids


def test_needs_have_their_pathways(screening: Questionnaire) -> None:
    def ways(**answers: Any) -> list[str]:
        return start(screening, **answers).outcome().pathway_ids

    assert "legal_aid" in ways(age_band="age_18_59", nationality="no")
    assert "legal_aid" in ways(age_band="age_18_59", work_gate="continue", forced_offences="yes")
    assert "mhpss" in ways(age_band="age_18_59", money_gate="continue", held_until_paid="yes")
    assert "special_needs" in ways(age_band="age_60_plus")
    assert "special_needs" in ways(age_band="age_18_59", health_disability="yes")
    assert "special_needs" in ways(age_band="age_18_59", health_pregnant="yes")
    assert "shelter" in ways(age_band="age_18_59", shelter_need="yes")


def test_duty_of_care_flags_are_marked(screening: Questionnaire) -> None:
    assert screening.outcome is not None
    s = start(
        screening,
        urgent_doctor="yes",
        urgent_unsafe="yes",
        urgent_child_alone="yes",
        urgent_self_harm="yes",
        urgent_continue="now",
        age_band="age_14_17",
        travel_with="alone",
    )
    duty = [f.id for f in s.outcome().duty_of_care]
    assert duty == [
        "urgent_medical",
        "unsafe_here",
        "child_alone_here",
        "self_harm",
        "child",
        "separated_child",
    ]
    data = {f["id"]: f["duty_of_care"] for f in s.outcome().to_data()["flags"]}
    assert data == {f: f in duty for f in s.outcome().flag_ids}
    assert data["sections_skipped"] is False  # raised too (gates unanswered), not a duty


def test_pathways_explain_themselves_with_answers(screening: Questionnaire) -> None:
    s = start(
        screening,
        age_band="age_18_59",
        money_gate="continue",
        held_until_paid="yes",
        documents=["held_by_other"],
    )
    out = s.outcome()
    legal = next(p for p in out.pathways if p.id == "legal_aid")
    assert set(legal.because) == {"held_for_ransom", "documents_held"}
    ransom = out.flag("held_for_ransom")
    assert ransom is not None and ransom.because == ("money/held_until_paid",)
    assert ransom.label_in("ar") and ransom.label_in("ar") != ransom.label_in("en")


def test_trafficking_runs_alongside_asylum(screening: Questionnaire) -> None:
    s = start(
        screening,
        age_band="age_18_59",
        return_fear=["war_violence"],
        work_gate="continue",
        worked="yes",
        work_differs="yes",
    )
    s.answer("consent_ref_trafficking", "yes")
    ids = s.outcome().pathway_ids
    assert ids.index("trafficking") < ids.index("international_protection")
    assert {"trafficking", "international_protection"} <= set(ids)


def test_switching_language_keeps_every_answer(screening: Questionnaire) -> None:
    s = start(screening, age_band="age_18_59", health_distress="yes")
    before = s.values()
    for code in SHIPPED:
        s.language = code
        assert s.screen().prompts[0].label(code)
    assert s.values() == before
