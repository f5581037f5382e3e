"""The consent choice in Debian chromium: Agree stays off until both agreements are ticked, a
tick moves nothing on the screen, and declining asks for a confirmation right where the worker
is looking; only the confirmation deletes the draft."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.ui import ids
from tests.e2e.conftest import Agency
from tests.e2e.test_field_app import tap_enabled

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def open_consent(ui: Any, page: Any, agency: Agency, lang: str = "ar") -> None:
    ui.first_run(page, agency)
    ui.new_screening(page, "skeleton.yaml", lang)
    ui.wait_screen(page, "consent")


def disabled(ui: Any, page: Any, ident: str) -> bool:
    node = ui.by_id(page, ident).first
    inner = node.locator("[role=button]")
    target = inner.first if inner.count() else node
    return bool(target.evaluate("e => e.getAttribute('aria-disabled') === 'true'"))


def top(ui: Any, page: Any, ident: str) -> float:
    box = ui.by_id(page, ident).first.bounding_box()
    assert box is not None
    return float(box["y"])


@pytest.mark.parametrize("viewport", ["phone", "tablet"])
def test_agree_needs_both_ticks_and_a_tick_keeps_the_place(
    viewport: str, agency: Agency, serve_app: Any, app_page: Any, artifacts_dir: Path, ui: Any
) -> None:
    page = app_page(serve_app(), ui.VIEWPORTS[viewport])
    open_consent(ui, page, agency)
    assert disabled(ui, page, ids.CONSENT_AGREE)
    ui.tap(page, ids.CONSENT_AGREE)  # nothing happens: no refusal, nothing deleted
    ui.wait_screen(page, "consent")

    ui.by_id(page, ids.CONSENT_STORING).first.scroll_into_view_if_needed()
    ui.settle(page)
    before = top(ui, page, ids.CONSENT_STORING)
    ui.tap(page, ids.CONSENT_SCREENING)
    assert top(ui, page, ids.CONSENT_STORING) == pytest.approx(before, abs=2)
    assert disabled(ui, page, ids.CONSENT_AGREE)
    ui.tap(page, ids.CONSENT_STORING)
    assert top(ui, page, ids.CONSENT_STORING) == pytest.approx(before, abs=2)
    assert not disabled(ui, page, ids.CONSENT_AGREE)
    ui.settled_screenshot(page, artifacts_dir / "consent" / f"{viewport}-ar-both-ticked.png")
    tap_enabled(ui, page, ids.CONSENT_AGREE)
    ui.wait_screen(page, "interview")


@pytest.mark.parametrize("viewport", ["phone", "tablet"])
def test_declining_asks_first_and_only_the_confirmation_deletes(
    viewport: str, agency: Agency, serve_app: Any, app_page: Any, artifacts_dir: Path, ui: Any
) -> None:
    page = app_page(serve_app(), ui.VIEWPORTS[viewport])
    open_consent(ui, page, agency, "ti")
    ui.by_id(page, ids.CONSENT_DECLINE).first.scroll_into_view_if_needed()
    ui.settle(page)
    ui.tap(page, ids.CONSENT_DECLINE)
    ui.by_id(page, ids.CONSENT_DECLINE_YES).first.wait_for()
    ui.wait_screen(page, "consent")  # asked, nothing deleted yet
    ui.settle(page, quiet_ms=500)  # the screen scrolls the question into view
    decline = top(ui, page, ids.CONSENT_DECLINE)
    confirm = top(ui, page, ids.CONSENT_DECLINE_YES)
    height = ui.VIEWPORTS[viewport]["height"]
    assert decline < confirm < height  # right below the button, on screen
    ui.settled_screenshot(page, artifacts_dir / "consent" / f"{viewport}-ti-decline-asked.png")
    ui.tap(page, ids.CONSENT_DECLINE_NO)
    ui.by_id(page, ids.CONSENT_DECLINE_YES).first.wait_for(state="detached")  # the ask goes
    ui.wait_screen(page, "consent")  # and the person is still asked, nothing deleted

    ui.tap(page, ids.CONSENT_DECLINE)
    ui.by_id(page, ids.CONSENT_DECLINE_YES).first.wait_for()
    ui.settle(page, quiet_ms=500)  # the confirmation comes to rest where the worker looks
    ui.tap(page, ids.CONSENT_DECLINE_YES)
    ui.wait_screen(page, "home")
    ui.wait_text(page, "Nothing was kept.")
    assert page.locator(f'[flt-semantics-identifier^="{ids.RESUME}"]').count() == 0
