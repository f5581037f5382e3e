"""Every screen of the field app, in Arabic and in Tigrinya, at the phone (360x740), the tablet
(800x1280) and phone landscape (740x360), written to ``test-artifacts/screens/`` for a person to
look at, and checked for what a person would find wrong without looking: a control cut off at
the side, a pinned button (Next, Back, Home, Finish) off the screen, quick exit on the wrong side
for the language's direction, a screen that does not come.

``waymark demo`` runs once for the module (its server, an enrolled field app, the sample site
directory); each language is a worker who sets the interface language in Settings and walks
the screens in it: lock, home, settings, a new screening, consent and its decline question, the
skeleton's questions and the review before finishing, the screening's set-up group, a question
with the language panel open, the urgent screen, the question list, a worker's summary, the
records and sending. Each screen is shot at the three sizes by turning the one page (a turn
keeps the worker's place), so the walk is made once per language.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from app.cli import demo
from app.ui import ids
from tests.e2e.conftest import (
    ROOT,
    by_id,
    identifiers,
    settle,
    settled_screenshot,
    tap,
    type_into,
    wait_screen,
    wait_until,
    watch,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = {"phone": (360, 740), "tablet": (800, 1280), "landscape": (740, 360)}
#: Interview answers: the persona of the screening's tests, with a need for a doctor now.
PERSONA = ROOT / "tests" / "questionnaires" / "personas" / "gulf_domestic_worker.yaml"
#: The worker's language beside each respondent's: English under Arabic (interpreter work),
#: Tigrinya throughout.
WORKER = {"ar": "en", "ti": "ti"}

LAYOUT_JS = """([pinned, rtl]) => {
  const vw = window.innerWidth, vh = window.innerHeight, out = [];
  const rect = e => e.getBoundingClientRect();
  for (const e of document.querySelectorAll('flt-semantics[flt-semantics-identifier]')) {
    const r = rect(e), id = e.getAttribute('flt-semantics-identifier');
    if (r.width > 0 && (r.left < -1 || r.right > vw + 1))
      out.push(`${id} cut off at the side (${Math.round(r.left)}..${Math.round(r.right)} of ${vw})`);
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

CHOSEN_JS = """(ident) => !!document.querySelector(
  `[flt-semantics-identifier="${ident}"][aria-current="true"]`)"""

ENABLED_JS = """(ident) => {
  const node = document.querySelector(`[flt-semantics-identifier="${ident}"]`);
  if (!node) return false;
  const target = node.getAttribute('role') ? node : (node.querySelector('[role]') || node);
  return target.getAttribute('aria-disabled') !== 'true';
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

    def choose(self, ident: str) -> None:
        tap(self.page, ident)
        self.page.wait_for_function(CHOSEN_JS, arg=ident, timeout=20_000)

    def tap_enabled(self, ident: str) -> None:
        self.page.wait_for_function(ENABLED_JS, arg=ident, timeout=20_000)
        tap(self.page, ident)


def prompts(page: Any) -> list[str]:
    shown = page.eval_on_selector_all(
        f'[flt-semantics-identifier^="{ids.PROMPT}"]',
        "els => els.map(e => e.getAttribute('flt-semantics-identifier'))",
    )
    return [name[len(ids.PROMPT) :] for name in shown]


def answer_screen(walk: Walk, answers: dict[str, Any]) -> None:
    """Answer what the screen asks the way a worker taps, then Next."""
    page = walk.page
    names = prompts(page)
    for name in names:
        if name not in answers:
            continue
        value = answers[name]
        if by_id(page, ids.ANSWER_FIELD + name).count():
            type_into(page, ids.ANSWER_FIELD + name, str(value))
            continue
        box = by_id(page, ids.PROMPT + name).first
        for v in value if isinstance(value, list) else [value]:
            tap(page, ids.CHOICE + v, within=box)
            chosen = f'[flt-semantics-identifier="{ids.CHOICE + v}"][aria-current="true"]'
            box.locator(chosen).first.wait_for(state="attached")
    tap(page, ids.NEXT)
    page.wait_for_function(
        """([before, prompt]) => JSON.stringify([...document.querySelectorAll(
             `[flt-semantics-identifier^="${prompt}"]`)].map(e =>
             e.getAttribute('flt-semantics-identifier').slice(prompt.length))) !== before
           || !document.querySelector('[flt-semantics-identifier="screen-interview"]')""",
        arg=[_json(names), ids.PROMPT],
        timeout=20_000,
    )


def _json(names: list[str]) -> str:
    import json

    return json.dumps(names, separators=(",", ":"))


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``waymark demo`` on a fresh folder: the field app's address."""
    folder = tmp_path_factory.mktemp("screens")
    server_port, app_port = _free_port(), _free_port()
    log = folder / "demo.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WAYMARK_AUTO_LOCK_SECONDS": "3600"}
    env.pop("DISPLAY", None)
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-m", "app", "demo", "--data", str(folder / "data"),
             "--server-port", str(server_port), "--app-port", str(app_port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://127.0.0.1:{app_port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise AssertionError("waymark demo exited:\n" + log.read_text("utf-8", "replace"))
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("waymark demo did not start:\n" + log.read_text("utf-8"))
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unlock(walk: Walk) -> None:
    wait_screen(walk.page, "unlock")
    type_into(walk.page, ids.PIN, demo.DEMO_PIN)
    tap(walk.page, ids.PIN_SUBMIT)
    wait_screen(walk.page, "home")


def walk_the_start(walk: Walk) -> None:
    """Lock, home and settings, in the worker's language."""
    page, lang = walk.page, walk.lang
    unlock(walk)
    tap(page, ids.HOME_SETTINGS)
    wait_screen(page, "settings")
    walk.choose(ids.SETTING_LANGUAGE + lang)
    walk.look("01-settings", "settings", (ids.BACK_HOME,))
    tap(page, ids.BACK_HOME)
    walk.look("02-home", "home")
    tap(page, ids.QUICK_EXIT)
    walk.look("00-lock", "unlock")
    unlock(walk)


def walk_the_skeleton(walk: Walk) -> None:
    """A new screening, consent (and the question before declining), the three skeleton
    questions, the review before finishing and its summary."""
    page, lang = walk.page, walk.lang
    tap(page, ids.START_SCREENING)
    wait_screen(page, "new")
    walk.choose(ids.FORM + "skeleton.yaml")
    walk.choose(ids.LANGUAGE + lang)
    walk.choose(ids.WORKER_LANGUAGE + WORKER[lang])
    walk.look("03-new-screening", "new")
    walk.tap_enabled(ids.BEGIN)
    walk.look("04-consent", "consent")
    tap(page, ids.CONSENT_DECLINE)
    by_id(page, ids.CONSENT_DECLINE_YES).first.wait_for()
    walk.look("05-consent-decline-asked", "consent")
    tap(page, ids.CONSENT_DECLINE_NO)
    tap(page, ids.CONSENT_SCREENING)
    tap(page, ids.CONSENT_STORING)
    walk.tap_enabled(ids.CONSENT_AGREE)
    walk.look("06-first-question", "interview", (ids.NEXT, ids.BACK))
    for _ in range(3):
        answer_screen(walk, {"case_code": "SHOT-1", "travelling_alone": "no", "companions": 2})
    by_id(page, ids.FINISH).first.wait_for()
    walk.look("07-review", "interview", (ids.FINISH,))
    tap(page, ids.FINISH)
    walk.look("08-summary", "summary")
    tap(page, ids.SUMMARY_DONE)
    wait_screen(page, "home")


def walk_the_screening(walk: Walk) -> None:
    """The screening's set-up group, a question with the language panel open, the urgent
    screen, the question list, and the worker's summary after ending safely."""
    page, lang = walk.page, walk.lang
    persona = yaml.safe_load(PERSONA.read_text("utf-8"))
    answers = dict(persona["answers"]) | {"interview_language": lang, "urgent_doctor": "yes"}
    tap(page, ids.START_SCREENING)
    wait_screen(page, "new")
    walk.choose(ids.FORM + "screening.yaml")
    walk.choose(ids.LANGUAGE + lang)
    walk.choose(ids.WORKER_LANGUAGE + WORKER[lang])
    walk.tap_enabled(ids.BEGIN)
    walk.look("09-set-up-group", "interview", (ids.NEXT, ids.BACK))
    for step in range(40):
        if ids.SCREEN + "urgent" in identifiers(page):
            break
        if step == 2:
            walk.look("10-question", "interview", (ids.NEXT, ids.BACK))
            tap(page, ids.SWITCH_LANGUAGE)
            walk.look("11-language-panel", "interview", (ids.NEXT, ids.BACK))
            tap(page, ids.SWITCH_LANGUAGE)
        answer_screen(walk, answers)
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
    lang: str, demo_app: str, app_page: Any, artifacts_dir: Path
) -> None:
    page = app_page(type("Served", (), {"url": demo_app})(), {"width": 360, "height": 740})
    walk = Walk(page, lang, artifacts_dir / "screens" / lang)
    walk_the_start(walk)
    walk_the_skeleton(walk)
    walk_the_screening(walk)
    walk_the_records(walk)
    shots = sorted(p.name for p in walk.folder.glob("*.png"))
    assert len(shots) == 17 * len(SIZES), shots
    assert walk.found == []
