"""Every screen of the field app, in Arabic and in Tigrinya, at the phone (360x740), the tablet
(800x1280) and phone landscape (740x360), written to ``test-artifacts/screens/`` for a person to
look at, and checked for what a person would find wrong without looking: a control cut off at
the side, a pinned button (Next, Back, Home, Finish) off the screen, quick exit on the wrong side
for the language's direction, a screen that does not come.

Each language is a fresh tablet enrolled with the browser tests' agency server (its site has a
referral directory with phone numbers), whose worker sets the interface language in Settings
and walks the screens in it: lock, home, settings, a new screening, consent and its decline
question, the skeleton's questions and the review before finishing, the screening's set-up
group, a question with the language panel open, the urgent screen, the question list, a
worker's summary, the records and sending. Each screen is shot at the three sizes by turning
the one page (a turn keeps the worker's place), so the walk is made once per language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from app.ui import ids
from tests.e2e.conftest import (
    PHONE,
    PIN,
    TABLET,
    Agency,
    answer_skeleton,
    by_id,
    choose,
    first_run,
    identifiers,
    new_screening,
    settle,
    settled_screenshot,
    tap,
    tap_when_enabled,
    unlock,
    wait_screen,
    wait_until,
    watch,
)
from tests.e2e.test_field_app import answer_screen, screening_answers

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = {
    "phone": (PHONE["width"], PHONE["height"]),
    "tablet": (TABLET["width"], TABLET["height"]),
    "landscape": (PHONE["height"], PHONE["width"]),
}
#: The worker's language beside each respondent's: English under Arabic (interpreter work),
#: Tigrinya throughout.
WORKER = {"ar": "en", "ti": "ti"}

LAYOUT_JS = """([pinned, rtl]) => {
  const vw = window.innerWidth, vh = window.innerHeight, out = [];
  const rect = e => e.getBoundingClientRect();
  for (const e of document.querySelectorAll('flt-semantics[flt-semantics-identifier]')) {
    const r = rect(e), id = e.getAttribute('flt-semantics-identifier');
    if (r.width > 0 && (r.left < -1 || r.right > vw + 1))
      out.push(`${id} cut off (${Math.round(r.left)}..${Math.round(r.right)} of ${vw})`);
  }
  for (const id of pinned) {
    const e = document.querySelector(`[flt-semantics-identifier="${id}"]`);
    if (!e) { out.push(`${id} is not on the screen`); continue; }
    const r = rect(e);
    if (r.top < -1 || r.bottom > vh + 1)
      out.push(`${id} off the screen (${Math.round(r.top)}..${Math.round(r.bottom)} of ${vh})`);
  }
  const exit = document.querySelector('[flt-semantics-identifier="quick-exit"]');
  if (!exit) out.push('no quick exit');
  else {
    const r = rect(exit), middle = (r.left + r.right) / 2;
    if (r.top < -1 || r.bottom > vh + 1) out.push('quick exit off the screen');
    if (rtl ? middle > vw / 2 : middle < vw / 2) out.push('quick exit on the wrong side');
  }
  return out;
}"""


@dataclass
class Walk:
    """One worker's walk in one language: where the pictures go and what was found wrong."""

    page: Any
    lang: str
    folder: Path
    found: list[str] = field(default_factory=list)

    def turn(self, width: int, height: int) -> None:
        """Turn the tablet (or give it another size), and wait until the app has answered."""
        socket = watch(self.page)
        before = socket.frames_received
        turned = self.page.viewport_size["width"] != width
        self.page.set_viewport_size({"width": width, "height": height})
        if turned:
            wait_until(self.page, lambda: socket.frames_received > before, 5.0)
        settle(self.page, quiet_ms=300)

    def look(self, name: str, route: str, pinned: tuple[str, ...] = ()) -> None:
        """The screen ``route`` at the three sizes: a picture of each, and what is wrong."""
        wait_screen(self.page, route)
        for size, (width, height) in SIZES.items():
            self.turn(width, height)
            settled_screenshot(self.page, self.folder / f"{name}-{size}.png")
            wrong = self.page.evaluate(LAYOUT_JS, [list(pinned), self.lang == "ar"])
            self.found += [f"{name} ({size}): {w}" for w in wrong]
        self.turn(*SIZES["phone"])


def walk_the_start(walk: Walk) -> None:
    """Lock, home and settings, in the worker's language."""
    page, lang = walk.page, walk.lang
    tap(page, ids.HOME_SETTINGS)
    wait_screen(page, "settings")
    choose(page, ids.SETTING_LANGUAGE + lang)
    walk.look("01-settings", "settings", (ids.BACK_HOME,))
    tap(page, ids.BACK_HOME)
    walk.look("02-home", "home")
    tap(page, ids.QUICK_EXIT)
    walk.look("00-lock", "unlock")
    unlock(page, PIN)
    wait_screen(page, "home")


def walk_the_skeleton(walk: Walk) -> None:
    """A new screening, consent (and the question before declining), the three skeleton
    questions, the review before finishing and its summary."""
    page, lang = walk.page, walk.lang
    tap(page, ids.START_SCREENING)
    wait_screen(page, "new")
    choose(page, ids.FORM + "skeleton.yaml")
    choose(page, ids.LANGUAGE + lang)
    choose(page, ids.WORKER_LANGUAGE + WORKER[lang])
    walk.look("03-new-screening", "new")
    tap_when_enabled(page, ids.BEGIN)
    walk.look("04-consent", "consent")
    tap(page, ids.CONSENT_DECLINE)
    by_id(page, ids.CONSENT_DECLINE_YES).first.wait_for()
    walk.look("05-consent-decline-asked", "consent")
    tap(page, ids.CONSENT_DECLINE_NO)
    tap(page, ids.CONSENT_SCREENING)
    tap(page, ids.CONSENT_STORING)
    tap_when_enabled(page, ids.CONSENT_AGREE)
    walk.look("06-first-question", "interview", (ids.NEXT, ids.BACK))
    answer_skeleton(page, "SHOT-1")
    walk.look("07-review", "interview", (ids.FINISH,))
    tap(page, ids.FINISH)
    walk.look("08-summary", "summary")
    tap(page, ids.SUMMARY_DONE)
    wait_screen(page, "home")


def walk_the_screening(walk: Walk, ui: Any) -> None:
    """The screening's set-up group, a question with the language panel open, the urgent
    screen, the question list, and the worker's summary after ending safely."""
    page, lang = walk.page, walk.lang
    answers = screening_answers() | {"interview_language": lang, "urgent_doctor": "yes"}
    new_screening(page, "screening.yaml", lang, WORKER[lang])
    walk.look("09-set-up-group", "interview", (ids.NEXT, ids.BACK))
    for step in range(40):
        if ids.SCREEN + "urgent" in identifiers(page):
            break
        if step == 2:
            walk.look("10-question", "interview", (ids.NEXT, ids.BACK))
            tap(page, ids.SWITCH_LANGUAGE)
            walk.look("11-language-panel", "interview", (ids.NEXT, ids.BACK))
            tap(page, ids.SWITCH_LANGUAGE)
        answer_screen(ui, page, answers)
    walk.look("12-urgent", "urgent")
    tap(page, ids.URGENT_CONTINUE)
    wait_screen(page, "interview")
    tap(page, ids.GO_TO)
    walk.look("13-question-list", "questions", (ids.QUESTIONS_BACK,))
    tap(page, ids.QUESTIONS_BACK)
    wait_screen(page, "interview")
    by_id(page, ids.END_SAFELY).first.scroll_into_view_if_needed()
    tap(page, ids.END_SAFELY)
    walk.look("14-summary-urgent", "summary")
    tap(page, ids.SUMMARY_DONE)
    wait_screen(page, "home")


def walk_the_records(walk: Walk) -> None:
    page = walk.page
    tap(page, ids.HOME_RECORDS)
    walk.look("15-records", "records", (ids.BACK_HOME,))
    tap(page, ids.BACK_HOME)
    wait_screen(page, "home")
    tap(page, ids.HOME_SYNC)
    wait_screen(page, "sync")
    tap(page, ids.SYNC_NOW)
    by_id(page, ids.SYNC_RESULT).first.wait_for()
    walk.look("16-sending", "sync")


@pytest.mark.parametrize("lang", ["ar", "ti"])
def test_every_screen_at_every_size(
    lang: str, agency: Agency, serve_app: Any, app_page: Any, artifacts_dir: Path, ui: Any
) -> None:
    server = serve_app(env={"WAYMARK_AUTO_LOCK_SECONDS": "3600"})  # pictures take their time
    page = app_page(server, PHONE)
    first_run(page, agency)
    walk = Walk(page, lang, artifacts_dir / "screens" / lang)
    walk_the_start(walk)
    walk_the_skeleton(walk)
    walk_the_screening(walk, ui)
    walk_the_records(walk)
    shots = sorted(p.name for p in walk.folder.glob("*.png"))
    assert len(shots) == 17 * len(SIZES), shots
    assert walk.found == []
