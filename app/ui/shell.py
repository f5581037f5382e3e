"""The frame around every screen, and the glue between Flet events and the view-model.

``Shell`` owns one browser page: it renders the current route's screen inside a frame with the
always-visible quick exit, routes the Escape key to quick exit, runs slow view-model calls off
the event loop, and checks the idle lock and the break prompt on a timer.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from typing import Any

import flet as ft

from app.i18n import is_rtl, translator
from app.ui import ids
from app.ui.components import FONTS, MAX_WIDTH, Kit, theme
from app.ui.model import AppModel, Route
from app.ui.words import message

log = logging.getLogger(__name__)

TICK_SECONDS = float(os.environ.get("WAYMARK_UI_TICK", "2"))


class Shell:
    def __init__(self, page: ft.Page, model: AppModel) -> None:
        self.page = page
        self.model = model
        self.busy = False
        self._closed = False
        self.kit = Kit(model.settings.language, model.settings.text_scale, model.touch)
        self.drafts: dict[str, Any] = {}  # text typed into fields, until Next commits it
        self.show_languages = False
        self.confirm_withdraw = False

    # --- words ---------------------------------------------------------------------------

    @property
    def _(self) -> Any:
        return translator(self.model.settings.language)

    def words(self, code: str, params: dict[str, Any] | None = None) -> str:
        return message(self._, code, params)

    # --- set-up ----------------------------------------------------------------------------

    def mount(self) -> None:
        page = self.page
        page.title = "Waymark"
        page.fonts = dict(FONTS)
        page.padding = 0
        page.bgcolor = "#f6f8fa"
        page.on_keyboard_event = self._on_key
        page.on_disconnect = self._on_disconnect
        page.on_close = self._on_disconnect
        page.on_resize = lambda _e: self.render()
        self.render()
        page.run_task(self._ticker)

    def _on_disconnect(self, _e: Any) -> None:
        self._closed = True

    async def _ticker(self) -> None:
        """Idle lock, another page's lock, and the break prompt, checked every few seconds."""
        while not self._closed:
            await asyncio.sleep(TICK_SECONDS)
            try:
                m = self.model
                before = (m.route, m.break_due())
                if m.check_idle():
                    self.render()
                    continue
                if m.store.locked and m.route not in (Route.UNLOCK, Route.SET_PIN):
                    m._hide_and_lock("other_session")
                    self.render()
                    continue
                if (m.route, m.break_due()) != before or (
                    m.route is Route.INTERVIEW and m.break_due() and not self._break_shown
                ):
                    self.render()
            except Exception:
                log.exception("ticker")
            if self._closed:
                break

    _break_shown = False

    def _on_key(self, e: Any) -> None:
        if getattr(e, "key", "") == "Escape":
            self.quick_exit()

    # --- actions ---------------------------------------------------------------------------

    def quick_exit(self, _e: Any = None) -> None:
        self.drafts.clear()
        self.show_languages = self.confirm_withdraw = False
        self.model.quick_exit()
        self.render()

    def act(self, fn: Callable[..., Any], *args: Any) -> Callable[[Any], None]:
        """A click handler: call the view-model, then draw the new state."""

        def handler(_e: Any) -> None:
            if self.busy:
                return
            self.model.touch()
            fn(*args)
            self.render()

        return handler

    def slow(self, fn: Callable[..., Any], *args: Any) -> Callable[[Any], Any]:
        """A click handler for slow work (key derivation, sealing, network), run in a thread so
        the interface stays responsive; the screen shows that it is working."""

        async def handler(_e: Any) -> None:
            await self.run_slow(fn, *args)

        return handler

    async def run_slow(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self.busy:
            return None
        self.busy = True
        self.render()
        try:
            return await asyncio.to_thread(fn, *args)
        finally:
            self.busy = False
            self.render()

    # --- drawing ---------------------------------------------------------------------------

    def render(self) -> None:
        from app.ui.screens import build

        m = self.model
        lang = m.settings.language
        self.kit = Kit(lang, m.settings.text_scale, m.touch)
        page = self.page
        page.theme = theme(lang)
        page.locale_configuration = ft.LocaleConfiguration(
            supported_locales=[ft.Locale(lang)], current_locale=ft.Locale(lang)
        )
        body = build(self, m.route)
        page.controls.clear()
        page.controls.append(self.frame(body))
        try:
            page.update()
        except Exception:  # the browser went away mid-render
            log.debug("update after disconnect")

    def frame(self, body: ft.Control) -> ft.Control:
        k, _ = self.kit, self._
        m = self.model
        if isinstance(body, ft.Column):
            body.horizontal_alignment = ft.CrossAxisAlignment.STRETCH
        bar_items: list[ft.Control] = [
            ft.Container(
                content=ft.Text(
                    "Waymark",  # the name, in every language and at every text size
                    size=18,
                    font_family="Noto Sans Bold",
                    color="#ffffff",
                    no_wrap=True,
                    overflow=ft.TextOverflow.ELLIPSIS,
                ),
                expand=True,
            )
        ]
        if self.busy:
            bar_items.append(ft.ProgressRing(width=22, height=22, color="#ffffff"))
        bar_items.append(
            k.button(
                _("Quick exit"),
                self.quick_exit,
                ident=ids.QUICK_EXIT,
                kind="danger",
                icon=ft.Icons.VISIBILITY_OFF,
            )
        )
        bar = ft.Container(
            content=ft.Row(bar_items, vertical_alignment=ft.CrossAxisAlignment.CENTER),
            bgcolor="#16384f",
            padding=ft.Padding.symmetric(horizontal=12, vertical=6),
            rtl=is_rtl(m.settings.language),
        )
        content = ft.Container(
            content=ft.Semantics(
                identifier=ids.SCREEN + m.route.value, content=body, container=True
            ),
            padding=ft.Padding.symmetric(horizontal=14, vertical=12),
            width=min(MAX_WIDTH, float(self.page.width or MAX_WIDTH)),
            rtl=is_rtl(m.settings.language),
        )
        scroller = ft.Column(
            [ft.Row([content], alignment=ft.MainAxisAlignment.CENTER)],
            scroll=ft.ScrollMode.AUTO,
            expand=True,
        )
        return ft.SafeArea(content=ft.Column([bar, scroller], spacing=0, expand=True), expand=True)
