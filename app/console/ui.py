"""The coordinator console's Flet interface, served in web mode offline (no CDN) on 127.0.0.1.

Each browser page gets its own :class:`~app.console.view.ConsoleView` over its own
:class:`~app.console.model.Console` and must be opened with the private key and passphrase;
closing the page locks it. Charts are bars drawn from containers in the app (nothing fetched),
labelled in the coordinator's language with the bundled Noto fonts. Slow work (key derivation,
pulling, erasing on the server) runs off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import flet as ft
from babel import UnknownLocaleError

from app.console import ids
from app.console.model import Console, DeviceRow, PathwayView, RecordDetail
from app.console.reading import Reading
from app.console.table import (
    PAGE_SIZES,
    REQUIRED_COLUMNS,
    Column,
    Submission,
    TablePage,
    follow_summary,
)
from app.console.view import ConsoleView, Route
from app.console.words import (
    ACTION_WORDS,
    audit_word,
    column_word,
    message,
    state_word,
)
from app.i18n import SHIPPED, Translator, is_rtl, isolate, language, translator
from app.resources import questionnaires_dir
from app.store import crypto
from app.uikit.components import (
    DONE_BG,
    ERROR_BG,
    FONTS,
    PRIMARY,
    WORKER_BG,
    Kit,
    Option,
    theme,
)
from app.uikit.web import run_offline
from sync.protocol import case_code

log = logging.getLogger(__name__)

QUESTIONNAIRES_DIR = questionnaires_dir()
WIDTH = 960
TICK_SECONDS = float(os.environ.get("WAYMARK_UI_TICK", "2"))
BAR_MAX = 320
AUDIT_SHOWN = 300
#: Width of each column of the submissions table, in logical pixels.
CELL_WIDTH = {
    Column.case: 130,
    Column.site: 110,
    Column.date: 110,
    Column.questionnaire: 190,
    Column.pathways: 230,
    Column.follow_up: 200,
    Column.flags: 90,
    Column.language: 100,
    Column.received: 110,
}
BAR_COLOURS = {"sites": PRIMARY, "weeks": "#2e7d5b", "pathways": "#8b4a1f", "dimensions": "#6a3d9a"}


class ConsoleShell:
    """Draws one page from its view state and forwards clicks to it."""

    def __init__(self, page: ft.Page, view: ConsoleView, actor: str = "") -> None:
        self.page = page
        self.view = view
        self.actor = actor
        self.busy = False
        self.kit = Kit(view.lang, 1.0, view.touch)

    @property
    def _(self) -> Translator:
        return translator(self.view.lang)

    # --- set-up and events ------------------------------------------------------------------

    def mount(self) -> None:
        page = self.page
        page.title = self._("Waymark console")
        page.fonts = dict(FONTS)
        page.padding = 0
        page.bgcolor = "#f6f8fa"
        page.on_disconnect = self._closed
        page.on_close = self._closed
        self.render()
        page.run_task(self._ticker)

    async def _ticker(self) -> None:
        """Lock an idle console (checked every few seconds while the page is open)."""
        while not self._gone:
            await asyncio.sleep(TICK_SECONDS)
            try:
                if not self.busy and self.view.check_idle():
                    self.render()
            except Exception as exc:  # a background task: a failed check must not end the ticks
                log.debug("idle check failed: %s", type(exc).__name__)

    _gone = False

    def _closed(self, _e: Any) -> None:
        self._gone = True
        try:
            self.view.console.lock()
        except Exception as exc:  # the disconnect event: the page is gone, nothing to show
            log.debug("lock on disconnect failed: %s", type(exc).__name__)

    def act(self, fn: Callable[..., Any], *args: Any) -> Callable[[Any], Any]:
        """A click handler: the view call runs in a thread (it may derive keys or use the
        network) while the page shows that it is working."""

        async def handler(_e: Any) -> None:
            if self.busy:
                return
            self.view.touch()
            self.busy = True
            self.render()
            try:
                await asyncio.to_thread(fn, *args)
            except Exception as exc:  # the page's event boundary: a notice, never a dead page
                self.view._fail(exc)
            finally:
                self.busy = False
                self.render()

        return handler

    def go(self, route: Route) -> Callable[[Any], Any]:
        return self.act(self.view.show, route)

    # --- drawing ----------------------------------------------------------------------------

    def render(self) -> None:
        v = self.view
        self.kit = Kit(v.lang, 1.0, v.touch)
        page = self.page
        page.theme = theme(v.lang)
        page.rtl = is_rtl(v.lang)
        page.locale_configuration = ft.LocaleConfiguration(
            supported_locales=[ft.Locale(v.lang)], current_locale=ft.Locale(v.lang)
        )
        try:
            body = self.screen()
        except Exception as exc:  # the drawing boundary: any failure falls back to a safe screen
            v._fail(exc)
            v.route = Route.OPEN if not v.console.unlocked else Route.DASHBOARD
            body = self.open_screen() if v.route is Route.OPEN else self.kit.text("")
        page.controls.clear()
        page.controls.append(self.frame(body))
        try:
            page.update()
        except Exception as exc:  # the page may be gone (disconnect): nothing to draw on
            log.debug("update after disconnect: %s", type(exc).__name__)

    def screen(self) -> ft.Control:
        route = self.view.route
        if route is Route.OPEN or not self.view.console.unlocked:
            self.view.route = Route.OPEN
            return self.open_screen()
        if route is Route.DASHBOARD:
            return self.dashboard_screen()
        if route is Route.RECORDS:
            return self.records_screen()
        if route is Route.RECORD:
            return self.record_screen()
        if route is Route.AUDIT:
            return self.audit_screen()
        return self.export_screen()

    def frame(self, body: ft.Control) -> ft.Control:
        """The page: the bar, what is pinned under it, and the screen that scrolls."""
        v = self.view
        bar = self.bar()
        content: list[ft.Control] = []
        content.append(
            ft.Semantics(identifier=ids.SCREEN + v.route.value, content=body, container=True)
        )
        inner = ft.Container(
            content=ft.Column(content, spacing=12),
            padding=ft.Padding.symmetric(horizontal=16, vertical=12),
            width=min(WIDTH, float(self.page.width or WIDTH)),
        )
        scroller = ft.Column(
            [ft.Row([inner], alignment=ft.MainAxisAlignment.CENTER)],
            scroll=ft.ScrollMode.AUTO,
            expand=True,
        )
        top: list[ft.Control] = [bar, *self.pinned_row()]
        return ft.SafeArea(content=ft.Column([*top, scroller], spacing=0, expand=True), expand=True)

    def bar(self) -> ft.Control:
        """The title bar: the screens, getting new records and locking (once unlocked)."""
        k, _ = self.kit, self._
        v = self.view
        title: list[ft.Control] = [
            ft.Container(
                content=k.text(_("Waymark console"), 18, bold=True, color="#ffffff"),
                expand=True,
            )
        ]
        if self.busy:
            title.append(ft.ProgressRing(width=22, height=22, color="#ffffff"))
        items: list[ft.Control] = []
        if v.console.unlocked:
            for route, words in (
                (Route.DASHBOARD, _("Dashboard")),
                (Route.RECORDS, _("Records")),
                (Route.EXPORT, _("Export")),
                (Route.AUDIT, _("Audit")),
            ):
                items.append(
                    k.button(
                        words,
                        self.go(route),
                        ident=ids.NAV + route.value,
                        kind="secondary",
                        selected=v.route is route,
                        disabled=self.busy,
                    )
                )
            items.append(
                k.button(_("Get new records"), self.act(v.pull), ident=ids.PULL, disabled=self.busy)
            )
            items.append(
                k.button(
                    _("Lock"), self.act(v.lock), ident=ids.LOCK, kind="danger", disabled=self.busy
                )
            )
        return ft.Container(
            content=ft.Column(
                [
                    ft.Row(title, vertical_alignment=ft.CrossAxisAlignment.CENTER),
                    ft.Row(items, wrap=True),
                ],
                spacing=6,
            ),
            bgcolor="#16384f",
            padding=ft.Padding.symmetric(horizontal=12, vertical=6),
        )

    def pinned_row(self) -> list[ft.Control]:
        """What :meth:`pinned` holds, centred under the bar (nothing when nothing is)."""
        pinned = self.pinned()
        if not pinned:
            return []
        return [
            ft.Row(
                [
                    ft.Container(
                        content=ft.Column(pinned, spacing=8),
                        padding=ft.Padding.symmetric(horizontal=16, vertical=8),
                        width=min(WIDTH, float(self.page.width or WIDTH)),
                    )
                ],
                alignment=ft.MainAxisAlignment.CENTER,
            )
        ]

    # --- screens ----------------------------------------------------------------------------

    def open_screen(self) -> ft.Control:
        k, _ = self.kit, self._
        v = self.view
        key_path = k.field(_("Private key file"), value=v.key_path)
        passphrase = k.field(_("Passphrase"), password=True)
        actor = k.field(_("Your name (kept with each follow-up step)"), value=self.actor)
        # after the key's passphrase was changed, the store still opens with the old one once
        ask_previous = v.notice is not None and v.notice.code == "wrong_passphrase"
        previous = k.field(_("Previous passphrase"), password=True)

        async def submit(e: Any) -> None:
            self.actor = actor.value or ""
            secret = passphrase.value or ""
            passphrase.value = ""  # never drawn again with the passphrase in it
            old = previous.value or ""
            previous.value = ""
            await self.act(v.open, key_path.value or "", secret, self.actor, old)(e)

        passphrase.on_submit = submit
        return k.form(
            _("Open the coordinator console"),
            _(
                "Records are opened on this computer with the agency's private key. "
                "They are kept here encrypted with the key's passphrase."
            ),
            [(ids.KEY_PATH, key_path), (ids.PASSPHRASE, passphrase), (ids.ACTOR, actor)],
            k.button(_("Open"), submit, ident=ids.OPEN, disabled=self.busy),
            before=[self.language_row()],
            after=self.previous_fields(previous) if ask_previous else [],
        )

    def language_row(self) -> ft.Control:
        """The shipped languages, each in its own name."""
        v = self.view
        return self.kit.options(
            Option(
                ids.LANGUAGE + code,
                language(code).native_name,
                self.act(v.set_language, code),
                selected=code == v.lang,
                lang=code,
            )
            for code in SHIPPED
        )

    def previous_fields(self, previous: ft.TextField) -> list[ft.Control]:
        """After the key's passphrase was changed: the previous one, asked once."""
        k, _ = self.kit, self._
        return [
            k.text(
                _(
                    "If the key's passphrase was changed, type the previous one "
                    "too: the console's store is then moved to the new one."
                ),
                14,
            ),
            ft.Semantics(identifier=ids.PREVIOUS, content=previous),
        ]

    def chart(
        self, name: str, title: str, data: list[tuple[str, int]], label: Callable[[str], str] = str
    ) -> ft.Control:
        """A horizontal bar chart drawn from containers; each bar carries its count as text."""
        k, _ = self.kit, self._
        rows: list[ft.Control] = [k.text(title, 17, bold=True)]
        top = max((n for _k, n in data), default=0)
        if not data:
            rows.append(k.text(_("Nothing yet."), 14, color="#57606a"))
        for key, n in data:
            width = max(4.0, BAR_MAX * n / top) if top else 4.0
            rows.append(
                ft.Semantics(
                    identifier=f"{ids.BAR}{name}-{key}",
                    container=True,
                    content=ft.Row(
                        [
                            ft.Container(content=k.text(label(key), 14), width=200),
                            ft.Container(
                                width=width,
                                height=22,
                                bgcolor=BAR_COLOURS.get(name, PRIMARY),
                                border_radius=4,
                            ),
                            k.text(str(n), 14, bold=True),
                        ],
                        vertical_alignment=ft.CrossAxisAlignment.CENTER,
                    ),
                )
            )
        return ft.Semantics(identifier=ids.CHART + name, container=True, content=k.card(rows))

    def dashboard_screen(self) -> ft.Control:
        """The counts a coordinator plans with: records, per site, week, pathway and ILO
        dimension, and the devices."""
        k, _ = self.kit, self._
        v = self.view
        d = v.console.dashboard()
        labels = v.labels
        return ft.Column(
            [
                k.heading(_("Dashboard")),
                k.text(
                    _.ngettext("{n} record", "{n} records", d.total), 18, bold=True, ident=ids.TOTAL
                ),
                *(
                    [
                        k.text(
                            _.ngettext(
                                "{n} envelope could not be opened with this key.",
                                "{n} envelopes could not be opened with this key.",
                                d.unreadable,
                            ),
                            15,
                            color="#b3261e",
                            ident=ids.UNREADABLE,
                        )
                    ]
                    if d.unreadable
                    else []
                ),
                self.chart(
                    "sites", _("Records per site"), d.per_site, lambda s: s or _("unknown site")
                ),
                self.chart("weeks", _("Records per week"), d.per_week),
                self.chart("pathways", _("Records per pathway"), d.per_pathway, labels.pathway),
                self.chart(
                    "dimensions",
                    _("Indicator flags by ILO dimension"),
                    d.flags_by_dimension,
                    labels.dimension,
                ),
                self.devices_card(d.devices),
            ],
            spacing=14,
        )

    def devices_card(self, enrolled: Sequence[DeviceRow]) -> ft.Control:
        """Each enrolled device: when it was last seen, what it sent and what still waits."""
        k, _ = self.kit, self._
        devices: list[ft.Control] = [k.text(_("Devices"), 17, bold=True)]
        if not enrolled:
            devices.append(k.text(_("No device is enrolled yet."), 14, color="#57606a"))
        for dev in enrolled:
            seen = dev.last_seen_at[:16].replace("T", " ") if dev.last_seen_at else _("never")
            words = _.ngettext(
                "{name} ({site}): last seen {seen}, {n} record received",
                "{name} ({site}): last seen {seen}, {n} records received",
                dev.records,
                name=dev.name,
                site=dev.site,
                seen=seen,
            )
            if dev.waiting is not None:
                words += " - " + _.ngettext(
                    "{n} record waiting on the device",
                    "{n} records waiting on the device",
                    dev.waiting,
                )
            if dev.revoked:
                words += " - " + _("revoked")
            devices.append(ft.Semantics(identifier=ids.DEVICE + dev.id, content=k.text(words, 14)))
        return k.card(devices)

    def records_screen(self) -> ft.Control:
        """The submissions table: search, filters, column picker, sortable headings, pages."""
        page = self.view.table()
        items: list[ft.Control] = [self.kit.heading(self._("Records")), self.search_row(page)]
        items.extend(self.filter_rows(page))
        items.extend(self.table_tools(page))
        items.append(self.submissions(page))
        items.extend(self.pager(page))
        return ft.Column(items, spacing=8)

    def search_row(self, page: TablePage) -> ft.Control:
        """The case-code search and the date range."""
        k, _ = self.kit, self._
        v, q = self.view, page.query
        search = k.field(_("Case code"), value=q.search)
        first = k.field(
            _("From (year-month-day)"), value=q.date_from.isoformat() if q.date_from else ""
        )
        last = k.field(_("To (year-month-day)"), value=q.date_to.isoformat() if q.date_to else "")

        def find(_e: Any = None) -> None:
            v.search(search.value or "")

        def dates() -> None:
            v.set_dates(first.value or "", last.value or "")

        return ft.Row(
            [
                ft.Container(ft.Semantics(identifier=ids.SEARCH, content=search), width=260),
                k.button(_("Find"), self.act(find), ident=ids.SEARCH_GO, kind="secondary"),
                ft.Container(ft.Semantics(identifier=ids.DATE_FROM, content=first), width=200),
                ft.Container(ft.Semantics(identifier=ids.DATE_TO, content=last), width=200),
                k.button(_("Apply dates"), self.act(dates), ident=ids.DATES_GO, kind="secondary"),
            ],
            wrap=True,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        )

    def filter_rows(self, page: TablePage) -> list[ft.Control]:
        """One row of chips per facet that has values; a chosen chip is selected."""
        k, _ = self.kit, self._
        v, q = self.view, page.query
        items: list[ft.Control] = []
        labels = v.labels
        groups: list[tuple[str, str, tuple[str, ...], Callable[[str], str]]] = [
            ("sites", _("Site"), page.facets.sites, lambda s: s or _("unknown site")),
            ("pathways", _("Pathway"), page.facets.pathways, labels.pathway),
            ("follow", _("Follow-up"), page.facets.follow, lambda s: state_word(_, s)),
            ("flags", _("Flag"), page.facets.flags, labels.flag),
        ]
        for name, title, values, word in groups:
            if not values:
                continue
            chosen: frozenset[str] = getattr(q, name)
            chips: list[ft.Control] = [k.text(title, 14, bold=True)]
            chips.extend(
                k.button(
                    word(value),
                    self.act(v.toggle_filter, name, value),
                    ident=f"{ids.FILTER}{name}-{value}",
                    kind="secondary",
                    selected=value in chosen,
                )
                for value in values
            )
            items.append(ft.Row(chips, wrap=True, vertical_alignment=ft.CrossAxisAlignment.CENTER))
        return items

    def table_tools(self, page: TablePage) -> list[ft.Control]:
        """The record count, the column picker and, when filtered, the way to clear filters."""
        k, _ = self.kit, self._
        v, q = self.view, page.query
        items: list[ft.Control] = []
        tools: list[ft.Control] = [
            k.text(
                _.ngettext(
                    "{n} record of {total}",
                    "{n} records of {total}",
                    page.matching,
                    total=page.total,
                ),
                14,
                ident=ids.RECORD_COUNT,
            ),
            k.button(
                _("Columns"),
                self.act(v.toggle_column_picker),
                ident=ids.COLUMNS,
                kind="secondary",
                selected=v.picking_columns,
            ),
        ]
        if q.filtered:
            tools.append(
                k.button(
                    _("Clear filters"),
                    self.act(v.clear_filters),
                    ident=ids.FILTER_CLEAR,
                    kind="secondary",
                )
            )
        items.append(ft.Row(tools, wrap=True, vertical_alignment=ft.CrossAxisAlignment.CENTER))
        if v.picking_columns:
            items.append(
                ft.Row(
                    [
                        k.button(
                            column_word(_, col),
                            self.act(v.toggle_column, col.value),
                            ident=ids.COLUMN + col.value,
                            kind="secondary",
                            selected=col in q.columns,
                            disabled=col in REQUIRED_COLUMNS,
                        )
                        for col in Column
                    ],
                    wrap=True,
                )
            )
        return items

    def pager(self, page: TablePage) -> list[ft.Control]:
        """Rows per page and, over more than one page, the way between pages."""
        k, _ = self.kit, self._
        v, q = self.view, page.query
        items: list[ft.Control] = []
        sizes: list[ft.Control] = [k.text(_("Rows per page"), 14)]
        sizes.extend(
            k.button(
                str(n),
                self.act(v.set_page_size, n),
                ident=ids.PAGE_SIZE + str(n),
                kind="secondary",
                selected=q.page_size == n,
            )
            for n in PAGE_SIZES
        )
        if page.pages > 1:
            items.append(
                ft.Row(
                    [
                        *sizes,
                        k.button(
                            _("Previous page"),
                            self.act(v.go_page, page.page - 1),
                            ident=ids.PAGE_PREV,
                            kind="secondary",
                            disabled=page.page == 0,
                        ),
                        k.text(
                            _("Page {n} of {pages}", n=page.page + 1, pages=page.pages),
                            14,
                            ident=ids.PAGE,
                        ),
                        k.button(
                            _("Next page"),
                            self.act(v.go_page, page.page + 1),
                            ident=ids.PAGE_NEXT,
                            kind="secondary",
                            disabled=page.page + 1 >= page.pages,
                        ),
                    ],
                    wrap=True,
                    vertical_alignment=ft.CrossAxisAlignment.CENTER,
                )
            )
        elif page.matching > PAGE_SIZES[0]:
            items.append(ft.Row(sizes, wrap=True))
        return items

    def submissions(self, page: TablePage) -> ft.Control:
        """Sortable headings over one row per record; a row opens its record."""
        k, _ = self.kit, self._
        v = self.view
        q = page.query
        cols = list(q.columns)
        heads = self.sort_headings(page)
        order = _("descending") if q.descending else _("ascending")
        lines: list[ft.Control] = [
            k.text(
                _("Sorted by {column}, {order}", column=column_word(_, q.sort), order=order),
                13,
                color="#57606a",
                ident=ids.SORTED,
            ),
            ft.Container(ft.Row(heads, spacing=4), bgcolor="#eaeef2", border_radius=6),
        ]
        if not page.rows:
            words = (
                _("No record matches. Change the search or the filters.")
                if q.filtered
                else _("No records here. Use 'Get new records'.")
            )
            lines.append(k.text(words, 15))
        for row in page.rows:
            cells: list[ft.Control] = [
                ft.Container(k.text(self.cell(row, col), 14), width=CELL_WIDTH[col]) for col in cols
            ]
            lines.append(
                ft.Semantics(
                    identifier=ids.RECORD + row.record_id,
                    container=True,
                    content=ft.Container(
                        ft.Row(cells, spacing=4),
                        on_click=self.act(v.open_record, row.record_id),
                        ink=True,
                        padding=ft.Padding.symmetric(vertical=10),
                        border=ft.Border.only(bottom=ft.BorderSide(1, "#d0d7de")),
                    ),
                )
            )
        return ft.Row([ft.Column(lines, spacing=0)], scroll=ft.ScrollMode.AUTO)

    def sort_headings(self, page: TablePage) -> list[ft.Control]:
        """One heading per shown column; pressing it sorts by it (again: the other way)."""
        k, _ = self.kit, self._
        v, q = self.view, page.query
        heads: list[ft.Control] = []
        for col in q.columns:
            sorted_here = col == q.sort
            heads.append(
                ft.Container(
                    ft.Semantics(
                        identifier=ids.SORT + col.value,
                        container=True,
                        content=ft.TextButton(
                            content=ft.Text(
                                column_word(_, col),
                                size=k.size(14),
                                weight=ft.FontWeight.BOLD,
                                color=PRIMARY,
                                style=ft.TextStyle(
                                    decoration=ft.TextDecoration.UNDERLINE if sorted_here else None
                                ),
                            ),
                            on_click=self.act(v.sort, col.value),
                        ),
                    ),
                    width=CELL_WIDTH[col],
                    bgcolor="#d8e4ee" if sorted_here else None,
                )
            )
        return heads

    def cell(self, row: Submission, col: Column) -> str:
        """One cell as words; codes, dates and versions isolated from the text direction."""
        _ = self._
        labels = self.view.labels
        if col is Column.case:
            text = isolate(row.case)
            return text + (" \u00b7 " + _("two versions") if row.conflict else "")
        if col is Column.site:
            return row.site or _("unknown site")
        if col is Column.date:
            return isolate(row.day)
        if col is Column.received:
            return isolate(row.received_on)
        if col is Column.questionnaire:
            return isolate(f"{row.form_id} {row.form_version}")
        if col is Column.pathways:
            return ", ".join(labels.pathway(p) for p in row.pathways) or _("no pathway")
        if col is Column.follow_up:
            return (
                ", ".join(
                    _("{state}: {n}", state=state_word(_, s), n=n) for s, n in follow_summary(row)
                )
                or "\u2014"
            )
        if col is Column.flags:
            return _.ngettext("{n} flag", "{n} flags", len(row.flags))
        if col is Column.language:
            return _language_name(row.language) if row.language else "\u2014"
        return ""

    def record_screen(self) -> ft.Control:
        """One record: its case, each pathway's follow-up and slips, the answers, and the
        person's rights (export, erasure)."""
        v = self.view
        if v.record_id is None:
            v.route = Route.RECORDS
            return self.records_screen()
        detail: RecordDetail = v.console.detail(v.record_id)
        items = self.record_header(detail)
        items.extend(self.pathway_card(pw) for pw in detail.pathways)
        items.append(self.answers_card(detail))
        items.extend(self.record_rights(detail))
        return ft.Column(items, spacing=12)

    def record_header(self, detail: RecordDetail) -> list[ft.Control]:
        """The case code, where and when it was received, its flags."""
        k, _ = self.kit, self._
        v, row = self.view, detail.row
        items: list[ft.Control] = [
            k.heading(_("Case {code}", code=isolate(case_code(row.id)))),
            k.text(isolate(row.id), 12, ident=ids.RECORD_ID, color="#57606a"),
            k.text(
                _(
                    "Site {site}, received {day}, week {week}, language {language}",
                    site=row.site,
                    day=isolate(row.received_on),
                    week=isolate(row.week),
                    language=_language_name(row.language) if row.language else "\u2014",
                ),
                14,
            ),
        ]
        if detail.flags:
            flags = ", ".join(v.labels.flag(str(f["id"])) for f in detail.flags)
            items.append(k.text(_("Flags: {flags}", flags=flags), 14))
        if not detail.pathways:
            items.append(k.text(_("No pathway applies to this record."), 15))
        return items

    def pathway_card(self, pw: PathwayView) -> ft.Control:
        """One pathway: its state, the next steps, its slips and its history."""
        k, _ = self.kit, self._
        v = self.view
        head = k.text(
            _(
                "{pathway}: {state}",
                pathway=v.labels.pathway(pw.id),
                state=state_word(_, pw.state),
            ),
            17,
            bold=True,
            ident=ids.STATE + pw.id,
        )
        buttons = ft.Row(
            [
                k.button(
                    _(ACTION_WORDS[s]),
                    self.act(v.follow, pw.id, s),
                    ident=f"{ids.FOLLOW}{pw.id}-{s}",
                    disabled=self.busy,
                    kind="danger" if s == "declined" else "primary",
                )
                for s in pw.next_states
            ],
            wrap=True,
        )
        history = [
            k.text(
                _(
                    "{at}: {state}, by {by}",
                    at=h.at[:16].replace("T", " "),
                    state=state_word(_, h.state),
                    by=h.by,
                ),
                13,
                color="#57606a",
            )
            for h in pw.history
        ]
        return k.card(
            [
                head,
                buttons,
                self.slip_row(pw),
                ft.Semantics(identifier=ids.HISTORY + pw.id, content=ft.Column(history, spacing=2)),
            ]
        )

    def slip_row(self, pw: PathwayView) -> ft.Control:
        """The pathway's referral slip, as PDF or text."""
        k, _ = self.kit, self._
        return ft.Row(
            [
                k.button(
                    words,
                    self.act(self.view.write_slip, pw.id, fmt),
                    ident=f"{ids.SLIP}{pw.id}-{fmt}",
                    kind="secondary",
                    disabled=self.busy,
                )
                for fmt, words in (
                    ("pdf", _("Referral slip (PDF)")),
                    ("txt", _("Referral slip (text)")),
                )
            ],
            wrap=True,
        )

    def record_rights(self, detail: RecordDetail) -> list[ft.Control]:
        """The person's rights over the record: a copy (access) and erasure."""
        k, _ = self.kit, self._
        v, row = self.view, detail.row
        items: list[ft.Control] = []
        items.append(
            k.button(
                _("Export this record (right of access)"),
                self.act(v.export, "json", row.id),
                ident=ids.EXPORT_RECORD,
                kind="secondary",
                disabled=self.busy,
            )
        )
        items.append(
            k.button(
                _("Erase this record (right of erasure)"),
                self.act(v.ask_erase),
                ident=ids.ERASE,
                kind="danger",
                disabled=self.busy or v.confirm_erase,
            )
        )
        return items

    def pinned(self) -> list[ft.Control]:
        """What must be seen now, pinned under the bar whatever the scroll: the notice and a
        pending confirmation."""
        k, _ = self.kit, self._
        v = self.view
        out: list[ft.Control] = []
        if v.notice is not None:
            out.append(
                k.notice(
                    message(_, v.notice.code, v.notice.params),
                    v.notice.error,
                    ident=ids.NOTICE,
                    bg=None if v.notice.error else DONE_BG,
                )
            )
        if v.confirm_erase and v.route is Route.RECORD and v.record_id is not None:
            out.append(self.erase_prompt(v.record_id))
        return out

    def erase_prompt(self, record_id: str) -> ft.Control:
        """The confirmation an erasure waits for: what goes, and that it cannot be undone."""
        k, _ = self.kit, self._
        v = self.view
        return ft.Semantics(
            identifier=ids.ERASE_PROMPT,
            live_region=True,
            container=True,
            content=k.ask(
                _(
                    "Erase the record {code} here and on the server? This "
                    "cannot be undone. The erasure is recorded, without its "
                    "content.",
                    code=isolate(case_code(record_id)),
                ),
                [
                    k.button(
                        _("Erase everywhere"),
                        self.act(v.erase),
                        ident=ids.ERASE_CONFIRM,
                        kind="danger",
                        disabled=self.busy,
                    ),
                    k.button(
                        _("Keep the record"),
                        self.act(v.cancel_erase),
                        ident=ids.ERASE_CANCEL,
                        kind="secondary",
                    ),
                ],
                bg=ERROR_BG,
                bold=True,
                size=15,
                wrap=True,
            ),
        )

    def answers_card(self, detail: RecordDetail) -> ft.Control:
        """The record in words: the person's answers under their group headings, then the
        worker-only sections, then what the questionnaire calculated and the device recorded
        (not correctable). Corrections show beside the original (right of correction)."""
        k, _ = self.kit, self._
        v = self.view
        words = v.console.words(detail.row.id, v.lang)
        if words is None:
            rows: list[ft.Control] = [
                k.text(_("Answers"), 17, bold=True),
                k.text(
                    _(
                        "The questionnaire of this record is not in the console's questionnaires "
                        "folder: answers are shown as kept, and cannot be corrected."
                    ),
                    14,
                    color="#57606a",
                ),
            ]
            rows.extend(k.text(f"{isolate(a.path)}: {_value(a.value)}", 14) for a in detail.answers)
            return k.card(rows)
        cards: list[ft.Control] = []
        person: list[ft.Control] = [k.text(_("Answers"), 17, bold=True)]
        for section in words.sections:
            if section.heading:
                person.append(k.text(section.heading, 16 - min(section.depth, 2), bold=True))
            person.extend(self.reading_line(r, words.language) for r in section.readings)
        cards.append(k.card(person))
        if words.worker:
            worker: list[ft.Control] = [
                k.text(_("Noted by the worker (not read to the person)"), 17, bold=True)
            ]
            for section in words.worker:
                worker.append(k.text(section.heading, 15, bold=True))
                worker.extend(self.reading_line(r, words.language) for r in section.readings)
            cards.append(k.card(worker, bg=WORKER_BG))
        apart = [
            (_("Calculated by the questionnaire (not correctable)"), words.calculated),
            (_("Recorded by the device (not correctable)"), words.meta),
            (_("Not in this questionnaire version (not correctable)"), words.unknown),
        ]
        for title, readings in apart:
            if readings:
                lines: list[ft.Control] = [k.text(title, 15, bold=True, color="#57606a")]
                lines.extend(
                    k.text(f"{isolate(r.path)}: {isolate(_value(r.value))}", 13, color="#57606a")
                    for r in readings
                )
                cards.append(k.card(lines, bg="#f6f8fa"))
        return ft.Semantics(
            identifier=ids.ANSWERS, container=True, content=ft.Column(cards, spacing=10)
        )

    def reading_line(self, r: Reading, lang: str) -> ft.Control:
        """One answer in words, with its Correct button or its correction editor."""
        k, _ = self.kit, self._
        v = self.view
        value_words = r.words or "\u2014"
        if r.corrected:
            value_words += " " + _("(corrected; was {original})", original=r.original_words or "")
        text = ft.Column(
            [k.text(r.label, 14, bold=True, lang=lang), k.text(value_words, 14, lang=lang)],
            spacing=2,
        )
        if v.correcting == r.path and r.correctable:
            return self.correction_editor(r, lang)
        controls: list[ft.Control] = [ft.Container(content=text, expand=True)]
        if r.correctable:
            controls.append(
                k.button(
                    _("Correct"),
                    self.act(v.start_correction, r.path),
                    ident=ids.CORRECT + r.path,
                    kind="secondary",
                    disabled=self.busy,
                )
            )
        return ft.Semantics(
            identifier=ids.ANSWER + r.path,
            container=True,
            content=ft.Row(controls, vertical_alignment=ft.CrossAxisAlignment.CENTER),
        )

    def correction_editor(self, r: Reading, lang: str) -> ft.Control:
        """A select question offers its choices (labels in the coordinator's language): one
        to press for a select_one, choices to tick then save for a select_multiple; any
        other question takes typed text. The engine checks each before it is saved."""
        k, _ = self.kit, self._
        v = self.view
        reason = k.field(_("Reason for the correction"), value=v.reason_draft)
        controls: list[ft.Control] = [k.text(r.label, 14, bold=True, lang=lang)]
        controls.extend(self.correction_inputs(r, lang, reason))
        controls.append(ft.Semantics(identifier=ids.CORRECT_REASON, content=reason))
        controls.append(
            k.button(
                _("Cancel"),
                self.act(v.cancel_correction),
                ident=ids.CORRECT_CANCEL,
                kind="secondary",
            )
        )
        return k.card(controls, bg=WORKER_BG)

    def correction_inputs(self, r: Reading, lang: str, reason: ft.TextField) -> list[ft.Control]:
        """The corrected value: a choice to press, choices to tick and save, or typed text."""
        k, _ = self.kit, self._
        controls: list[ft.Control] = []
        if r.type == "select_one" and r.choices:
            controls.append(
                ft.Row(
                    [
                        k.button(
                            label,
                            self.save_with(_constant(name), reason),
                            ident=ids.CORRECT_CHOICE + name,
                            kind="secondary",
                            selected=r.value == name,
                            lang=lang,
                        )
                        for name, label in r.choices
                    ],
                    wrap=True,
                )
            )
        elif r.type == "select_multiple" and r.choices:
            controls.extend(self.ticked_choices(r, lang, reason))
        else:
            value = k.field(_("Corrected value"), value=_value(r.value))
            controls.append(ft.Semantics(identifier=ids.CORRECT_VALUE, content=value))
            controls.append(
                k.button(
                    _("Save the correction"),
                    self.save_with(lambda: value.value or "", reason),
                    ident=ids.CORRECT_SAVE,
                    disabled=self.busy,
                )
            )
        return controls

    def ticked_choices(self, r: Reading, lang: str, reason: ft.TextField) -> list[ft.Control]:
        """A select_multiple's choices to tick, then the one button that saves them."""
        k, _ = self.kit, self._
        v = self.view
        controls: list[ft.Control] = []
        controls.append(k.text(_("Tick every choice that applies"), 13, color="#57606a"))
        controls.append(
            ft.Row(
                [
                    k.button(
                        ("\u2713 " if name in v.picked else "") + label,
                        self.tick(name, reason),
                        ident=ids.CORRECT_PICK + name,
                        kind="secondary",
                        selected=name in v.picked,
                        lang=lang,
                        disabled=self.busy,
                    )
                    for name, label in r.choices
                ],
                wrap=True,
            )
        )
        controls.append(
            k.button(
                _("Save the correction"),
                self.save_picked(reason),
                ident=ids.CORRECT_SAVE,
                disabled=self.busy,
            )
        )
        return controls

    def tick(self, name: str, reason: ft.TextField) -> Callable[[Any], Any]:
        """Tick or untick one choice; the page is drawn again with the reason kept."""

        def handler(_e: Any) -> None:
            if self.busy:
                return
            self.view.touch()
            self.view.reason_draft = reason.value or ""
            self.view.toggle_choice(name)
            self.render()

        return handler

    def save_picked(self, reason: ft.TextField) -> Callable[[Any], Any]:
        async def save(e: Any) -> None:
            await self.act(self.view.save_choices, reason.value or "")(e)

        return save

    def save_with(self, value: Callable[[], str], reason: ft.TextField) -> Callable[[Any], Any]:
        async def save(e: Any) -> None:
            await self.act(self.view.save_correction, value(), reason.value or "")(e)

        return save

    def audit_screen(self) -> ft.Control:
        """Who viewed, changed, exported or erased what: newest first, no content."""
        k, _ = self.kit, self._
        v = self.view
        entries = v.console.store.audit_entries()
        items: list[ft.Control] = [
            k.heading(_("Audit")),
            k.text(
                _(
                    "Every opening of a record, follow-up step, correction, export and erasure "
                    "is listed here with who did it. Answers are never written here."
                ),
                14,
            ),
            ft.Row(
                [
                    k.button(
                        words,
                        self.act(v.export_audit, fmt),
                        ident=ids.AUDIT_EXPORT + fmt,
                        kind="secondary",
                        disabled=self.busy,
                    )
                    for fmt, words in (
                        ("csv", _("Export the audit log (CSV)")),
                        ("json", _("Export the audit log (JSON)")),
                    )
                ],
                wrap=True,
            ),
        ]
        for entry in list(reversed(entries))[:AUDIT_SHOWN]:
            words = _(
                "{at}: {actor} {event}",
                at=entry.at[:19].replace("T", " "),
                actor=entry.actor,
                event=audit_word(_, entry.event),
            )
            if entry.record_id:
                words += " · " + isolate(case_code(entry.record_id))
            items.append(k.text(words, 13, ident=f"{ids.AUDIT_ENTRY}{entry.seq}"))
        if len(entries) > AUDIT_SHOWN:
            items.append(k.text(_("Older entries are kept in the console's store."), 13))
        return ft.Column(items, spacing=6)

    def export_screen(self) -> ft.Control:
        k, _ = self.kit, self._
        v = self.view
        folder = k.field(_("Folder for exports"), value=str(v.export_dir))

        def exporter(fmt: str) -> Callable[[Any], Any]:
            def run() -> None:
                v.export_dir = Path((folder.value or str(v.export_dir)).strip()).expanduser()
                v.export(fmt)

            return self.act(run)

        return ft.Column(
            [
                k.heading(_("Export")),
                k.text(
                    _(
                        "Every record kept here, as a table (CSV, Excel) or as JSON. The files "
                        "are not encrypted: keep them on an encrypted disk and delete them "
                        "when done."
                    )
                ),
                ft.Semantics(identifier=ids.EXPORT_DIR, content=folder),
                ft.Row(
                    [
                        k.button(label, exporter(fmt), ident=ids.EXPORT + fmt, disabled=self.busy)
                        for fmt, label in (
                            ("csv", _("CSV table")),
                            ("xlsx", _("Excel workbook (XLSX)")),
                            ("json", _("JSON")),
                        )
                    ],
                    wrap=True,
                ),
            ],
            spacing=14,
        )


def _constant(text: str) -> Callable[[], str]:
    return lambda: text


def _language_name(code: str) -> str:
    """A language's own name, or its code when Babel does not know it."""
    try:
        return str(language(code).native_name)
    except (ValueError, TypeError, LookupError, UnknownLocaleError):
        return code


def _value(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if value is None:
        return ""
    return str(value)


def make_app(
    server_url: str,
    token: str,
    data_dir: Path,
    *,
    lang: str = "en",
    actor: str = "",
    key_path: str = "",
    questionnaires_dir: Path | None = None,
    sites_dir: Path | None = None,
    kdf: crypto.KdfParams = crypto.DEFAULT_KDF,
    ca_file: Path | None = None,
) -> Callable[[ft.Page], None]:
    """The Flet ``main(page)``: one console, locked, per browser page (``ca_file``: the
    agency server's own certificate, for a server that is not certified by a public
    authority)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    folder = questionnaires_dir or QUESTIONNAIRES_DIR
    idle_seconds = float(os.environ.get("WAYMARK_CONSOLE_IDLE_SECONDS", 15 * 60))

    def main(page: ft.Page) -> None:
        console = Console(
            server_url,
            token,
            data_dir,
            actor=actor,
            kdf=kdf,
            questionnaires_dir=folder,
            sites_dir=sites_dir,
            ca_file=ca_file,
        )
        view = ConsoleView(console, lang, key_path=key_path, idle_seconds=idle_seconds)
        ConsoleShell(page, view, actor).mount()

    return main


def serve(
    server_url: str,
    token: str,
    data_dir: Path,
    host: str = "127.0.0.1",
    port: int = 8560,
    **options: Any,
) -> None:
    """Serve the console at http://host:port/ until SIGTERM or Ctrl-C (blocking)."""
    run_offline(make_app(server_url, token, data_dir, **options), host, port)
