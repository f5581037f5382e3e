"""Navigation through the view-model: the question list marks every question answered, skipped
or not answered yet and opens any asked one; the review lists what was answered; progress on
the screening never moves backwards as the interview goes forward."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from app.ui.interview import ANSWERED, SKIPPED, UNANSWERED
from app.ui.model import AppModel, Route
from tests.app.ui.test_model import answer_skeleton, start_skeleton

ROOT = Path(__file__).resolve().parents[3]
PERSONA = ROOT / "tests" / "questionnaires" / "personas" / "gulf_domestic_worker.yaml"


def test_the_question_list_marks_and_opens_questions(enrolled: AppModel) -> None:
    start_skeleton(enrolled)
    iv = enrolled.interview
    assert iv is not None
    marks = {x.name: x for x in iv.question_list()}
    assert [x.status for x in marks.values()] == [UNANSWERED, UNANSWERED, UNANSWERED]
    answer_skeleton(enrolled)
    marks = {x.name: x for x in iv.question_list()}
    assert marks["case_code"].status == ANSWERED and marks["case_code"].answer == "BG-7"
    assert marks["travelling_alone"].answer == "No"  # the worker's words for the choice
    assert marks["travelling_alone"].label == "Are you travelling alone?"
    assert iv.at_end
    enrolled.go(Route.QUESTIONS)
    enrolled.go_to("case_code")
    assert enrolled.route is Route.INTERVIEW
    assert [p.name for p in iv.view().prompts] == ["case_code"]
    assert iv.position() == (0, 3)


def test_a_question_not_asked_is_marked_skipped_and_cannot_be_opened(
    enrolled: AppModel,
) -> None:
    start_skeleton(enrolled)
    iv = enrolled.interview
    assert iv is not None
    iv.answer("case_code", "A-1")
    enrolled.next()
    iv.answer("travelling_alone", "yes")  # companions is asked only of people not alone
    enrolled.next()
    marks = {x.name: x for x in iv.question_list()}
    assert marks["companions"].status == SKIPPED and not marks["companions"].open
    assert iv.at_end and iv.position() == (3, 3)


def persona_answers() -> dict[str, Any]:
    persona = yaml.safe_load(PERSONA.read_text("utf-8"))
    return dict(persona["answers"])


def test_progress_on_the_screening_only_moves_forward_with_a_stable_total(
    enrolled: AppModel,
) -> None:
    enrolled.go(Route.NEW)
    for key, value in (("form", "screening.yaml"), ("language", "en"), ("worker_language", "en")):
        enrolled.choose(key, value)
    assert enrolled.start()
    iv = enrolled.interview
    assert iv is not None
    answers = persona_answers()
    seen: list[tuple[int, int]] = []
    for _ in range(120):
        if iv.at_end:
            break
        view = iv.view()
        seen.append((view.done, view.total))
        for p in view.prompts:
            if p.name in answers:
                iv.answer(p.name, answers[p.name])
        assert iv.next(), iv.blocked
    assert iv.at_end
    totals = {t for _d, t in seen}
    assert len(totals) == 1 and totals.pop() >= 40  # one count from first to last screen
    dones = [d for d, _t in seen]
    assert dones == sorted(dones) and dones[0] == 0
    assert len(set(dones)) >= len(dones) - 5  # only a note screen shares a place
    assert iv.position() == (seen[0][1], seen[0][1])  # the end is the whole count
