"""The question list and the review before finishing, in Debian chromium: every question with
its mark, a tap opens any asked one, and the review at the end jumps back to an answer, which
can be changed before the record is sealed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.ui import ids
from tests.e2e.conftest import Agency, stored_envelopes
from tests.e2e.test_field_app import tap_answer

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("viewport", ["phone", "tablet"])
def test_go_to_a_question_and_review_before_finishing(
    viewport: str, agency: Agency, serve_app: Any, app_page: Any, artifacts_dir: Path, ui: Any
) -> None:
    page = app_page(serve_app(), ui.VIEWPORTS[viewport])
    ui.first_run(page, agency)
    ui.new_screening(page, "skeleton.yaml", "ti")
    ui.give_consent(page)
    ui.type_into(page, ids.ANSWER_FIELD + "case_code", "NAV-1")
    ui.tap(page, ids.NEXT)
    ui.by_id(page, ids.CHOICE + "no").first.wait_for()

    ui.tap(page, ids.GO_TO)
    ui.wait_screen(page, "questions")
    ui.wait_text(page, "Answered: 1. Skipped: 0. Not answered yet: 2.")
    ui.wait_text(page, "Answered: NAV-1")
    shots = artifacts_dir / "navigation"
    ui.settled_screenshot(page, shots / f"{viewport}-question-list.png")
    ui.tap(page, ids.GO_TO_ITEM + "case_code")
    ui.wait_screen(page, "interview")
    ui.by_id(page, ids.ANSWER_FIELD + "case_code").first.wait_for()
    ui.tap(page, ids.NEXT)
    tap_answer(ui, page, ids.CHOICE + "no", page)
    ui.tap(page, ids.NEXT)
    ui.type_into(page, ids.ANSWER_FIELD + "companions", "2")
    ui.tap(page, ids.NEXT)

    ui.by_id(page, ids.FINISH).first.wait_for()
    for name in ("case_code", "travelling_alone", "companions"):
        ui.by_id(page, ids.REVIEW_ITEM + name).first.wait_for(state="attached")
    ui.settled_screenshot(page, shots / f"{viewport}-review.png")
    ui.tap(page, ids.REVIEW_ITEM + "case_code")
    ui.by_id(page, ids.ANSWER_FIELD + "case_code").first.wait_for()
    ui.type_into(page, ids.ANSWER_FIELD + "case_code", "NAV-2")
    for _ in range(3):
        ui.tap(page, ids.NEXT)
    ui.by_id(page, ids.FINISH).first.wait_for()
    ui.wait_text(page, "Answered: NAV-2")  # the review shows the changed answer
    ui.tap(page, ids.FINISH)
    ui.wait_screen(page, "summary")
    ui.tap(page, ids.SUMMARY_DONE)
    ui.wait_text(page, "Records waiting to be sent: 0")
    (record,) = stored_envelopes(agency)
    assert record["values"]["case_code"] == "NAV-2"
