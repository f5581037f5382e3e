"""Each screen's controls, built without a browser from the real view-model: every control a
person taps is named, the text size setting reaches every text, right-to-left languages lay the
screen out right-to-left, and flags never appear on a screen the respondent sees."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import flet as ft
import pytest

from app.ui import ids
from app.ui.model import AppModel, Route
from app.ui.screens import build
from app.ui.shell import Shell
from tests.app.ui.test_model import start_skeleton


def walk(control: Any) -> Iterator[Any]:
    yield control
    for attr in ("content", "controls"):
        child = getattr(control, attr, None)
        if isinstance(child, list):
            for c in child:
                yield from walk(c)
        elif isinstance(child, ft.Control):
            yield from walk(child)


def texts(control: Any) -> list[str]:
    return [c.value for c in walk(control) if isinstance(c, ft.Text) and c.value]


def shell_for(model: AppModel) -> Shell:
    page = SimpleNamespace(width=360, run_task=lambda *a, **k: None)
    return Shell(page, model)  # type: ignore[arg-type]


def screen(model: AppModel) -> tuple[Shell, ft.Control]:
    shell = shell_for(model)
    body = build(shell, model.route)
    return shell, shell.frame(body)


def every_route(m: AppModel) -> Iterator[Route]:
    yield m.route  # home
    for route in (Route.RECORDS, Route.SYNC, Route.SETTINGS, Route.NEW):
        m.go(route)
        yield route
    start_skeleton(m)
    yield Route.INTERVIEW
    m.route = Route.URGENT
    yield Route.URGENT
    m.route = Route.INTERVIEW
    iv = m.interview
    assert iv is not None
    iv.answer("case_code", "A-1")
    m.next()
    iv.answer("travelling_alone", "yes")
    m.next()
    yield Route.INTERVIEW  # the end of the questions
    assert m.finish()
    yield Route.SUMMARY


@pytest.mark.parametrize("lang", ["en", "ar", "ti"])
def test_every_screen_builds_with_named_buttons(enrolled: AppModel, lang: str) -> None:
    enrolled.set_language(lang)
    seen = set()
    for route in every_route(enrolled):
        _shell, root = screen(enrolled)
        seen.add(route)
        buttons = [c for c in walk(root) if isinstance(c, ft.Button)]
        assert buttons, route
        for b in buttons:
            assert texts(b), (route, "a button without words")
        idents = {c.identifier for c in walk(root) if isinstance(c, ft.Semantics)}
        assert ids.QUICK_EXIT in idents, route  # always visible
        assert ids.SCREEN + route.value in idents
    assert {Route.HOME, Route.INTERVIEW, Route.SUMMARY, Route.URGENT} <= seen


def test_text_size_setting_reaches_every_text(enrolled: AppModel) -> None:
    start_skeleton(enrolled)
    sizes = {}
    for scale in (1.0, 1.5):
        enrolled.set_text_scale(scale)
        _shell, root = screen(enrolled)
        sizes[scale] = [
            c.size for c in walk(root) if isinstance(c, ft.Text) and c.value != "Waymark"
        ]
    assert len(sizes[1.0]) == len(sizes[1.5])
    for small, large in zip(sizes[1.0], sizes[1.5], strict=True):
        assert large == pytest.approx(small * 1.5, abs=0.1)


def test_right_to_left_per_language_in_a_mixed_pair(enrolled: AppModel) -> None:
    start_skeleton(enrolled, "ar", "en")
    _shell, root = screen(enrolled)
    by_text = {c.value: c for c in walk(root) if isinstance(c, ft.Text)}
    assert by_text["رمز الملف"].rtl is True
    assert by_text["Case code"].rtl is False
    assert by_text["رمز الملف"].font_family == "Noto Naskh Arabic Bold"
    enrolled.set_language("fa")
    _shell, root = screen(enrolled)
    frames = [c for c in walk(root) if isinstance(c, ft.Container) and c.rtl]
    assert frames  # the worker's interface in Farsi is laid out right-to-left


def test_flags_never_show_on_the_respondents_screens(enrolled: AppModel) -> None:
    enrolled.go(Route.NEW)
    for k, v in (("form", "screening.yaml"), ("language", "en"), ("worker_language", "en")):
        enrolled.choose(k, v)
    assert enrolled.start()
    enrolled.consent(True, True)
    iv = enrolled.interview
    assert iv is not None
    iv.answer("consent_screening", "yes")
    iv.answer("documents", ["held_by_other"])
    flag_labels = [f.label_in("en") for f in iv.session.outcome().flags]
    assert flag_labels
    _shell, root = screen(enrolled)
    shown = " ".join(texts(root))
    for label in flag_labels:
        assert label not in shown


def test_the_idle_lock_waits_while_the_app_works_for_the_worker(enrolled: AppModel) -> None:
    """Sealing or sending can take a while on a slow tablet: that time is not the worker's
    idle time, and the lock comes only once the work is done and the idle time has passed."""
    from tests.app.ui.conftest import Clock

    start_skeleton(enrolled)
    enrolled.set_auto_lock(60)
    clock = enrolled.store.settings.monotonic
    assert isinstance(clock, Clock)
    shell = shell_for(enrolled)
    shell.busy = True
    clock.now += 61
    shell._tick()
    assert not enrolled.store.locked
    shell.busy = False
    shell._tick()
    assert enrolled.store.locked and enrolled.route is Route.UNLOCK


def test_settings_show_the_enrolment_site_role_and_key(enrolled: AppModel) -> None:
    """The role the coordinator enrolled this tablet for survives the store and shows in the
    worker's words beside the site and the agency key's fingerprint."""
    enrolment = enrolled.store.enrolment
    assert enrolment is not None and enrolment.role == "outreach"
    enrolled.go(Route.SETTINGS)
    _shell, root = screen(enrolled)
    shown = texts(root)
    assert "Site: belgrade" in shown
    assert "Role: outreach worker" in shown
    assert f"Agency key: {enrolment.fingerprint}" in shown
    assert enrolment.token not in " ".join(shown)


def test_a_turn_keeps_the_screen_and_only_a_new_width_reaches_the_frame(
    enrolled: AppModel,
) -> None:
    """The on-screen keyboard changes the page's height under a focused field: nothing is
    sent. Turning the tablet (a new width) is not a new screen either: the same controls stay
    (a tick on consent, an open confirmation, the scroll position survive the turn), and only
    the frame's width follows the page."""
    drawn: list[int] = []
    updates: list[int] = []
    page = SimpleNamespace(
        width=360, height=740, run_task=lambda *a, **k: None, controls=[],
        update=lambda: updates.append(1),
    )
    shell = Shell(page, enrolled)  # type: ignore[arg-type]
    page.controls.append(shell.frame(build(shell, enrolled.route)))
    shell._place_key = (enrolled.route.value, 360)
    slots = shell._slots
    assert slots is not None
    body = slots.body.content
    shell.render = lambda: drawn.append(1)  # type: ignore[method-assign]
    page.height = 420  # the keyboard opened
    shell._on_resize()
    assert (drawn, updates) == ([], [])
    page.width, page.height = 640, 360  # turned to landscape
    shell._on_resize()
    assert drawn == [] and updates == [1]
    assert slots.body.content is body  # the same screen, not a new one
    assert slots.body.width == slots.footer.width == 640
    page.width = 1280  # a wide screen: the line stays readable
    shell._on_resize()
    assert slots.body.width == shell.frame_width() < 1280


def test_a_new_interface_language_draws_the_whole_frame_in_its_direction(
    enrolled: AppModel,
) -> None:
    """From Arabic to Tigrinya in Settings: the bar with quick exit turns left to right too
    (the same place keeps its frame otherwise, and the bar's own direction stayed Arabic)."""
    page = SimpleNamespace(
        width=360, height=740, run_task=lambda *a, **k: None, controls=[], update=lambda: None
    )
    shell = Shell(page, enrolled)  # type: ignore[arg-type]
    enrolled.set_language("ar")
    enrolled.go(Route.SETTINGS)
    shell.render()
    assert next(c.rtl for c in walk(page.controls[0]) if isinstance(c, ft.Container))
    enrolled.set_language("ti")
    shell.render()
    assert not any(c.rtl for c in walk(page.controls[0]) if isinstance(c, ft.Container))


def test_what_auto_send_did_refreshes_only_its_part_of_home(enrolled: AppModel) -> None:
    """A record sent in the background changes the sending card on Home, not the whole
    screen: Start and the other buttons stay the same controls, so a tap at that moment is
    not lost; a change of screen (the tablet revoked) still draws it all."""
    calls: list[str] = []
    shell = shell_for(enrolled)
    build(shell, enrolled.route)
    assert enrolled.route is Route.HOME and shell.live is not None
    shell.live = lambda: calls.append("live")
    shell.render = lambda: calls.append("render")  # type: ignore[method-assign]
    enrolled.sender.version += 1  # e.g. a round sent a record
    shell._on_tick()
    assert calls == ["live"]
    shell._on_tick()  # nothing new: nothing drawn
    assert calls == ["live"]
    enrolled.sender.revoked = True
    shell._on_tick()
    assert calls == ["live", "render"] and enrolled.route is Route.SET_PIN
