"""The worker's place in Debian chromium: a tap in a long group changes only what it changes
(the scroll position stays, the answer is taken), and Back and Next stay pinned at the bottom on
a phone, a tablet and a phone held sideways."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import Error as PlaywrightError

from app.ui import ids
from tests.e2e.conftest import Agency
from tests.e2e.test_field_app import tap_answer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LANDSCAPE = {"width": 740, "height": 360}
QUESTIONS = [f"q{n}" for n in range(1, 9)]


def long_group_questionnaire(folder: Path) -> Path:
    """Eight required yes/no questions on one page (field-list), then one more question."""
    yes_no = [
        {"name": "yes", "label": {"en": "Yes", "ar": "نعم", "ti": "እወ"}},
        {"name": "no", "label": {"en": "No", "ar": "لا", "ti": "ኣይፋል"}},
    ]
    children = [
        {
            "type": "select_one yes_no",
            "name": name,
            "required": True,
            "label": {
                "en": f"Question {name}: has this happened on the way?",
                "ar": f"السؤال {name}: هل حدث هذا في الطريق؟",
                "ti": f"ሕቶ {name}፦ እዚ ኣብ መገዲ ኣጋጢሙ ድዩ?",
            },
        }
        for name in QUESTIONS
    ]
    form = {
        "form_id": "long_group",
        "version": "1",
        "title": {"en": "Long group", "ar": "مجموعة طويلة", "ti": "ነዊሕ ጉጅለ"},
        "default_language": "en",
        "languages": {
            "en": {"name": "English", "status": "reviewed"},
            "ar": {"name": "العربية", "status": "draft"},
            "ti": {"name": "ትግርኛ", "status": "draft"},
        },
        "choices": {"yes_no": yes_no},
        "survey": [
            {
                "type": "group",
                "name": "setup",
                "appearance": "field-list",
                "label": {"en": "On the way", "ar": "في الطريق", "ti": "ኣብ መገዲ"},
                "children": children,
            },
            {
                "type": "select_one yes_no",
                "name": "after",
                "label": {"en": "One more", "ar": "سؤال آخر", "ti": "ሓንቲ ተወሳኺት"},
            },
        ],
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "long_group.yaml"
    path.write_text(yaml.safe_dump(form, allow_unicode=True, sort_keys=False), "utf-8")
    return folder


def begin(ui: Any, page: Any, agency: Agency, lang: str) -> None:
    ui.first_run(page, agency)
    ui.new_screening(page, "long_group.yaml", lang)
    ui.give_consent(page)


def box(ui: Any, page: Any, ident: str) -> dict[str, float]:
    b = ui.by_id(page, ident).first.bounding_box()
    assert b is not None, ident
    return dict(b)


def bring_into_view(ui: Any, page: Any, locator: Any) -> None:
    """Scroll as a worker would until ``locator`` shows (its node may be redrawn meanwhile)."""
    for _attempt in range(5):
        ui.settle(page)
        try:
            locator.scroll_into_view_if_needed(timeout=3000)
        except PlaywrightError:  # the node was replaced mid-scroll: find it again
            continue
        ui.settle(page)
        return
    pytest.fail("never came into view")


def pinned(ui: Any, page: Any, viewport: dict[str, int]) -> None:
    """Back and Next are whole on the screen, at its bottom."""
    for ident in (ids.NEXT, ids.BACK):
        b = box(ui, page, ident)
        assert b["y"] >= 0 and b["y"] + b["height"] <= viewport["height"] + 1, (ident, b)
        assert b["y"] > viewport["height"] - 140, (ident, b)


@pytest.mark.parametrize("viewport", ["phone", "tablet"])
def test_a_tap_low_in_a_long_group_keeps_the_scroll_and_next_stays_pinned(
    viewport: str,
    agency: Agency,
    serve_app: Any,
    app_page: Any,
    artifacts_dir: Path,
    tmp_path: Path,
    ui: Any,
) -> None:
    size = ui.VIEWPORTS[viewport]
    app = serve_app(questionnaires_dir=long_group_questionnaire(tmp_path / "forms"))
    page = app_page(app, size)
    begin(ui, page, agency, "ar")
    pinned(ui, page, size)
    for name in QUESTIONS:
        prompt = ui.by_id(page, ids.PROMPT + name).first
        bring_into_view(ui, page, prompt)
        before = box(ui, page, ids.PROMPT + name)["y"]
        tap_answer(ui, page, ids.CHOICE + "yes", prompt)
        after = box(ui, page, ids.PROMPT + name)["y"]
        assert after == pytest.approx(before, abs=2), (name, before, after)
    pinned(ui, page, size)
    ui.settled_screenshot(page, artifacts_dir / "place" / f"{viewport}-ar-long-group.png")
    ui.tap(page, ids.NEXT)  # every required answer was taken: the next screen opens
    ui.by_id(page, ids.PROMPT + "after").first.wait_for()
    pinned(ui, page, size)


def test_phone_landscape_keeps_back_and_next_on_screen(
    agency: Agency,
    serve_app: Any,
    app_page: Any,
    artifacts_dir: Path,
    tmp_path: Path,
    ui: Any,
) -> None:
    app = serve_app(questionnaires_dir=long_group_questionnaire(tmp_path / "forms"))
    page = app_page(app, LANDSCAPE)
    begin(ui, page, agency, "ti")
    pinned(ui, page, LANDSCAPE)
    ui.settled_screenshot(page, artifacts_dir / "place" / "landscape-ti-long-group.png")
