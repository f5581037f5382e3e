"""Touch targets in Debian chromium with a desktop user agent (a Windows tablet, a Chromebook):
every button and checkbox is at least 48 px high on the phone and the tablet viewport, here on
the first-run, home, new-screening and consent screens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.ui import ids
from tests.e2e.conftest import TIMEOUT_MS, Agency, open_app
from tests.e2e.test_field_app import tap_choice, tap_enabled

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
TARGETS_JS = """() => [...document.querySelectorAll('[role=button], [role=checkbox]')]
  .map(e => { const r = e.getBoundingClientRect();
              // a target cut by the edge of the scrolling screen is measured once in view
              const clipped = r.top < 56 || r.bottom > innerHeight - 1;
              return {label: e.getAttribute('aria-label') || e.textContent || '',
                      h: r.height, w: r.width, clipped}; })
  .filter(t => t.w > 0 && !t.clipped)"""


def small_targets(page: Any) -> list[dict[str, Any]]:
    return [t for t in page.evaluate(TARGETS_JS) if t["h"] < 48]


@pytest.mark.parametrize("viewport", ["phone", "tablet"])
def test_every_target_is_48_px_with_a_desktop_user_agent(
    viewport: str,
    agency: Agency,
    serve_app: Any,
    browser: Any,
    artifacts_dir: Path,
    ui: Any,
) -> None:
    app = serve_app()
    ctx = browser.new_context(viewport=ui.VIEWPORTS[viewport], user_agent=WINDOWS)
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        page = ctx.new_page()
        open_app(page, app.url)
        ui.wait_screen(page, "set_pin")
        assert small_targets(page) == []
        ui.first_run(page, agency)
        assert small_targets(page) == []
        ui.settled_screenshot(page, artifacts_dir / "touch" / f"{viewport}-home.png")

        ui.tap(page, ids.START_SCREENING)
        ui.wait_screen(page, "new")
        tap_choice(ui, page, ids.FORM + "skeleton.yaml")
        tap_choice(ui, page, ids.LANGUAGE + "ar")
        tap_choice(ui, page, ids.WORKER_LANGUAGE + "en")
        assert small_targets(page) == []
        tap_enabled(ui, page, ids.BEGIN)
        ui.wait_screen(page, "consent")
        # the two ticks and Agree / Decline: measured as they come into view
        for ident in (ids.CONSENT_SCREENING, ids.CONSENT_STORING, ids.CONSENT_DECLINE):
            ui.by_id(page, ident).first.scroll_into_view_if_needed()
            ui.settle(page)
            assert small_targets(page) == [], ident
        box = ui.by_id(page, ids.CONSENT_STORING).first.bounding_box()
        assert box is not None and box["height"] >= 48
        ui.settled_screenshot(page, artifacts_dir / "touch" / f"{viewport}-consent.png")
    finally:
        ctx.close()
