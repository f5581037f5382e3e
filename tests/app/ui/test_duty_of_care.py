"""Duty of care survives a withdrawal and an urgent stop: the urgent screen still shows every
duty-of-care item raised so far (urgent safety, self-harm, a child alone, an urgent medical
need), marked as kept or not kept, with the site's contacts; nothing else of a withdrawn
screening is kept, on disk or in the model."""

from __future__ import annotations

from typing import Any

from app.ui import ids
from app.ui.model import AppModel, Route
from tests.app.ui.test_model import start_screening
from tests.app.ui.test_screens import screen, texts, walk

#: a 15-year-old alone who discloses thoughts of self-harm and goes on with the screening
ANSWERS: tuple[tuple[str, Any], ...] = (
    ("interview_language", "ps"),
    ("companion_refuses", "no"),
    ("consent_screening", "yes"),
    ("consent_store", "yes"),
    ("consent_withdrawn", "no"),
    ("urgent_doctor", "no"),
    ("urgent_hurt", "no"),
    ("urgent_pregnant", "no"),
    ("urgent_unsafe", "no"),
    ("urgent_child_alone", "yes"),
    ("urgent_self_harm", "yes"),
    ("urgent_continue", "now"),
    ("age_band", "age_14_17"),
    ("travel_with", "alone"),
    ("child_separated", "yes"),
    ("return_fear", ["war_violence"]),
)
DUTY = ["child_alone_here", "self_harm", "child", "separated_child"]


def disclose(m: AppModel) -> None:
    start_screening(m, lang="ps", worker="en")
    iv = m.interview
    assert iv is not None
    for name, value in ANSWERS:
        iv.answer(name, value)


def identifiers(control: Any) -> list[str]:
    return [c.identifier for c in walk(control) if getattr(c, "identifier", None)]


def test_withdrawal_keeps_nothing_but_the_duty_of_care_on_the_urgent_screen(
    enrolled: AppModel,
) -> None:
    disclose(enrolled)
    enrolled.withdraw()
    assert enrolled.records() == [] and enrolled.drafts() == []
    assert enrolled.interview is None and enrolled.summary_outcome is None
    assert enrolled.route is Route.URGENT
    assert [d["id"] for d in enrolled.duty_of_care or []] == DUTY
    # labels only: no answer of the withdrawn screening is held
    assert all(set(d) == {"id", "label", "description"} for d in enrolled.duty_of_care or [])
    _, body = screen(enrolled)
    shown = texts(body)
    assert "Thoughts of self-harm" in " ".join(shown)
    assert shown.count("Not kept: act on it now, nothing of it is saved") == len(DUTY)
    assert "Kept in the record" not in shown
    assert "Medical point" in shown  # the site's urgent contact
    found = identifiers(body)
    assert [ids.DUTY_OF_CARE + d for d in DUTY] == [
        i for i in found if i in {ids.DUTY_OF_CARE + d for d in DUTY}
    ]
    assert ids.DUTY_OF_CARE_DONE in found and ids.URGENT_CONTINUE not in found
    # a lock does not lose it; the PIN brings it back
    enrolled.lock()
    assert enrolled.route is Route.UNLOCK
    from tests.app.ui.conftest import PIN

    assert enrolled.unlock(PIN)
    assert enrolled.route is Route.URGENT
    enrolled.close_duty_of_care()
    assert enrolled.route is Route.HOME and enrolled.duty_of_care is None


def test_withdrawal_inside_the_questionnaire_keeps_the_duty_of_care(enrolled: AppModel) -> None:
    disclose(enrolled)
    iv = enrolled.interview
    assert iv is not None
    iv.answer("consent_withdrawn", "yes")
    assert iv.session.outcome().flag_ids == []  # the answers no longer count...
    assert enrolled.finish()
    assert enrolled.records() == []
    assert enrolled.route is Route.URGENT and enrolled.summary_outcome is None
    assert [d["id"] for d in enrolled.duty_of_care or []] == DUTY  # ...the duty of care does


def test_withdrawal_with_nothing_urgent_goes_home(enrolled: AppModel) -> None:
    start_screening(enrolled)
    iv = enrolled.interview
    assert iv is not None
    iv.answer("consent_screening", "yes")
    iv.answer("urgent_self_harm", "prefer_not")  # a skip is never a disclosure
    enrolled.withdraw()
    assert enrolled.route is Route.HOME and enrolled.duty_of_care is None


def test_urgent_stop_shows_the_duty_of_care_as_kept_or_not(enrolled: AppModel) -> None:
    for store in ("yes", "no"):
        start_screening(enrolled, worker="en")
        iv = enrolled.interview
        assert iv is not None
        for name, value in (
            ("consent_screening", "yes"),
            ("consent_store", store),
            ("consent_withdrawn", "no"),
            ("urgent_doctor", "yes"),
        ):
            iv.answer(name, value)
        enrolled.route = Route.URGENT
        _, body = screen(enrolled)
        shown = texts(body)
        assert ids.DUTY_OF_CARE + "urgent_medical" in identifiers(body)
        not_kept = "Not kept: act on it now, nothing of it is saved"
        marker = "Kept in the record" if store == "yes" else not_kept
        assert marker in shown, store
        assert ids.URGENT_CONTINUE in identifiers(body)
        enrolled.withdraw()
        enrolled.close_duty_of_care()


def test_a_draft_started_on_the_old_version_finishes_on_it(enrolled: AppModel) -> None:
    """A draft keeps its questionnaire version: one started on 2026.11.1 resumes on the copy in
    questionnaires/archive/, with its old questions; a new screening starts on the new one."""
    from app.engine import Session
    from app.ui.interview import list_questionnaires
    from tests.app.ui.conftest import QUESTIONNAIRES

    old = next(
        i
        for i in list_questionnaires(QUESTIONNAIRES, archived=True)
        if i.load().form_id == "waymark_screening" and i.load().version == "2026.11.1"
    )
    q = old.load()
    assert "forced_acts" in q.by_name  # the old question, split in the new version
    session = Session(q, language="en", worker_language="en")
    for name, value in (("consent_screening", "yes"), ("consent_store", "yes")):
        session.answer(name, value)
    record_id = enrolled.store.new_record(q.form_id, q.version)
    enrolled.store.save_session(
        record_id, {"session": session.to_data(), "worker_language": "en", "consent": {"at": "x"}}
    )
    assert all(
        (i.load().form_id, i.load().version) != (q.form_id, "2026.11.1")
        for i in enrolled.questionnaires()
    )
    assert enrolled.resume(record_id), enrolled.notice
    iv = enrolled.interview
    assert iv is not None and iv.questionnaire.version == "2026.11.1"
    assert iv.session.value("consent_store") == "yes"


def test_the_summary_shows_which_referral_consents_were_given(enrolled: AppModel) -> None:
    start_screening(enrolled, lang="fr", worker="en")
    iv = enrolled.interview
    assert iv is not None
    for name, value in (
        ("interview_language", "fr"),
        ("companion_refuses", "no"),
        ("consent_screening", "yes"),
        ("consent_store", "no"),
        ("consent_withdrawn", "no"),
        ("age_band", "age_18_59"),
        ("money_gate", "continue"),
        ("held_until_paid", "yes"),
        ("consent_ref_health", "yes"),
        ("consent_ref_trafficking", "no"),
    ):
        iv.answer(name, value)
    assert enrolled.finish()
    consents = {c["name"]: c["answer"] for c in (enrolled.summary_outcome or {})["consents"]}
    assert consents == {
        "consent_ref_health": "Yes, I agree",
        "consent_ref_trafficking": "No, I do not agree",
        "consent_ref_other": "",
    }
    _, body = screen(enrolled)
    shown = " ".join(texts(body))
    assert "Consent for each referral" in shown and "Not answered" in shown
    assert ids.REFERRAL_CONSENT + "consent_ref_trafficking" in identifiers(body)
