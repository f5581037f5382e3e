"""The field app in Debian chromium against a real agency server, both served offline.

Each test drives the app the way a worker would (taps, keyboard typing), at the phone and the
tablet viewport, and writes screenshots of the screens it passes through to the artifacts
folder. The server is the real FastAPI app in its own process with a real agency key; the
store is the real encrypted store with the real key derivation.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.ui import ids
from tests.e2e.conftest import (  # noqa: F401 - the names other test modules import from here
    ENROL_CODE,
    KEY_CODE,
    PIN,
    SITE_CONFIG,
    Agency,
    choose,
    choose_answer,
    stored_envelopes,
    tap_when_enabled,
)

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def tap_enabled(ui: Any, page: Any, ident: str) -> None:
    """``conftest.tap_when_enabled``, in the ``(ui, page, ident)`` form these tests use."""
    tap_when_enabled(page, ident)


def tap_choice(ui: Any, page: Any, ident: str) -> None:
    """``conftest.choose``, in the ``(ui, page, ident)`` form these tests use."""
    choose(page, ident)


def tap_answer(ui: Any, page: Any, ident: str, within: Any) -> None:
    """``conftest.choose_answer``, in the ``(ui, page, ident, within)`` form."""
    choose_answer(page, ident, within)


def shot(ui: Any, page: Any, artifacts: Path, viewport: str, name: str) -> None:
    ui.settled_screenshot(page, artifacts / "field-app" / f"{viewport}-{name}.png")


@pytest.mark.parametrize("viewport", ["phone", "tablet"])
def test_skeleton_screening_is_sealed_and_sent(
    viewport: str, agency: Agency, serve_app: Any, app_page: Any, artifacts_dir: Path, ui: Any
) -> None:
    server = serve_app()
    page = app_page(server, ui.VIEWPORTS[viewport])
    shot(ui, page, artifacts_dir, viewport, "01-set-pin")
    ui.set_pin(page, PIN)
    ui.wait_screen(page, "enrol")
    shot(ui, page, artifacts_dir, viewport, "02-enrol")
    ui.enrol(page, agency.enrolment_text())
    ui.wait_screen(page, "home")
    shot(ui, page, artifacts_dir, viewport, "03-home")

    ui.tap(page, ids.START_SCREENING)
    ui.wait_screen(page, "new")
    tap_choice(ui, page, ids.FORM + "skeleton.yaml")
    tap_choice(ui, page, ids.LANGUAGE + "ar")
    tap_choice(ui, page, ids.WORKER_LANGUAGE + "en")
    shot(ui, page, artifacts_dir, viewport, "04-new-screening")
    tap_enabled(ui, page, ids.BEGIN)
    ui.wait_screen(page, "consent")
    ui.tap(page, ids.CONSENT_SCREENING)
    ui.tap(page, ids.CONSENT_STORING)
    shot(ui, page, artifacts_dir, viewport, "05-consent")
    tap_enabled(ui, page, ids.CONSENT_AGREE)
    ui.wait_screen(page, "interview")

    ui.type_into(page, ids.ANSWER_FIELD + "case_code", "BG-0042")
    shot(ui, page, artifacts_dir, viewport, "06-question-text")
    ui.tap(page, ids.NEXT)
    ui.by_id(page, ids.CHOICE + "no").first.wait_for()
    tap_answer(ui, page, ids.CHOICE + "no", page)
    shot(ui, page, artifacts_dir, viewport, "07-question-choice")
    ui.tap(page, ids.NEXT)
    ui.by_id(page, ids.ANSWER_FIELD + "companions").first.wait_for()
    ui.type_into(page, ids.ANSWER_FIELD + "companions", "3")
    ui.tap(page, ids.NEXT)
    ui.by_id(page, ids.FINISH).first.wait_for()
    ui.tap(page, ids.FINISH)
    ui.wait_screen(page, "summary")
    shot(ui, page, artifacts_dir, viewport, "08-summary")
    ui.tap(page, ids.SUMMARY_DONE)
    ui.wait_screen(page, "home")

    ui.wait_text(page, "Records waiting to be sent: 0")  # auto-send carried it, no tap
    ui.tap(page, ids.HOME_SYNC)
    ui.wait_screen(page, "sync")
    ui.tap(page, ids.SYNC_NOW)
    result = ui.by_id(page, ids.SYNC_RESULT).first
    result.wait_for()
    ui.wait_text(page, "Nothing was waiting.")
    ui.wait_text(page, "Everything is sent.")
    shot(ui, page, artifacts_dir, viewport, "09-sync")

    records = stored_envelopes(agency)
    assert len(records) == 1
    values = records[0]["values"]
    assert values["case_code"] == "BG-0042"
    assert values["travelling_alone"] == "no"
    assert values["companions"] == 3
    assert records[0]["language"] == "ar"
    assert records[0]["consent"]["storing"] is True
    assert base64  # the envelope was opened with the agency key, not read in plaintext


# --- a full screening in Arabic, worker in English, interpreter mode -------------------------

PERSONA = ROOT / "tests" / "questionnaires" / "personas" / "gulf_domestic_worker.yaml"


def screening_answers() -> dict[str, Any]:
    """The Gulf domestic-work persona, in Arabic, with the work section skipped at its gate."""
    persona = yaml.safe_load(PERSONA.read_text("utf-8"))
    answers = dict(persona["answers"])
    answers["interview_language"] = "ar"
    answers["work_gate"] = "skip_section"
    return answers


def expected_pathways(answers: dict[str, Any]) -> list[str]:
    """What the engine itself says these answers lead to, screen by screen."""
    from app.engine import Session, load_questionnaire

    path = ROOT / "questionnaires" / "screening.yaml"
    s = Session(load_questionnaire(path.read_bytes(), path.name), language="ar")
    for _ in range(200):
        if s.at_end:
            break
        for prompt in s.screen().prompts:
            if prompt.name in answers:
                s.answer(prompt.name, answers[prompt.name])
        assert s.next() == []
    return list(s.outcome().pathway_ids)


def label_of(name: str, lang: str) -> str:
    from app.engine import load_questionnaire

    path = ROOT / "questionnaires" / "screening.yaml"
    return str(load_questionnaire(path.read_bytes(), path.name).item(name).label_in(lang))


def prompts_on_screen(page: Any) -> list[str]:
    return list(
        page.eval_on_selector_all(
            f'[flt-semantics-identifier^="{ids.PROMPT}"]',
            "els => els.map(e => e.getAttribute('flt-semantics-identifier'))",
        )
    )


def answer_screen(ui: Any, page: Any, answers: dict[str, Any]) -> list[str]:
    """Answer every question on the current screen the way a worker taps, then go on."""
    names = [n[len(ids.PROMPT) :] for n in prompts_on_screen(page)]
    for name in names:
        if name not in answers:
            continue
        value = answers[name]
        box = ui.by_id(page, ids.PROMPT + name).first
        field = ui.by_id(page, ids.ANSWER_FIELD + name)
        if field.count():
            ui.type_into(page, ids.ANSWER_FIELD + name, str(value))
            continue
        for v in value if isinstance(value, list) else [value]:
            tap_answer(ui, page, ids.CHOICE + v, box)
    ui.tap(page, ids.NEXT)
    wait_new_screen(page, names)
    return names


NEW_SCREEN_JS = """([before, prompt, finish]) => {
  const shown = [...document.querySelectorAll(`[flt-semantics-identifier^="${prompt}"]`)]
    .map(e => e.getAttribute('flt-semantics-identifier').slice(prompt.length));
  return JSON.stringify(shown) !== before
    || !!document.querySelector(`[flt-semantics-identifier="${finish}"]`);
}"""


def wait_new_screen(page: Any, names: list[str]) -> None:
    """After Next, wait until the next screen is drawn (a slow machine may take a moment), so
    its questions are never mistaken for the last screen's."""
    before = json.dumps(names, separators=(",", ":"))
    page.wait_for_function(NEW_SCREEN_JS, arg=[before, ids.PROMPT, ids.FINISH], timeout=20_000)


@pytest.mark.parametrize("viewport", ["phone", "tablet"])
def test_arabic_screening_with_english_worker_text_ends_in_several_pathways(
    viewport: str, agency: Agency, serve_app: Any, app_page: Any, artifacts_dir: Path, ui: Any
) -> None:
    answers = screening_answers()
    expected = expected_pathways(answers)
    assert len(expected) >= 3
    server = serve_app()
    page = app_page(server, ui.VIEWPORTS[viewport])
    ui.first_run(page, agency)
    ui.new_screening(page, "screening.yaml", "ar")
    ui.wait_screen(page, "interview")  # the questionnaire asks for consent itself

    seen: list[str] = []
    switched = False
    for step in range(120):
        if ui.by_id(page, ids.FINISH).count():
            break
        names = prompts_on_screen(page)
        if step == 0:
            shot(ui, page, artifacts_dir, viewport, "10-interview-setup-group")
        if "prompt-urgent_doctor" in names and not switched:
            shot(ui, page, artifacts_dir, viewport, "11-interview-arabic-english")
            # switch the respondent's language mid-interview, and back: nothing is lost
            ui.tap(page, ids.SWITCH_LANGUAGE)
            ui.tap(page, ids.SWITCH_RESPONDENT + "fa")
            ui.wait_text(page, label_of("urgent_doctor", "fa"))
            shot(ui, page, artifacts_dir, viewport, "12-language-switched")
            ui.tap(page, ids.SWITCH_RESPONDENT + "ar")
            ui.tap(page, ids.SWITCH_LANGUAGE)
            switched = True
        if "prompt-work_gate" in names:
            shot(ui, page, artifacts_dir, viewport, "13-section-gate")
        seen += answer_screen(ui, page, answers)
    else:
        pytest.fail(f"the interview did not reach its end; last screens: {seen[-5:]}")
    assert switched
    assert "work_gate" in seen and "work_differs" not in seen  # the section was skipped
    shot(ui, page, artifacts_dir, viewport, "14-interview-end")
    ui.tap(page, ids.FINISH)
    ui.wait_screen(page, "summary")
    for pathway in expected:
        ui.by_id(page, ids.PATHWAY + pathway).first.wait_for(state="attached")
    shot(ui, page, artifacts_dir, viewport, "15-worker-summary")
    page.mouse.wheel(0, 1500)
    shot(ui, page, artifacts_dir, viewport, "16-worker-summary-flags")

    ui.tap(page, ids.SUMMARY_DONE)
    ui.wait_screen(page, "home")
    ui.wait_text(page, "Records waiting to be sent: 0")  # auto-send carried it, no tap
    (record,) = stored_envelopes(agency)
    assert record["language"] == "ar"
    assert [p["id"] for p in record["outcome"]["pathways"]] == expected
    assert record["consent"]["consent_store"] == "yes"
    by_name = {path.rsplit("/", 1)[-1]: v for path, v in record["values"].items()}
    assert by_name["documents"] == ["held_by_other"]
    assert by_name["work_gate"] == "skip_section"
    assert "work_differs" not in by_name


# --- urgent help, quick exit, unlock and resume, auto-lock, the other screens ----------------


def drive_until(ui: Any, page: Any, answers: dict[str, Any], prompt: str, limit: int = 40) -> None:
    for _ in range(limit):
        if f"{ids.PROMPT}{prompt}" in prompts_on_screen(page):
            return
        answer_screen(ui, page, answers)
    pytest.fail(f"{prompt} never shown")


@pytest.mark.parametrize("viewport", ["phone", "tablet"])
def test_urgent_screen_quick_exit_and_resume(
    viewport: str, agency: Agency, serve_app: Any, app_page: Any, artifacts_dir: Path, ui: Any
) -> None:
    answers = screening_answers() | {"urgent_doctor": "yes"}
    server = serve_app(env={"WAYMARK_UI_TICK": "0.5"})  # the usual auto-lock: never reached
    page = app_page(server, ui.VIEWPORTS[viewport])
    ui.first_run(page, agency)
    ui.new_screening(page, "screening.yaml", "ar")
    ui.wait_screen(page, "interview")  # the questionnaire asks for consent itself
    drive_until(ui, page, answers, "urgent_doctor")
    answer_screen(ui, page, answers)

    # urgent help: the site's emergency contact, for the worker
    ui.wait_screen(page, "urgent")
    ui.wait_text(page, "Site medical point")
    shot(ui, page, artifacts_dir, viewport, "20-urgent")
    ui.tap(page, ids.URGENT_CONTINUE)
    ui.wait_screen(page, "interview")
    before = prompts_on_screen(page)
    assert before

    # quick exit with Escape: nothing of the interview stays on screen
    page.keyboard.press("Escape")
    ui.wait_screen(page, "unlock")
    assert prompts_on_screen(page) == []
    assert not ui.shows_text(page, label_of("urgent_doctor", "en"))
    shot(ui, page, artifacts_dir, viewport, "21-unlock-after-quick-exit")
    ui.unlock(page, PIN)
    ui.wait_screen(page, "interview")
    assert prompts_on_screen(page) == before  # resumed where it was

    # the always-visible button does the same
    ui.tap(page, ids.QUICK_EXIT)
    ui.wait_screen(page, "unlock")
    ui.unlock(page, PIN)
    ui.wait_screen(page, "interview")
    assert prompts_on_screen(page) == before

    # the rest of the main screens
    ui.tap(page, ids.PAUSE)
    ui.wait_screen(page, "home")
    shot(ui, page, artifacts_dir, viewport, "22-home-with-draft")
    ui.tap(page, ids.HOME_RECORDS)
    ui.wait_screen(page, "records")
    shot(ui, page, artifacts_dir, viewport, "23-records")
    ui.tap(page, ids.BACK_HOME)
    ui.tap(page, ids.HOME_SETTINGS)
    ui.wait_screen(page, "settings")
    ui.wait_text(page, "Role: outreach worker")  # beside the site and the key
    tap_choice(ui, page, ids.SETTING_LANGUAGE + "ar")
    ui.wait_text(page, "لغة الواجهة")
    shot(ui, page, artifacts_dir, viewport, "24-settings-arabic")
    ui.tap(page, ids.BACK_HOME)
    ui.wait_screen(page, "home")
    shot(ui, page, artifacts_dir, viewport, "25-home-arabic")
    # the largest text size, and the other orientation: nothing is cut off
    ui.tap(page, ids.HOME_SETTINGS)
    ui.wait_screen(page, "settings")
    tap_choice(ui, page, ids.SETTING_TEXT + "150")
    tap_choice(ui, page, ids.SETTING_LANGUAGE + "so")
    ui.wait_text(page, "Dejinta")
    shot(ui, page, artifacts_dir, viewport, "26-settings-somali-150")
    ui.tap(page, ids.BACK_HOME)
    ui.wait_screen(page, "home")
    shot(ui, page, artifacts_dir, viewport, "27-home-somali-150")
    vp = ui.VIEWPORTS[viewport]
    page.set_viewport_size({"width": vp["height"], "height": vp["width"]})
    ui.settle(page)
    shot(ui, page, artifacts_dir, viewport, "28-home-landscape")


def test_an_idle_tablet_locks_itself_and_the_pin_resumes_the_interview(
    agency: Agency, serve_app: Any, app_page: Any, ui: Any
) -> None:
    """The idle time is this test's own: an 8-second auto-lock, and nothing between the taps
    that reach the interview (no screenshots); the time the app spends on the PIN, the
    enrolment or a tap is not idle time."""
    server = serve_app(env={"WAYMARK_AUTO_LOCK_SECONDS": "8", "WAYMARK_UI_TICK": "0.5"})
    page = app_page(server, ui.PHONE)
    ui.first_run(page, agency)
    ui.new_screening(page, "skeleton.yaml", "ti")
    ui.give_consent(page)
    before = prompts_on_screen(page)
    assert before == [ids.PROMPT + "case_code"]

    ui.wait_screen(page, "unlock", timeout=30_000)  # idle: it locks itself
    assert prompts_on_screen(page) == []
    ui.unlock(page, PIN)
    ui.wait_screen(page, "interview")
    assert prompts_on_screen(page) == before
    ui.settle(page, quiet_ms=1500)  # the next ticks after the unlock: it stays unlocked
    assert prompts_on_screen(page) == before


def test_break_prompt_after_a_long_interview(
    agency: Agency, serve_app: Any, app_page: Any, artifacts_dir: Path, ui: Any
) -> None:
    """The break is offered gently (here after 3 seconds instead of 20 minutes); continuing
    keeps the interview where it was."""
    server = serve_app(env={"WAYMARK_BREAK_SECONDS": "3", "WAYMARK_UI_TICK": "0.5"})
    page = app_page(server, ui.PHONE)
    ui.first_run(page, agency)
    ui.new_screening(page, "skeleton.yaml", "so")
    ui.give_consent(page)
    ui.by_id(page, ids.BREAK_PROMPT).first.wait_for(state="attached", timeout=15_000)
    shot(ui, page, artifacts_dir, "phone", "30-break-prompt")
    ui.tap(page, ids.BREAK_CONTINUE)
    assert ui.by_id(page, ids.BREAK_PROMPT).count() == 0
    assert prompts_on_screen(page) == [ids.PROMPT + "case_code"]
