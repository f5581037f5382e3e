"""A record read in words, and corrections checked by the engine, through the console."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.console.errors import ConsoleError
from app.console.model import Console
from app.console.reading import Kind
from app.console.words import message
from app.i18n import isolate, translator
from app.store import crypto
from tests.app.console.agency import TRAFFICKING, Agency

FORMS = Path(__file__).parent / "forms"
VALUES = {
    "go": "yes",
    "setup/interpreter": "not_known",
    "intro/name": "Amina",
    "intro/age": 31,
    "journey/documents": ["held_by_other", "lost"],
    "close/consent_ref_health": "yes",
    "start": "2026-11-30T10:00:00",
}


@pytest.fixture
def worded(agency: Agency, tmp_path: Path) -> Iterator[tuple[Console, str]]:
    c = Console("http://agency", agency.token, tmp_path / "cw", actor="Ana",
                transport=agency.transport(), kdf=crypto.TEST_KDF, questionnaires_dir=FORMS)
    c.unlock(agency.keys.private_pem, agency.passphrase)
    rid = agency.upload("north", TRAFFICKING, dict(VALUES))
    c.pull()
    yield c, rid
    c.lock()


def test_labels_in_the_coordinators_language_with_groups_as_headings(
    worded: tuple[Console, str],
) -> None:
    c, rid = worded
    en = c.words(rid, "en")
    assert en is not None
    assert [s.heading for s in en.sections] == ["About you", "The journey", "Referrals"]
    journey = {r.path: r for r in en.sections[1].readings}
    assert journey["journey/documents"].label == "Where are your documents?"
    assert journey["journey/documents"].words == "Held by someone else, Lost"
    ar = c.words(rid, "ar")
    assert ar is not None
    docs = {r.path: r for s in ar.sections for r in s.readings}["journey/documents"]
    assert (docs.label, docs.words) == ("أين وثائقك؟", "يحتفظ بها شخص آخر, ضائعة")
    # French has no label for the name: the questionnaire's default language fills in
    fr = c.words(rid, "fr")
    assert fr is not None
    name = {r.path: r for s in fr.sections for r in s.readings}["intro/name"]
    assert name.label == "Name (optional)"
    assert fr.sections[0].heading == "À propos de vous"
    # a language the questionnaire does not have at all: its default
    so = c.words(rid, "so")
    assert so is not None and so.language == "en"


def test_worker_only_calculated_and_metadata_are_set_apart(worded: tuple[Console, str]) -> None:
    c, rid = worded
    w = c.words(rid, "en")
    assert w is not None
    person = {r.path for s in w.sections for r in s.readings}
    assert "setup/interpreter" not in person and "go" not in person
    [setup] = w.worker
    assert setup.heading == "Before you start (worker only)" and setup.worker_only
    [interp] = setup.readings
    assert (interp.words, interp.kind, interp.correctable) == (
        "Not known to the person", Kind.worker, True)
    assert [(r.path, r.kind, r.correctable) for r in w.calculated] == [
        ("go", Kind.calculated, False)]
    assert [(r.path, r.correctable) for r in w.meta] == [("start", False)]


def test_a_calculated_field_is_not_correctable(worded: tuple[Console, str]) -> None:
    c, rid = worded
    with pytest.raises(ConsoleError) as err:
        c.correct(rid, "go", "corrected value")
    assert (err.value.code, err.value.params["reason"]) == ("correction_refused", "not_correctable")
    with pytest.raises(ConsoleError) as err:
        c.correct(rid, "start", "2026-01-01")
    assert err.value.params["reason"] == "not_correctable"
    assert c.store.corrections(rid) == []


def test_a_correction_refused_by_the_constraint_type_or_choices(
    worded: tuple[Console, str],
) -> None:
    c, rid = worded
    for path, value, reason in [
        ("intro/age", "130", "constraint"),
        ("intro/age", "thirty", "invalid_integer"),
        ("setup/interpreter", "my cousin", "unknown_choice"),
        ("journey/documents", ["with_me", "burnt"], "unknown_choice"),
    ]:
        with pytest.raises(ConsoleError) as err:
            c.correct(rid, path, value)
        assert (err.value.code, err.value.params["reason"]) == ("correction_refused", reason)
    with pytest.raises(ConsoleError) as err:
        c.correct(rid, "intro/age", "130", lang="fr")
    words = message(translator("fr"), err.value.code, err.value.params)
    assert "Un âge de 0 à 120." in words  # the questionnaire's own message, in French
    assert c.store.corrections(rid) == []


def test_a_correction_the_engine_accepts_keeps_the_original(worded: tuple[Console, str]) -> None:
    c, rid = worded
    fix = c.correct(rid, "intro/age", "32", reason="asked by the person")
    assert fix.value == 32  # stored typed, as the engine stores it
    c.correct(rid, "journey/documents", ["with_me"])
    w = c.words(rid, "en")
    assert w is not None
    readings = {r.path: r for s in w.sections for r in s.readings}
    assert (readings["intro/age"].words, readings["intro/age"].original_words) == ("32", "31")
    assert readings["journey/documents"].words == "With me"
    assert readings["journey/documents"].original_words == "Held by someone else, Lost"
    [first] = c.store.record(rid)
    assert first.payload["values"]["intro/age"] == 31  # the sealed record is unchanged


def test_no_questionnaire_no_correction(agency: Agency, console: Console) -> None:
    rid = agency.upload("north", TRAFFICKING, {"intro/age": 3})
    console.questionnaires_dir = None  # a console given no questionnaires folder
    console.pull()
    assert console.words(rid, "en") is None
    with pytest.raises(ConsoleError) as err:
        console.correct(rid, "intro/age", "4")
    assert err.value.code == "questionnaire_missing"


def test_codes_dates_and_paths_are_isolated_for_right_to_left_text() -> None:
    assert isolate("2026-W49") == "\u20662026-W49\u2069"
    assert isolate("journey/documents").startswith("\u2066")
    assert isolate("") == ""
