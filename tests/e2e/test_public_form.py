"""A real public XLSForm (pyxform's own xlsform_spec_test) in the field app, in Debian chromium:
the worker types a name and the next screen's label shows it in place of ``${my_name}``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from app.ui import ids

pytestmark = [pytest.mark.browser, pytest.mark.slow]
FORM = "px_xlsform_spec_test.xlsx"


def test_a_label_shows_the_name_typed_on_the_screen_before(
    agency: Any,
    serve_app: Any,
    app_page: Any,
    artifacts_dir: Path,
    ui: Any,
    shared_dir: Path,
    tmp_path: Path,
) -> None:
    forms = tmp_path / "forms"
    forms.mkdir()
    shutil.copy(shared_dir / "conformance" / "forms" / "public" / FORM, forms / FORM)
    server = serve_app(questionnaires_dir=forms)
    page = app_page(server, ui.VIEWPORTS["phone"])
    ui.first_run(page, agency)
    ui.new_screening(page, FORM, "en")
    ui.give_consent(page)
    ui.wait_text(page, "Skip to end")
    ui.tap(page, ids.NEXT)
    ui.by_id(page, ids.ANSWER_FIELD + "my_name").first.wait_for()
    ui.type_into(page, ids.ANSWER_FIELD + "my_name", "Amina")
    ui.tap(page, ids.NEXT)
    ui.wait_text(page, "Your name is Amina")
    assert not ui.shows_text(page, "${my_name}")
    ui.settled_screenshot(page, artifacts_dir / "public-form" / "label-with-answer.png")
