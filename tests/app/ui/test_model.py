"""The field app's view-models without a browser: each screen's logic over the real store,
engine and agency server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.ui.interview import list_questionnaires
from app.ui.model import AppModel, Route, UiSettings, parse_enrolment_text
from tests.app.ui.conftest import PIN, QUESTIONNAIRES, Agency, Clock


def start_skeleton(m: AppModel, lang: str = "ar", worker: str = "en") -> None:
    m.go(Route.NEW)
    m.choose("form", "skeleton.yaml")
    m.choose("language", lang)
    m.choose("worker_language", worker)
    assert m.start(), m.notice
    assert m.route is Route.CONSENT
    m.consent(True, True)
    assert m.route is Route.INTERVIEW


def answer_skeleton(m: AppModel) -> None:
    iv = m.interview
    assert iv is not None
    iv.answer("case_code", "BG-7")
    m.next()
    iv.answer("travelling_alone", "no")
    m.next()
    iv.answer("companions", "2")
    m.next()


# --- first run, unlock ----------------------------------------------------------------------


def test_first_run_sets_a_pin_then_asks_for_enrolment(model: AppModel) -> None:
    assert model.route is Route.SET_PIN
    assert not model.set_pin("2468", "2469")
    assert model.notice is not None and model.notice.code == "pin_mismatch"
    assert not model.set_pin("12", "12")
    assert model.notice is not None and model.notice.code == "pin_too_short"
    assert model.notice.params["min_length"] == 6
    assert model.set_pin(PIN, PIN)
    assert model.route is Route.ENROL


def test_enrolment_with_the_qr_text_downloads_the_site_configuration(
    model: AppModel, agency: Agency
) -> None:
    model.set_pin(PIN, PIN)
    assert model.enrol(agency.qr_text("belgrade"))
    assert model.route is Route.HOME
    assert model.site() == "belgrade"
    assert [e["name"] for e in model.referral_directory()] == ["Medical point", "Legal aid"]
    keys = [q.key for q in model.questionnaires()]
    assert "skeleton.yaml" in keys and "screening.yaml" in keys


def test_a_spent_or_wrong_code_is_refused_with_a_code(model: AppModel, agency: Agency) -> None:
    model.set_pin(PIN, PIN)
    text = agency.qr_text()
    assert model.enrol(text)
    assert not model.enrol(text)  # a one-time code
    assert model.notice is not None and model.notice.code not in ("", "unexpected_error")
    assert not model.enrol("", "http://agency.test")
    assert model.notice.code == "enrolment_code_missing"
    assert not model.enrol("ABCD-EFGH-JKMN")
    assert model.notice.code == "server_address_missing"


def test_parse_enrolment_text() -> None:
    qr = '{"waymark":1,"url":"http://a.test","code":"ab12-cd34","fp":"00ff"}'
    assert parse_enrolment_text(qr) == ("AB12-CD34", "http://a.test", "00ff")
    assert parse_enrolment_text(" ab12 cd34 ", "http://b.test") == (
        "AB12CD34",
        "http://b.test",
        None,
    )
    assert parse_enrolment_text("{not json", "x")[0] == ""


def test_wrong_pin_reports_tries_left_and_right_pin_opens_home(enrolled: AppModel) -> None:
    enrolled.lock()
    assert enrolled.route is Route.UNLOCK
    assert not enrolled.unlock("000000")
    assert enrolled.notice is not None and enrolled.notice.code == "wrong_pin"
    assert enrolled.notice.params["remaining"] >= 1
    assert enrolled.unlock(PIN)
    assert enrolled.route is Route.HOME


def test_screens_behind_the_lock_cannot_be_reached(enrolled: AppModel) -> None:
    enrolled.lock()
    enrolled.go(Route.RECORDS)
    assert enrolled.route is Route.UNLOCK


# --- new screening, consent, interview ------------------------------------------------------


def test_start_needs_a_questionnaire_and_both_languages(enrolled: AppModel) -> None:
    enrolled.go(Route.NEW)
    assert not enrolled.start()
    assert enrolled.notice is not None and enrolled.notice.code == "choose_form_and_languages"
    enrolled.choose("form", "skeleton.yaml")
    assert not enrolled.can_start()  # no respondent's language yet
    enrolled.choose("language", "ar")
    assert enrolled.can_start()


def test_declined_consent_keeps_nothing(enrolled: AppModel) -> None:
    enrolled.go(Route.NEW)
    for k, v in (("form", "skeleton.yaml"), ("language", "fr"), ("worker_language", "en")):
        enrolled.choose(k, v)
    assert enrolled.start()
    assert not enrolled.consent(True, False)  # not both: nothing begins, nothing is deleted
    assert enrolled.route is Route.CONSENT and len(enrolled.records()) == 1
    assert enrolled.notice is not None and enrolled.notice.code == "consent_needs_both"
    enrolled.decline_consent()
    assert enrolled.route is Route.HOME
    assert enrolled.records() == []


def test_interview_in_interpreter_mode_shows_both_languages(enrolled: AppModel) -> None:
    start_skeleton(enrolled, "ar", "en")
    view = enrolled.interview.view()  # type: ignore[union-attr]
    assert view.rtl and not view.worker_rtl
    (prompt,) = view.prompts
    assert prompt.label == "رمز الملف" and prompt.worker_label == "Case code"
    assert view.done == 0 and view.total >= 2


def test_a_required_answer_blocks_next_with_its_code(enrolled: AppModel) -> None:
    start_skeleton(enrolled)
    iv = enrolled.interview
    assert iv is not None
    enrolled.next()
    view = iv.view()
    assert view.prompts[0].name == "case_code"
    assert [e["code"] for e in view.prompts[0].errors] == ["required"]


def test_language_switch_mid_interview_keeps_every_answer(enrolled: AppModel) -> None:
    start_skeleton(enrolled)
    iv = enrolled.interview
    assert iv is not None
    iv.answer("case_code", "BG-1")
    enrolled.next()
    iv.answer("travelling_alone", "yes")
    iv.set_language("fr")
    iv.set_worker_language("ar")
    view = iv.view()
    assert view.language == "fr" and view.worker_language == "ar"
    assert view.prompts[0].label == "Voyagez-vous seul(e) ?"
    assert [c.value for c in view.prompts[0].choices if c.selected] == ["yes"]
    assert iv.session.values()["case_code"] == "BG-1"


def test_finish_seals_the_record_and_sync_delivers_it(enrolled: AppModel, agency: Agency) -> None:
    start_skeleton(enrolled)
    answer_skeleton(enrolled)
    assert enrolled.interview is not None and enrolled.interview.at_end
    assert enrolled.finish()
    assert enrolled.route is Route.SUMMARY
    assert enrolled.summary_outcome is not None
    assert len(enrolled.pending()) == 1
    seen: list[tuple[int, int, int]] = []
    state = enrolled.sync_now(
        lambda: seen.append((enrolled.sync.sent, enrolled.sync.total, enrolled.sync.errors))
    )
    assert (state.sent, state.total, state.errors, state.error_code) == (1, 1, 0, None)
    assert seen and seen[-1] == (1, 1, 0)
    assert state.last_sync is not None
    (record,) = agency.envelopes()
    assert record["values"]["case_code"] == "BG-7"
    assert record["values"]["companions"] == 2
    assert record["language"] == "ar"
    assert record["consent"]["screening"] and record["consent"]["storing"]
    assert set(record) >= {
        "record_id",
        "device_id",
        "form_id",
        "form_version",
        "started_at",
        "finalised_at",
        "outcome",
    }
    assert enrolled.pending() == []


def test_sync_without_a_reachable_server_says_so_and_keeps_the_record(
    enrolled: AppModel,
) -> None:
    start_skeleton(enrolled)
    answer_skeleton(enrolled)
    enrolled.finish()

    def unreachable(url: str, token: str | None) -> Any:
        import httpx

        from sync.client import SyncClient

        def fail(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("down", request=request)

        return SyncClient(url, token, transport=httpx.MockTransport(fail))

    enrolled.sync_factory = unreachable
    state = enrolled.sync_now()
    assert state.error_code == "unreachable"
    assert state.sent == 0
    assert len(enrolled.pending()) == 1


def test_pause_keeps_a_draft_that_resumes_where_it_was(enrolled: AppModel) -> None:
    start_skeleton(enrolled)
    iv = enrolled.interview
    assert iv is not None
    iv.answer("case_code", "BG-2")
    enrolled.next()
    enrolled.pause()
    assert enrolled.route is Route.HOME and enrolled.interview is None
    (draft,) = enrolled.drafts()
    assert enrolled.resume(draft.id)
    assert enrolled.route is Route.INTERVIEW
    view = enrolled.interview.view()  # type: ignore[union-attr]
    assert view.prompts[0].name == "travelling_alone"
    assert enrolled.interview.session.values()["case_code"] == "BG-2"  # type: ignore[union-attr]


def test_quick_exit_hides_and_locks_and_the_pin_resumes(enrolled: AppModel) -> None:
    start_skeleton(enrolled)
    iv = enrolled.interview
    assert iv is not None
    iv.answer("case_code", "BG-3")
    enrolled.next()
    enrolled.quick_exit()
    assert enrolled.route is Route.UNLOCK
    assert enrolled.interview is None and enrolled.store.locked
    assert enrolled.unlock(PIN)
    assert enrolled.route is Route.INTERVIEW
    assert enrolled.interview is not None
    assert enrolled.interview.view().prompts[0].name == "travelling_alone"
    assert enrolled.interview.session.values()["case_code"] == "BG-3"


def test_idle_tablet_locks_itself(enrolled: AppModel, clock: Clock) -> None:
    start_skeleton(enrolled)
    enrolled.set_auto_lock(60)
    clock.now += 30
    assert not enrolled.check_idle()
    clock.now += 31
    assert enrolled.check_idle()
    assert enrolled.route is Route.UNLOCK and enrolled.interview is None
    assert enrolled.paused_record is not None


def test_an_unlock_long_after_the_idle_lock_is_not_locked_again_at_once(
    enrolled: AppModel, clock: Clock
) -> None:
    """The idle time starts at the unlock: a worker who comes back after an hour is not sent
    back to the PIN at the next tick."""
    start_skeleton(enrolled)
    enrolled.set_auto_lock(60)
    clock.now += 61
    assert enrolled.check_idle()
    clock.now += 3600
    assert enrolled.unlock(PIN)
    assert not enrolled.check_idle()
    assert enrolled.route is Route.INTERVIEW
    clock.now += 61
    assert enrolled.check_idle()  # and idle again, it locks again


def test_break_prompt_after_twenty_minutes_of_interview(enrolled: AppModel, clock: Clock) -> None:
    start_skeleton(enrolled)
    assert not enrolled.break_due()
    clock.now += 20 * 60
    assert enrolled.break_due()
    enrolled.dismiss_break()
    assert not enrolled.break_due()


def test_settings_persist_and_refuse_what_is_not_offered(
    enrolled: AppModel, tmp_path: Path
) -> None:
    enrolled.set_language("fa")
    enrolled.set_text_scale(1.5)
    enrolled.set_auto_lock(300)
    again = UiSettings.load(tmp_path / "device" / "ui-settings.json")
    assert (again.language, again.text_scale, again.auto_lock_seconds) == ("fa", 1.5, 300)
    assert enrolled.store.settings.idle_lock_seconds == 300
    with pytest.raises(ValueError):
        enrolled.set_language("xx")
    with pytest.raises(ValueError):
        enrolled.set_text_scale(3.0)
    with pytest.raises(ValueError):
        enrolled.set_auto_lock(5)


def test_records_list_holds_routing_metadata_only(enrolled: AppModel) -> None:
    start_skeleton(enrolled)
    enrolled.interview.answer("case_code", "SECRET-CODE")  # type: ignore[union-attr]
    rows = enrolled.records()
    assert len(rows) == 1
    assert "SECRET-CODE" not in repr(rows)


def test_questionnaires_that_do_not_load_are_left_out(tmp_path: Path) -> None:
    folder = tmp_path / "q"
    folder.mkdir()
    (folder / "broken.yaml").write_text("form_id: [unclosed", "utf-8")
    (folder / "skeleton.yaml").write_bytes((QUESTIONNAIRES / "skeleton.yaml").read_bytes())
    assert [q.key for q in list_questionnaires(folder)] == ["skeleton.yaml"]


def test_prefer_not_to_say_uses_the_questionnaires_skip_choice(enrolled: AppModel) -> None:
    enrolled.go(Route.NEW)
    for k, v in (("form", "screening.yaml"), ("language", "ar"), ("worker_language", "en")):
        enrolled.choose(k, v)
    assert enrolled.start(), enrolled.notice
    enrolled.consent(True, True)
    iv = enrolled.interview
    assert iv is not None
    for _ in range(40):
        view = iv.view()
        skip = [p for p in view.prompts if any(c.value == "prefer_not" for c in p.choices)]
        if skip:
            iv.prefer_not_to_say(skip[0].name)
            assert iv.session.values().get(iv._path(skip[0].name)) in ("prefer_not", ["prefer_not"])
            return
        for p in view.prompts:
            if p.answerable and p.choices:
                pick = "no" if "withdraw" in p.name else p.choices[0].value
                iv.answer(p.name, [pick] if p.multiple else pick)
            elif p.answerable and p.type == "text":
                iv.answer(p.name, "x")
            elif p.answerable and p.type == "integer":
                iv.answer(p.name, "20")
        if view.at_end:
            break
        enrolled.next()
    pytest.fail("no question with a prefer-not-to-say choice was reached")


def start_screening(m: AppModel, lang: str = "ar", worker: str = "en") -> None:
    m.go(Route.NEW)
    for k, v in (("form", "screening.yaml"), ("language", lang), ("worker_language", worker)):
        m.choose(k, v)
    assert m.start(), m.notice


def test_a_questionnaire_that_asks_consent_itself_skips_the_consent_screen(
    enrolled: AppModel,
) -> None:
    start_screening(enrolled)
    assert enrolled.route is Route.INTERVIEW
    view = enrolled.interview.view()  # type: ignore[union-attr]
    # the set-up group is for the worker only: drawn in the worker's language
    assert view.worker_only and view.shown_language == "en"
    assert (
        view.prompts[0].label == "Ask first: which gender does the person prefer for the "
        "interviewer and interpreter?"
    )


def test_no_to_keeping_the_record_keeps_nothing_but_shows_the_summary(
    enrolled: AppModel,
) -> None:
    start_screening(enrolled)
    iv = enrolled.interview
    assert iv is not None
    for name, value in (
        ("interview_language", "ar"),
        ("consent_screening", "yes"),
        ("consent_store", "no"),
        ("consent_withdrawn", "no"),
        ("documents", ["held_by_other"]),
    ):
        iv.answer(name, value)
    assert not iv.keep_record()
    assert enrolled.finish()
    assert enrolled.route is Route.SUMMARY
    assert enrolled.notice is not None and enrolled.notice.code == "no_consent_nothing_kept"
    assert enrolled.records() == [] and enrolled.pending() == []


def test_consent_answers_travel_in_the_sealed_record(enrolled: AppModel, agency: Agency) -> None:
    start_screening(enrolled)
    iv = enrolled.interview
    assert iv is not None
    for name, value in (
        ("interview_language", "ar"),
        ("consent_screening", "yes"),
        ("consent_store", "yes"),
        ("consent_withdrawn", "no"),
    ):
        iv.answer(name, value)
    assert iv.keep_record()
    assert enrolled.finish()
    enrolled.sync_now()
    (record,) = agency.envelopes()
    assert record["consent"]["consent_store"] == "yes"
    assert record["consent"]["asked_by"] == "questionnaire"


def test_withdrawal_deletes_the_draft_at_once(enrolled: AppModel) -> None:
    start_skeleton(enrolled)
    enrolled.interview.answer("case_code", "W-1")  # type: ignore[union-attr]
    enrolled.withdraw()
    assert enrolled.route is Route.HOME and enrolled.interview is None
    assert enrolled.records() == []


def test_the_workers_interface_language_is_offered_first(enrolled: AppModel) -> None:
    enrolled.set_language("fr")
    enrolled.go(Route.NEW)
    enrolled.choose("form", "skeleton.yaml")
    assert enrolled.new_choice["worker_language"] == "fr"
    assert not enrolled.can_start()  # the respondent's language is always chosen


def test_the_servers_questionnaires_replace_the_local_folder(tmp_path: Path) -> None:
    import base64

    folder = tmp_path / "q"
    folder.mkdir()
    (folder / "skeleton.yaml").write_bytes((QUESTIONNAIRES / "skeleton.yaml").read_bytes())
    screening = base64.b64encode((QUESTIONNAIRES / "screening.yaml").read_bytes()).decode()
    keys = [q.key for q in list_questionnaires(folder, {"screening.yaml": screening})]
    assert keys == ["screening.yaml"]  # the test questionnaire no longer sits beside it
    assert [q.key for q in list_questionnaires(folder, {})] == ["skeleton.yaml"]


def test_a_configured_questionnaire_is_parsed_once_per_content(tmp_path: Path) -> None:
    """Every tap on the new-screening screen lists the questionnaires; the server's copy is
    parsed once (the 48-screen screening takes about a second), and again only when it
    changes."""
    import base64

    skeleton = (QUESTIONNAIRES / "skeleton.yaml").read_bytes()
    first = base64.b64encode(skeleton).decode()
    (a,) = list_questionnaires(None, {"skeleton.yaml": first})
    (b,) = list_questionnaires(None, {"skeleton.yaml": first})
    assert a is b and a._loaded is not None  # the same parsed questionnaire
    changed = base64.b64encode(skeleton.replace(b"version:", b"# edited\nversion:", 1)).decode()
    (c,) = list_questionnaires(None, {"skeleton.yaml": changed})
    assert c is not a and c.data != a.data
