"""The draft translations of the default screening stay consistent with the English: every
finding of the back-translation review is resolved (locales/reviews/), yes/no answers say yes
and no, a negation is kept, child-only texts are shown only in child mode, texts that may reach
an adult use the adult register and include girls where the language marks gender, and the
interface catalogs carry none of the words the review or the neutral-word list rule out."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.engine import Questionnaire, Session
from tests.questionnaires.conftest import ROOT, SHIPPED

REVIEW = ROOT / "locales" / "reviews" / "screening-translations-2026-12.tsv"
CATALOGS = ROOT / "locales"
RESOLUTIONS = ("fixed as suggested", "fixed otherwise: ", "kept: ")

#: how each language says yes and no at the start of an answer
YES = {
    "en": "Yes",
    "fr": "Oui",
    "ar": "نعم",
    "fa": "بله",
    "ps": "هو",
    "ur": "جی ہاں",
    "ti": "እወ",
    "so": "Haa",
}
NO = {
    "en": "No",
    "fr": "Non",
    "ar": "لا",
    "fa": "نه",
    "ps": "نه",
    "ur": "نہیں",
    "ti": "ኣይፋል",
    "so": "Maya",
}
#: English negation, and the markers of a negation in each language (particles and affixes)
EN_NEGATION = re.compile(r"\b(not|no|never|nobody|without)\b|n't", re.IGNORECASE)
NEGATION = {
    "fr": re.compile(r"\b(ne|n'|pas|jamais|sans|aucun|aucune|personne|non)\b|\bn'", re.IGNORECASE),
    "ar": re.compile(r"(^|\s)(و|ف)?(لا|ألا|لم|لن|ليس|ليست|لست|دون|بدون|من دون|غير|بالرفض)"),
    "fa": re.compile(
        r"(^|\s)(نه|نمی|ن[ا-ی]+د|نکرد|نیست|بدون|هیچ|ندار|نداشت|نخواه|نگذار|نشد|نگه|نگوی|منفی|"
        r"برخلاف|خلاف)"
    ),
    # (نه also after a verb prefix: ونه، ورنه، درنه، رانه)
    "ps": re.compile(r"(^|\s)(و|ور|در|را)?نه(\s|$|[،؟.])|(^|\s)(نشته|مه|پرته|بې|هېڅ|خلاف)"),
    "ur": re.compile(r"(^|\s)(نہیں|نہ|بغیر|کبھی|انکار|خلاف)"),
    "ti": re.compile(r"(ኣይ|ኣየ|ዘይ|የለን|የብሉን|ብዘይ|ዋላ)"),
    "so": re.compile(
        r"\b(ma|maya|aan|aadan|la'aan|ha|lama|lagaama|weligaa|weligay|kuma|uma|kama|mana|"
        r"waayo|waayay|diiday|diidayaa|inaanan|aanan|cidna)\b",
        re.IGNORECASE,
    ),
}
#: the informal "you" (and its forms), which must not reach an adult
INFORMAL = {
    "fr": re.compile(r"\b(tu|toi|ton|ta|tes|te)\b|\bt'", re.IGNORECASE),
    "fa": re.compile(r"(^|\s)تو(\s|$|[،؟.])|(ات|ت)(\s|$)(?=.*؟)"),
    # ("ته" alone is also the postposition "to": only the forms that can only be "you")
    "ps": re.compile(r"(^|\s)(ستا|تا ته|تاته)(\s|$|[،؟.])"),
    "ur": re.compile(r"(^|\s)(تم|تمہیں|تمہارے|تمہاری|تمہارا|تجھے|تیرا)(\s|$|[،؟.])"),
    "ti": re.compile(r"(ካ|ኻ)(?=[\s፣።?፤]|$)"),
}
#: masculine-only forms of address the Arabic child texts must not use alone
ARABIC_MASCULINE = re.compile(r"(متزوج|تذهب|تغادر|تثق|ترغب|تريد)(?!/)")
#: phrases the review found to change the meaning; none may come back, in any catalog either
FLAGGED = {
    "ps": ["لوی سړی", "ته چمتو یاست"],
    "so": [
        "waa la ii hayn",
        "lacag aad lagu leeyahay",
        "Halkan ku joog",
        "kuu ballan qaaday",
        "mana doonan",
        "waa lagu ilaalin jiray",
        "meel laguu hayay",
    ],
    "ti": ["ዝተለቅሖ", "ቃል ኣትዩልካ", "ዝወረደኩም ጉድኣት", "ዝሓበረኩም", "ትቋጻጸሩ", "ብዚ ሕቶታት ቀጽል", "ነዚ ክፍሊ ሕለፎ"],
    "fa": ["آسیب‌هایی است که"],
}


def review_rows() -> list[dict[str, str]]:
    with REVIEW.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def text_at(raw: dict[str, Any], path: str, lang: str) -> str:
    """The text at a review path: survey/<group>/<name>/label or choices/<list>/<name>/label."""
    kind, where, name, key = path.split("/")
    if kind == "choices":
        return str(next(c for c in raw["choices"][where] if c["name"] == name)[key][lang])

    def walk(items: list[dict[str, Any]]) -> dict[str, Any] | None:
        for it in items:
            if it.get("name") == name:
                return it
            found = walk(it.get("children") or [])
            if found:
                return found
        return None

    item = walk(raw["survey"])
    assert item is not None, path
    return str(item[key][lang])


def test_every_review_finding_is_resolved_in_the_questionnaire(
    raw_screening: dict[str, Any],
) -> None:
    rows = review_rows()
    assert len(rows) == 21
    for row in rows:
        where = f"{row['language']} {row['item']}"
        assert row["resolution"].startswith(RESOLUTIONS), where
        paths = [p.strip().split(" ")[0] for p in row["item"].split(" + ")]
        now = " / ".join(text_at(raw_screening, p, row["language"]) for p in paths)
        assert now == row["text_now"], where
        if not row["resolution"].startswith("kept"):
            assert now != row["target_text"], where
        if row["resolution"] == "fixed as suggested":
            suggested = row["suggested_fix"].split(" (")[0].replace("… ", "").strip()
            assert suggested in now or now.endswith(suggested), where


def _choice_lists_with_yes_no(screening: Questionnaire) -> Iterator[str]:
    for name, choices in screening.choices.items():
        if {"yes", "no"} <= {c.name for c in choices}:
            yield name


def test_yes_and_no_answers_say_yes_and_no_in_every_language(screening: Questionnaire) -> None:
    lists = list(_choice_lists_with_yes_no(screening))
    assert {"yes_no", "yns", "consent"} <= set(lists)
    for name in lists:
        for choice in screening.choices[name]:
            if choice.name not in ("yes", "no"):
                continue
            for lang in SHIPPED:
                word = (YES if choice.name == "yes" else NO)[lang]
                assert choice.label[lang].startswith(word), (name, choice.name, lang)


def _respondent_texts(raw: dict[str, Any]) -> Iterator[tuple[str, dict[str, str]]]:
    def walk(items: list[dict[str, Any]], worker: bool) -> Iterator[tuple[str, dict[str, str]]]:
        for it in items:
            here = worker or "worker-only" in str(it.get("appearance", "")).split()
            if not here:
                for key in ("label", "hint"):
                    if isinstance(it.get(key), dict):
                        yield f"{it['name']}/{key}", it[key]
            yield from walk(it.get("children") or [], here)

    yield from walk(raw["survey"], False)
    for list_name, choices in raw["choices"].items():
        if list_name in ("interview_languages", "interpreter", "gender_pref"):
            continue
        for c in choices:
            yield f"choices/{list_name}/{c['name']}", c["label"]


def test_a_negation_in_the_english_is_kept_in_every_language(
    raw_screening: dict[str, Any],
) -> None:
    checked = 0
    for where, text in _respondent_texts(raw_screening):
        if not EN_NEGATION.search(text["en"]):
            continue
        checked += 1
        for lang, marker in NEGATION.items():
            assert marker.search(text[lang]), (where, lang, text[lang])
    assert checked >= 25


def test_the_negation_check_would_catch_a_dropped_negation() -> None:
    assert not NEGATION["fr"].search("Pouvez-vous arrêter ce travail et partir ?")
    assert not NEGATION["so"].search("Waan ogolahay")


def _child_mode_items(screening: Questionnaire) -> list[str]:
    """Items whose own relevance, or a group's, asks for child mode (read from the YAML)."""
    import yaml

    from tests.questionnaires.conftest import SCREENING

    raw = yaml.safe_load(SCREENING.read_text(encoding="utf-8"))
    out: list[str] = []

    def walk(items: list[dict[str, Any]], inherited: bool) -> None:
        for it in items:
            here = inherited or "${child_mode} = 'yes'" in str(it.get("relevant", ""))
            if here and it.get("name"):
                out.append(str(it["name"]))
            walk(it.get("children") or [], here)

    walk(raw["survey"], False)
    return out


def test_child_only_texts_are_shown_only_in_child_mode(screening: Questionnaire) -> None:
    child_only = _child_mode_items(screening)
    assert {"child_welcome", "child_separated", "child_married", "child_owe", "child_hurt"} <= set(
        child_only
    )
    # and every text written for a child is one of them
    written_for_a_child = {
        i.name for i in screening.items if i.name.startswith("child_") and i.type != "calculate"
    }
    assert written_for_a_child <= set(child_only)
    open_all = {
        "money_gate": "continue",
        "work_gate": "continue",
        "worked": "yes",
        "safety_gate": "continue",
    }
    for band, shown in (("age_18_59", False), ("adult_unsure", False), ("age_14_17", True)):
        s = Session(screening, language="en")
        for name, value in {
            "interview_language": "en",
            "companion_refuses": "no",
            "consent_screening": "yes",
            "consent_store": "yes",
            "consent_withdrawn": "no",
            "age_band": band,
            **open_all,
        }.items():
            s.answer(name, value)
        for name in child_only:
            if screening.item(name).type in ("group", "calculate"):
                continue
            assert s.relevant(name) is shown, (band, name)


def test_texts_that_may_reach_an_adult_use_the_adult_register(
    raw_screening: dict[str, Any],
) -> None:
    """Child mode also covers an age doubted, refused or not given, so no respondent-facing text
    uses the informal "you"."""
    checked = 0
    for where, text in _respondent_texts(raw_screening):
        for lang, informal in INFORMAL.items():
            if lang == "fa":  # Farsi: the pronoun only (suffixes are too ambiguous to match)
                assert not re.search(r"(^|\s)تو(\s|$|[،؟.])", text[lang]), (where, lang)
                continue
            assert not informal.search(text[lang]), (where, lang, text[lang])
        checked += 1
    assert checked > 100


def test_child_texts_include_girls_where_the_language_marks_gender(
    screening: Questionnaire,
) -> None:
    for name in _child_mode_items(screening):
        item = screening.item(name)
        if item.type in ("group", "calculate") or not item.label:
            continue
        assert not ARABIC_MASCULINE.search(item.label["ar"]), (name, item.label["ar"])
        # Tigrinya: the respectful plural, which does not mark gender
        assert not INFORMAL["ti"].search(item.label["ti"]), (name, item.label["ti"])


def test_the_register_check_would_catch_the_informal_you() -> None:
    assert INFORMAL["fr"].search("Es-tu ici sans ta mère ?")
    assert INFORMAL["ti"].search("ተመርዕኻ ዲኻ፣ ወይ ሓደ ሰብ ንመርዓ ቃል ኣትዩልካ ዶ?")
    assert ARABIC_MASCULINE.search("هل أنت متزوج، أو هل وعد أحد بتزويجك؟")
    assert not ARABIC_MASCULINE.search("هل أنت متزوج/ة؟")


def _catalog_strings(lang: str) -> list[str]:
    from babel.messages.pofile import read_po

    path = CATALOGS / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    return [str(m.string) for m in catalog if m.id and m.string]


@pytest.mark.parametrize("lang", [c for c in SHIPPED if c != "en"])
def test_no_flagged_phrase_in_the_questionnaire_or_the_interface_catalogs(
    raw_screening: dict[str, Any], sensitive_words: dict[str, list[str]], lang: str
) -> None:
    from tests.questionnaires.test_screening import find_sensitive

    questionnaire = [t[lang] for _, t in _respondent_texts(raw_screening)]
    catalog = _catalog_strings(lang)
    assert len(catalog) > 300
    for phrase in FLAGGED.get(lang, []):
        for text in questionnaire + catalog:
            assert phrase not in text, (lang, phrase, text)
    for text in catalog:
        assert find_sensitive(text, sensitive_words[lang]) == [], (lang, text)
    if lang == "ti":  # "continue" to a worker in the respectful plural, as in the questionnaire
        assert not any(re.search(r"ቀጽል(?=\s|$)", text) for text in catalog)


def test_the_review_copy_sits_beside_the_catalogs() -> None:
    assert REVIEW.is_file()
    assert Path(REVIEW).parent.name == "reviews"
