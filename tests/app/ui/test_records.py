"""Drafts and records as the worker finds them: a pseudonymous case code, the questionnaire
and its version, the languages and progress (never a name or an answer); a finished record's
summary opens again until its readable copy is purged."""

from __future__ import annotations

import flet as ft

from app.ui import ids
from app.ui.model import AppModel, Route
from sync.protocol import case_code
from tests.app.ui.test_model import answer_skeleton, start_skeleton
from tests.app.ui.test_screens import screen, texts, walk


def test_a_draft_is_listed_by_case_code_questionnaire_languages_and_progress(
    enrolled: AppModel,
) -> None:
    start_skeleton(enrolled, "ar", "en")
    iv = enrolled.interview
    assert iv is not None
    iv.answer("case_code", "PRIVATE-NAME-LIKE-TEXT")
    enrolled.next()
    enrolled.pause()
    (line,) = enrolled.record_lines("draft")
    assert line.case_code == case_code(iv.record_id)
    assert (line.title, line.version) == ("Getting started", "2026.11.1")
    assert (line.language, line.worker_language) == ("ar", "en")
    assert (line.done, line.total) == (1, 3)
    _shell, root = screen(enrolled)  # Home
    shown = " ".join(texts(root))
    assert f"Resume {line.case_code}" in shown
    assert "Getting started, version 2026.11.1" in shown and "1 of 3 questions" in shown
    assert "PRIVATE-NAME-LIKE-TEXT" not in shown


def test_a_finished_records_summary_opens_again(enrolled: AppModel) -> None:
    start_skeleton(enrolled)
    answer_skeleton(enrolled)
    assert enrolled.finish()
    record_id = enrolled.summary_outcome["record_id"]  # type: ignore[index]
    enrolled.close_summary()
    enrolled.go(Route.RECORDS)
    _shell, root = screen(enrolled)
    idents = {c.identifier for c in walk(root) if isinstance(c, ft.Semantics)}
    assert ids.REOPEN_SUMMARY + record_id in idents
    assert case_code(record_id) in texts(root)
    assert enrolled.reopen_summary(record_id)
    assert enrolled.route is Route.SUMMARY
    assert enrolled.summary_outcome is not None
    assert enrolled.summary_outcome["record_id"] == record_id
