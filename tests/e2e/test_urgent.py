"""The urgent screen in Debian chromium: it names, for the worker, the answers that raised it,
and each contact of the site's directory is a tap to call (tel:) or to message (sms:)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.ui import ids
from tests.e2e.conftest import Agency
from tests.e2e.test_field_app import answer_screen, drive_until, label_of, screening_answers

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: what the page asked the browser to open (the dialler, messages), instead of opening it
RECORD_OPENED = """
window.__opened = [];
window.open = function (url) { window.__opened.push(String(url)); return null; };
"""


@pytest.mark.parametrize("viewport", ["phone", "tablet"])
def test_the_urgent_screen_names_its_answers_and_calls_with_a_tap(
    viewport: str, agency: Agency, serve_app: Any, app_page: Any, artifacts_dir: Path, ui: Any
) -> None:
    answers = screening_answers() | {"urgent_doctor": "yes"}
    page = app_page(serve_app(), ui.VIEWPORTS[viewport])
    page.add_init_script(RECORD_OPENED)
    page.reload()
    ui.enable_semantics(page)
    ui.first_run(page, agency)
    ui.new_screening(page, "screening.yaml", "ar")
    ui.wait_screen(page, "interview")
    drive_until(ui, page, answers, "urgent_doctor")
    answer_screen(ui, page, answers)

    ui.wait_screen(page, "urgent")
    reasons = ui.by_id(page, ids.URGENT_REASONS).first
    reasons.wait_for(state="attached")
    ui.wait_text(page, label_of("urgent_doctor", "en"))  # the question, in the worker's words
    ui.settled_screenshot(page, artifacts_dir / "urgent" / f"{viewport}-urgent-reasons.png")
    number = "+381110000000"  # "+381 11 000 0000" in the site's directory
    ui.tap(page, ids.CALL + number)
    page.wait_for_function("() => window.__opened.length > 0", timeout=10_000)
    ui.tap(page, ids.MESSAGE + number)
    page.wait_for_function("() => window.__opened.length > 1", timeout=10_000)
    assert page.evaluate("() => window.__opened") == [f"tel:{number}", f"sms:{number}"]
    ui.wait_screen(page, "urgent")  # the screen stays for the worker
