"""A real public XLSForm in the field app, built without a browser from the real view-model:
``${name}`` in a label shows the answer given, and a part Waymark does not run (a photo, a
location) is a plain translated note, never a blank screen."""

from __future__ import annotations

import shutil
from pathlib import Path

from app.i18n import translator
from app.ui.model import AppModel, Route
from app.ui.screens.interview import NOT_AVAILABLE
from tests.app.ui.conftest import PIN
from tests.app.ui.test_screens import screen, texts


def _field_app(tmp_path: Path, store, agency, clock, form: Path) -> AppModel:
    folder = tmp_path / "forms"
    folder.mkdir()
    shutil.copy(form, folder / form.name)
    # the site's configuration lists the questionnaires a tablet offers: the form is one of them
    shutil.copy(form, agency.settings.config_dir / "questionnaires" / form.name)
    m = AppModel(store, tmp_path / "device", folder, sync_factory=agency.client, monotonic=clock)
    assert m.set_pin(PIN, PIN)
    assert m.enrol(agency.qr_text())
    m.go(Route.NEW)
    m.choose("form", form.name)
    q = next(info for info in m.questionnaires() if info.key == form.name).load()
    lang = q.languages[0]
    m.choose("language", lang)
    m.choose("worker_language", lang)
    assert m.start(), m.notice
    if m.route is Route.CONSENT:
        m.consent(True, True)
    assert m.route is Route.INTERVIEW
    return m


def test_a_label_shows_the_answer_it_names(tmp_path, store, agency, clock, shared_dir) -> None:
    form = shared_dir / "conformance" / "forms" / "public" / "px_xlsform_spec_test.xlsx"
    m = _field_app(tmp_path, store, agency, clock, form)
    iv = m.interview
    assert iv is not None
    iv.session.jump("my_name")
    iv.answer("my_name", "Ana")
    iv.session.jump("invalid_variable")  # "Your name is ${my_name}"
    _shell, page = screen(m)
    assert "Your name is Ana" in texts(page)
    iv.session.jump("my_name")
    iv.answer("my_name", "Sam")
    iv.session.jump("invalid_variable")
    _shell, page = screen(m)
    assert "Your name is Sam" in texts(page)
    assert not any("${" in t for t in texts(page))


def test_an_unsupported_question_is_a_translated_note(
    tmp_path, store, agency, clock, shared_dir
) -> None:
    form = shared_dir / "conformance" / "forms" / "public" / "px_widgets.xls"
    m = _field_app(tmp_path, store, agency, clock, form)
    iv = m.interview
    assert iv is not None
    for _ in range(40):
        if any(p.unsupported for p in iv.session.screen().prompts):
            break
        for p in iv.session.screen().prompts:
            if not p.read_only:
                iv.session.answer(p.name, None)
        iv.session.jump(iv.session.screen().prompts[0].name)
        iv.session.next()
    assert any(p.unsupported for p in iv.session.screen().prompts)
    m.set_language("fr")
    _shell, page = screen(m)
    assert translator("fr")(NOT_AVAILABLE) in texts(page)
    assert translator("fr")(NOT_AVAILABLE) != NOT_AVAILABLE


def test_a_public_form_is_filled_to_the_end_and_sealed_in_the_field_app(
    tmp_path, store, agency, clock, shared_dir
) -> None:
    """wf_socio_economic_survey (cascading choice filters, a repeat, relevance): answered
    through the view-model, screen by screen, as the worker's taps would, then finished."""
    import random

    from tests.app.engine.filler import candidates

    form = shared_dir / "conformance" / "forms" / "public" / "wf_socio_economic_survey.xlsx"
    m = _field_app(tmp_path, store, agency, clock, form)
    iv = m.interview
    assert iv is not None
    rnd = random.Random(4)
    screens = 0
    for _ in range(200):
        if iv.at_end:
            break
        screen_now = iv.session.screen()
        if screen_now.kind == "questions":
            screens += 1
            view = iv.view()
            assert view.prompts and all(p.label for p in view.prompts)
            for p in screen_now.prompts:
                if p.read_only or p.value not in ("", None, []):
                    continue
                for value in candidates(p, rnd):
                    if not iv.answer(p.name, value):
                        break
        m.next()
    assert iv.at_end and screens >= 6
    assert m.finish(), m.notice
    assert m.route is Route.SUMMARY
    finalised = [r for r in store.records() if r.finalised_at]
    assert [r.form_id for r in finalised] == [iv.session.questionnaire.form_id]
