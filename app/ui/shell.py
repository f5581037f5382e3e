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

from app.i18n import Translator, is_rtl, translator
from app.store.errors import StoreError
from app.ui import ids
from app.ui.components import FONTS, MAX_WIDTH, Kit, theme
from app.ui.model import AppModel, Route, error_notice
from app.ui.words import message

log = logging.getLogger(__name__)

#: how long a control sent by its own update() takes to be laid out before it can be scrolled to
REVEAL_LAYOUT_SECONDS = 0.25

TICK_SECONDS = float(os.environ.get("WAYMARK_UI_TICK", "2"))


class Slots:
    """The parts of the frame whose contents change while the frame stays."""

    def __init__(self) -> None:
        self.bar = ft.Container()
        self.body = ft.Container()
        self.footer = ft.Container()
        self.footer_bar: ft.Container | None = None
        self.scroller: ft.Column | None = None


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
        self.place = ""  # what the screen shows: a new place starts at its top
        self.footer: ft.Control | None = None  # pinned below the scrolling screen
        self._slots: Slots | None = None
        #: (route, page width) of the frame drawn: a new one gets a new frame
        self._place_key: tuple[str, float | None] | None = None
        self._reveal: str | None = None
        self._lang: str | None = None
        #: the shown screen's refresh of what the background sender changes (None: redraw)
        self.live: Callable[[], None] | None = None

    # --- words ---------------------------------------------------------------------------

    @property
    def _(self) -> Translator:
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
        page.on_resize = self._on_resize
        self.render()
        page.run_task(self._ticker)

    def _on_resize(self, _e: Any = None) -> None:
        """Follow a turn of the tablet (a new width) without drawing the screen again: only the
        frame's width depends on the page's, so the screen keeps its controls, its ticks, an
        open confirmation and its scroll position. A height change alone (the on-screen
        keyboard opening under the PIN field) changes nothing at all; rebuilding there would
        replace the field being typed into, and its keyboard would resize the page again."""
        slots, placed = self._slots, self._place_key
        if slots is None or placed is None:
            self.render()
            return
        if self.page.width == placed[1]:
            return
        slots.body.width = slots.footer.width = self.frame_width()
        self._place_key = (placed[0], self.page.width)
        try:
            self.page.update()
        except (RuntimeError, ConnectionError) as exc:  # the browser went away mid-turn
            log.debug("update after disconnect: %s", type(exc).__name__)

    def frame_width(self) -> float:
        """The screen's width: the page's, up to a readable line length."""
        return min(MAX_WIDTH, float(self.page.width or MAX_WIDTH))

    def _on_disconnect(self, _e: Any) -> None:
        self._closed = True

    async def _ticker(self) -> None:
        """Idle lock, another page's lock, what auto-send did, and the break prompt, checked
        every few seconds."""
        while not self._closed:
            await asyncio.sleep(TICK_SECONDS)
            try:
                self._on_tick()
            except StoreError as exc:
                log.warning("ticker: %s %s", type(exc).__name__, exc.code)
            except Exception as exc:  # a timer that must never die: the idle lock depends on it
                log.error("ticker: %s", type(exc).__name__)  # the type only, never the text

    def _on_tick(self) -> None:
        """Draw what the tick changed. What the background sender did (a record sent, the
        configuration fetched) changes only the part of the screen that shows it, through the
        screen's ``live`` refresh: a full redraw would replace the buttons under the worker's
        finger, and a tap arriving at that moment would be lost."""
        route = self.model.route
        live = self.live
        if not self._tick():
            return
        if live is not None and self.model.route is route and not self.busy:
            try:
                live()
                return
            except (RuntimeError, AssertionError) as exc:  # not on the page (yet): draw all
                log.debug("live refresh: %s", type(exc).__name__)
        self.render()

    def _tick(self) -> bool:
        """One check; True when the screen must be drawn again."""
        m = self.model
        if m.check_sender():
            return True
        before = (m.route, m.break_due())
        if not self.busy and m.check_idle():  # never locked while it works for the worker
            return True
        if m.store.locked and m.route not in (Route.UNLOCK, Route.SET_PIN):
            m._hide_and_lock("other_session")
            return True
        return (m.route, m.break_due()) != before or (
            m.route is Route.INTERVIEW and m.break_due() and not self._break_shown
        )

    _break_shown = False

    def _on_key(self, e: ft.KeyboardEvent) -> None:
        if e.key == "Escape":
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
            self._guarded(fn, *args)
            self.render()

        return handler

    def _guarded(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` at the page's event boundary: the view-model turns every coded error
        into a notice itself; anything else becomes the general notice (logged by its type
        only, never its text) rather than a dead screen."""
        try:
            return fn(*args)
        except Exception as exc:  # the event boundary: a notice, never a dead page
            self.model.notice = error_notice(exc)
            return None

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
        self.model.touch()
        self.render()
        try:
            return await asyncio.to_thread(self._guarded, fn, *args)
        finally:
            self.busy = False
            self.model.touch()  # the time the app worked is not the worker's idle time
            self.render()

    # --- drawing ---------------------------------------------------------------------------

    def render(self) -> None:
        """Draw the current state. On the same place (screen, question, width) only
        the frame's slots get new contents, so the scroll position and open panels survive a
        tap; a new place gets a new frame, scrolled to its top."""
        from app.ui.screens import build

        m = self.model
        lang = m.settings.language
        self.kit = Kit(lang, m.settings.text_scale, m.touch)
        page = self.page
        self.place = m.route.value
        self.footer = None
        self.live = None  # the screen sets its own
        body = build(self, m.route)
        if lang != self._lang:
            page.theme = theme(lang)
            page.locale_configuration = ft.LocaleConfiguration(
                supported_locales=[ft.Locale(lang)], current_locale=ft.Locale(lang)
            )
            self._lang = lang
            self._place_key = None  # a new frame: the bar around quick exit turns direction too
        key = (self.place, page.width)
        if self._slots is None or key != self._place_key:
            self._slots = Slots()
            page.controls.clear()
            page.controls.append(self.frame(body))
            self._place_key = key
        else:
            self._fill(body)
        try:
            page.update()
        except (RuntimeError, ConnectionError) as exc:  # the browser went away mid-render
            log.debug("update after disconnect: %s", type(exc).__name__)
        self._reveal_pending()

    def reveal(self, key: str, *, now: bool = False) -> None:
        """Scroll so the control with ``ft.ScrollKey(key)`` shows at the top of the screen:
        a confirmation appears where the worker is looking. After the next render, or ``now``
        for a control already drawn by its own ``update()``."""
        self._reveal = key
        if now:
            self._reveal_pending(after_layout=True)

    def _reveal_pending(self, *, after_layout: bool = False) -> None:
        """``after_layout``: the control was just sent by its own ``update()``; the browser
        must lay it out before it can be scrolled to, or the scroll finds nothing to reach."""
        key, self._reveal = self._reveal, None
        slots = self._slots
        if key is None or slots is None or slots.scroller is None:
            return
        scroller = slots.scroller

        async def scroll() -> None:
            if after_layout:
                await asyncio.sleep(REVEAL_LAYOUT_SECONDS)
            await scroller.scroll_to(scroll_key=key, duration=200)

        self.page.run_task(scroll)

    def _fill(self, body: ft.Control) -> None:
        """Put the screen, the bar and the pinned footer into the frame's slots."""
        slots = self._slots
        assert slots is not None
        m = self.model
        if isinstance(body, ft.Column):
            body.horizontal_alignment = ft.CrossAxisAlignment.STRETCH
        rtl = is_rtl(m.settings.language)
        slots.bar.content = self._bar()
        slots.bar.rtl = slots.body.rtl = slots.footer.rtl = rtl
        slots.body.content = ft.Semantics(
            identifier=ids.SCREEN + m.route.value, content=body, container=True
        )
        slots.footer.content = self.footer
        if slots.footer_bar is not None:
            slots.footer_bar.visible = self.footer is not None

    def _bar(self) -> ft.Control:
        k, _ = self.kit, self._
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
        return ft.Row(bar_items, vertical_alignment=ft.CrossAxisAlignment.CENTER)

    def frame(self, body: ft.Control) -> ft.Control:
        """The bar with quick exit, the scrolling screen, and a footer pinned at the bottom
        (the interview's Back and Next), on every size and orientation."""
        if self._slots is None:
            self._slots = Slots()
        slots = self._slots
        rtl = is_rtl(self.model.settings.language)
        width = self.frame_width()
        self._fill(body)
        bar = ft.Container(
            content=slots.bar,
            bgcolor="#16384f",
            padding=ft.Padding.symmetric(horizontal=12, vertical=6),
            rtl=rtl,
        )
        slots.body.padding = ft.Padding.symmetric(horizontal=14, vertical=12)
        slots.body.width = width
        slots.body.rtl = rtl
        scroller = ft.Column(
            [ft.Row([slots.body], alignment=ft.MainAxisAlignment.CENTER)],
            scroll=ft.ScrollMode.AUTO,
            expand=True,
        )
        slots.scroller = scroller
        slots.footer.width = width
        slots.footer.rtl = rtl
        slots.footer.padding = ft.Padding.symmetric(horizontal=14, vertical=8)
        footer = ft.Container(
            content=ft.Row([slots.footer], alignment=ft.MainAxisAlignment.CENTER),
            bgcolor="#ffffff",
            border=ft.Border.only(top=ft.BorderSide(1, "#d0d7de")),
            visible=self.footer is not None,
        )
        slots.footer_bar = footer
        return ft.SafeArea(
            content=ft.Column([bar, scroller, footer], spacing=0, expand=True), expand=True
        )
