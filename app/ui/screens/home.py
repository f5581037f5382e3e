"""Home, the records list (routing metadata only), sync and settings."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import flet as ft
from babel.dates import format_datetime

from app.i18n import N_, SHIPPED, language, review_status
from app.ui import ids
from app.ui.model import AUTO_LOCK_CHOICES, TEXT_SIZES, Route
from app.ui.screens import notice
from app.ui.words import number

if TYPE_CHECKING:
    from app.ui.shell import Shell


def when(shell: Shell, iso: str | None) -> str:
    """A stored timestamp in the worker's locale (Babel)."""
    if not iso:
        return ""
    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return format_datetime(dt, format="medium", locale=shell.model.settings.language)


def _back(shell: Shell) -> ft.Control:
    return shell.kit.button(
        shell._("Home"),
        shell.act(shell.model.go, Route.HOME),
        ident=ids.BACK_HOME,
        kind="secondary",
        icon=ft.Icons.HOME,
    )


def home(shell: Shell) -> ft.Control:
    k, _, m = shell.kit, shell._, shell.model
    drafts = m.drafts()
    pending = m.pending()
    items: list[ft.Control] = [k.heading(_("Home"))]
    site = m.site()
    if site:
        items.append(k.text(_("Site: {site}", site=site), 14, color="#57606a"))
    items += notice(shell)
    items.append(
        k.button(
            _("Start a screening"),
            shell.act(m.go, Route.NEW),
            ident=ids.START_SCREENING,
            icon=ft.Icons.PLAY_ARROW,
        )
    )
    if drafts:
        rows: list[ft.Control] = [k.text(_("Screenings to resume"), 18, bold=True)]
        for d in drafts:
            rows.append(
                k.button(
                    _("Resume the screening started {when}", when=when(shell, d.created_at)),
                    shell.act(m.resume, d.id),
                    ident=ids.RESUME + d.id,
                    kind="secondary",
                )
            )
        items.append(k.card(rows))
    sync_rows: list[ft.Control] = [
        k.text(
            _("Records waiting to be sent: {n}", n=number(m.settings.language, len(pending))),
            16,
        ),
        k.text(
            _("Last sent: {when}", when=when(shell, m.sync.last_sync))
            if m.sync.last_sync
            else _("Nothing sent yet."),
            14,
            color="#57606a",
        ),
        k.button(
            _("Send records"),
            shell.act(m.go, Route.SYNC),
            ident=ids.HOME_SYNC,
            kind="secondary",
            icon=ft.Icons.CLOUD_UPLOAD,
        ),
    ]
    items.append(k.card(sync_rows))
    items.append(
        ft.Column(
            [
                k.button(
                    _("Records"),
                    shell.act(m.go, Route.RECORDS),
                    ident=ids.HOME_RECORDS,
                    kind="secondary",
                ),
                k.button(
                    _("Settings"),
                    shell.act(m.go, Route.SETTINGS),
                    ident=ids.HOME_SETTINGS,
                    kind="secondary",
                ),
            ],
            spacing=10,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )
    )
    items.append(
        k.button(
            _("Lock now"),
            shell.act(m.lock),
            ident=ids.LOCK_NOW,
            kind="secondary",
            icon=ft.Icons.LOCK,
        )
    )
    return ft.Column(items, spacing=14)


STATUS_WORDS = {
    "draft": N_("In progress"),
    "finalised": N_("Sealed, waiting to be sent"),
    "sent": N_("Sent"),
    "conflict": N_("Kept: the server has a different copy"),
}


def records(shell: Shell) -> ft.Control:
    k, _, m = shell.kit, shell._, shell.model
    items: list[ft.Control] = [k.heading(_("Records")), *notice(shell)]
    rows = m.records()
    if not rows:
        items.append(k.text(_("No records on this tablet.")))
    for r in rows:
        status = _(STATUS_WORDS.get(r.status, "In progress"))
        if r.status == "finalised" and r.sync_state == "stored":
            status = _("Sent")
        line: list[ft.Control] = [
            k.text(when(shell, r.created_at), 16, bold=True),
            k.text(status, 14),
        ]
        if r.status == "draft":
            line.append(
                k.button(
                    _("Resume"),
                    shell.act(m.resume, r.id),
                    ident=ids.RESUME + r.id,
                    kind="secondary",
                )
            )
        items.append(k.card(line))
    items.append(_back(shell))
    return ft.Column(items, spacing=12)


def sync(shell: Shell) -> ft.Control:
    k, _, m = shell.kit, shell._, shell.model
    state = m.sync
    pending = len(m.pending())
    items: list[ft.Control] = [
        k.heading(_("Send records")),
        k.text(_("Records waiting to be sent: {n}", n=number(m.settings.language, pending))),
        *notice(shell),
    ]
    if state.running or state.done:
        value = (state.sent / state.total) if state.total else (1.0 if state.done else None)
        items.append(
            ft.Semantics(
                identifier=ids.SYNC_PROGRESS,
                value=f"{state.sent}/{state.total}",
                content=ft.ProgressBar(value=value, height=10, border_radius=5),
            )
        )
        result = _(
            "Sent {sent} of {total}. Problems: {errors}.",
            sent=number(m.settings.language, state.sent),
            total=number(m.settings.language, state.total),
            errors=number(m.settings.language, state.errors),
        )
        items.append(k.text(result, 16, ident=ids.SYNC_RESULT))
        if state.error_code:
            items.append(k.notice(shell.words(state.error_code)))
        elif state.done:
            items.append(k.notice(_("Everything is sent."), error=False))

    async def run(_e: Any) -> None:
        def progress() -> None:
            shell.page.run_task(_redraw, shell)

        await shell.run_slow(m.sync_now, progress)

    items.append(
        k.button(
            _("Send now"),
            run,
            ident=ids.SYNC_NOW,
            disabled=state.running,
            icon=ft.Icons.CLOUD_UPLOAD,
        )
    )
    items.append(_back(shell))
    return ft.Column(items, spacing=14)


async def _redraw(shell: Shell) -> None:
    shell.render()


def settings(shell: Shell) -> ft.Control:
    k, _, m = shell.kit, shell._, shell.model
    s = m.settings
    langs = [
        k.button(
            language(code).native_name,
            shell.act(m.set_language, code),
            ident=ids.SETTING_LANGUAGE + code,
            lang=code,
            selected=code == s.language,
            kind="secondary",
            sublabel=_("draft translation") if review_status(code) == "draft" else None,
        )
        for code in SHIPPED
    ]
    sizes = [
        k.button(
            f"{int(scale * 100)}%",
            shell.act(m.set_text_scale, scale),
            ident=ids.SETTING_TEXT + str(int(scale * 100)),
            selected=scale == s.text_scale,
            kind="secondary",
        )
        for scale in TEXT_SIZES
    ]
    locks = [
        k.button(
            _("{n} min", n=secs // 60),
            shell.act(m.set_auto_lock, secs),
            ident=ids.SETTING_LOCK + str(secs),
            selected=secs == s.auto_lock_seconds,
            kind="secondary",
        )
        for secs in AUTO_LOCK_CHOICES
    ]
    return ft.Column(
        [
            k.heading(_("Settings")),
            *notice(shell),
            k.text(_("Interface language"), 18, bold=True),
            ft.Row(langs, wrap=True, spacing=8, run_spacing=8),
            k.text(_("Text size"), 18, bold=True),
            ft.Row(sizes, wrap=True, spacing=8, run_spacing=8),
            k.text(_("Lock when not used for"), 18, bold=True),
            ft.Row(locks, wrap=True, spacing=8, run_spacing=8),
            _back(shell),
        ],
        spacing=14,
    )
