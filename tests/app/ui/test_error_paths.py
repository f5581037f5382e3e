"""Errors on the field app's way: a coded error reaches the worker as words in their language
and loses nothing saved; an error with no code is logged by its type only (never its text),
becomes the general notice at the page's event boundary rather than a dead screen, and never
stops the timer that locks an idle tablet."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from typing import Any

import pytest

from app.engine import ExpressionError, Session
from app.i18n import translator
from app.store.errors import Locked
from app.ui import shell as shell_module
from app.ui.interview import InterviewModel
from app.ui.model import AppModel, Route
from app.ui.shell import Shell
from app.ui.words import NoticeCode, message
from tests.app.ui.conftest import PIN, Clock
from tests.app.ui.test_model import start_skeleton
from tests.app.ui.test_screens import texts

#: text that stands for what a person said: it must never reach a log line
SAID = "consent_ref_gbv=yes, travelling alone"


def page_shell(model: AppModel) -> Shell:
    """A shell over a page that keeps what is drawn (no browser)."""
    page = SimpleNamespace(
        width=360, height=740, controls=[], run_task=lambda *a, **k: None, update=lambda: None
    )
    return Shell(page, model)  # type: ignore[arg-type]


def shown(shell: Shell) -> list[str]:
    return [t for c in shell.page.controls for t in texts(c)]


def choose_skeleton(m: AppModel) -> None:
    m.go(Route.NEW)
    m.choose("form", "skeleton.yaml")
    m.choose("language", "ar")
    m.choose("worker_language", "fr")


def no_secret_logged(caplog: pytest.LogCaptureFixture) -> None:
    for record in caplog.records:
        assert SAID not in record.getMessage()
        assert record.exc_info is None  # no traceback (it would carry the text)


def test_a_store_error_on_begin_shows_the_workers_words(enrolled: AppModel) -> None:
    """Begin after another page locked the tablet: the store's code, as a sentence in the
    worker's language on the screen they are on; no draft is made."""
    enrolled.set_language("fr")
    choose_skeleton(enrolled)
    enrolled.store.lock("requested")
    shell = page_shell(enrolled)
    shell.act(enrolled.start)(None)
    assert enrolled.notice is not None and enrolled.notice.code == Locked.code
    words = message(translator("fr"), Locked.code)
    assert words != message(translator("en"), Locked.code)  # really translated
    assert words in shown(shell)
    assert enrolled.interview is None
    enrolled.store.unlock(PIN)
    assert enrolled.drafts() == []


def test_a_store_error_on_finish_keeps_the_screening(enrolled: AppModel) -> None:
    """Finishing when the store refuses: a coded notice; the interview and every answer
    given stay, and the worker can finish once the tablet is open again."""
    start_skeleton(enrolled, worker="fr")
    iv = enrolled.interview
    assert iv is not None
    iv.answer("case_code", "BG-7")
    enrolled.store.lock("requested")
    shell = page_shell(enrolled)
    assert asyncio.run(shell.run_slow(enrolled.finish)) is False
    assert enrolled.notice is not None and enrolled.notice.code == Locked.code
    assert enrolled.interview is iv and enrolled.route is Route.INTERVIEW
    enrolled.store.unlock(PIN)
    again = InterviewModel.resume(enrolled.store, iv.record_id, enrolled.questionnaires())
    assert again.session.values()["case_code"] == "BG-7"


def test_an_uncoded_error_becomes_the_general_notice_logged_by_type(
    enrolled: AppModel, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A failure with no code (a bug, say) is not the model's to word: the page's event
    boundary shows the general sentence and logs the exception's type, never its text."""
    enrolled.set_language("fr")
    choose_skeleton(enrolled)

    def broken(*_a: Any, **_k: Any) -> InterviewModel:
        raise RuntimeError(SAID)

    monkeypatch.setattr(InterviewModel, "start", broken)
    shell = page_shell(enrolled)
    with caplog.at_level(logging.INFO):
        shell.act(enrolled.start)(None)  # does not raise
    assert enrolled.notice is not None and enrolled.notice.code == NoticeCode.UNEXPECTED_ERROR
    assert message(translator("fr"), NoticeCode.UNEXPECTED_ERROR) in shown(shell)
    assert any("RuntimeError" in r.getMessage() for r in caplog.records)
    no_secret_logged(caplog)


def test_a_disk_error_on_begin_is_a_notice_logged_by_type(
    enrolled: AppModel, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    choose_skeleton(enrolled)

    def full(*_a: Any, **_k: Any) -> InterviewModel:
        raise OSError(28, "No space left on device", f"/data/{SAID}")

    monkeypatch.setattr(InterviewModel, "start", full)
    with caplog.at_level(logging.INFO):
        assert enrolled.start() is False
    assert enrolled.notice is not None and enrolled.notice.code == NoticeCode.UNEXPECTED_ERROR
    assert enrolled.route is Route.NEW
    assert [r.getMessage() for r in caplog.records if "OSError" in r.getMessage()]
    no_secret_logged(caplog)


def test_an_outcome_rule_that_fails_does_not_stop_the_interview(
    enrolled: AppModel, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The urgent check after Next evaluates the outcome rules; an expression error there is
    logged with its type and code, and the interview goes on to the next question."""
    start_skeleton(enrolled)
    iv = enrolled.interview
    assert iv is not None

    def failing(_self: Session) -> Any:
        raise ExpressionError("unknown_function", 0, function="flag")

    monkeypatch.setattr(Session, "outcome", failing)
    iv.answer("case_code", "BG-7")
    before = iv.view().prompts[0].name
    with caplog.at_level(logging.INFO):
        enrolled.next()
        assert iv.duty_of_care() == []
    assert enrolled.route is Route.INTERVIEW
    assert iv.view().prompts[0].name != before
    logged = [r.getMessage() for r in caplog.records if "ExpressionError" in r.getMessage()]
    assert len(logged) == 2 and all("unknown_function" in line for line in logged)


def test_the_idle_lock_timer_survives_an_unexpected_error(
    enrolled: AppModel,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One tick fails with an error nobody expected: it is logged by its type, and the next
    tick still locks the idle tablet."""
    monkeypatch.setattr(shell_module, "TICK_SECONDS", 0)
    shell = page_shell(enrolled)
    ticks: list[int] = []

    def check_sender() -> bool:  # the tick's first check: nothing from the sender
        ticks.append(1)
        if len(ticks) == 1:
            raise RuntimeError(SAID)
        if len(ticks) == 2:
            clock.now += enrolled.settings.auto_lock_seconds + 1  # the worker walked away
        else:
            shell._closed = True  # the page closes: the timer ends
        return False

    monkeypatch.setattr(enrolled, "check_sender", check_sender)
    assert not enrolled.store.locked
    with caplog.at_level(logging.INFO):
        asyncio.run(shell._ticker())
    assert len(ticks) == 3
    assert enrolled.store.locked and enrolled.route is Route.UNLOCK
    assert any(r.getMessage() == "ticker: RuntimeError" for r in caplog.records)
    no_secret_logged(caplog)
