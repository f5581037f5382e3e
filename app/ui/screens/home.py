"""Home, the records list (routing metadata only), sync and settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import flet as ft
from babel.dates import format_datetime

from app.i18n import N_, SHIPPED, language, review_status
from app.ui import ids
from app.ui.model import AUTO_LOCK_CHOICES, TEXT_SIZES, RecordLine, Route
from app.ui.screens import notice
from app.ui.words import number
from app.uikit.components import Option

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
    if m.drafts():
        items.append(_resume_card(shell))
    items += [_sending_card(shell), _places(shell)]
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


def _resume_card(shell: Shell) -> ft.Control:
    """The screenings in progress, each to resume with one tap."""
    k, _, m = shell.kit, shell._, shell.model
    rows: list[ft.Control] = [k.text(_("Screenings to resume"), 18, bold=True)]
    for d in m.record_lines("draft"):
        rows.append(
            k.button(
                _("Resume {case_code}", case_code=d.case_code),
                shell.act(m.resume, d.id),
                ident=ids.RESUME + d.id,
                kind="secondary",
                sublabel=describe(shell, d),
            )
        )
    return k.card(rows)


def _sending_card(shell: Shell) -> ft.Control:
    """What waits to be sent, in a slot the background sender redraws on its own (the screen's
    ``live`` refresh: what it changed, and nothing else)."""
    k, m = shell.kit, shell.model
    sending = ft.Container(content=k.card(_sending(shell, len(m.pending()))))

    def refresh() -> None:
        sending.content = k.card(_sending(shell, len(m.pending())))
        sending.update()

    shell.live = refresh
    return sending


def _places(shell: Shell) -> ft.Control:
    """The other places of the app: the records list and the settings."""
    k, _, m = shell.kit, shell._, shell.model
    places = (
        (_("Records"), Route.RECORDS, ids.HOME_RECORDS),
        (_("Settings"), Route.SETTINGS, ids.HOME_SETTINGS),
    )
    return ft.Column(
        [
            k.button(words, shell.act(m.go, route), ident=ident, kind="secondary")
            for words, route, ident in places
        ],
        spacing=10,
        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
    )


def _sending(shell: Shell, waiting: int) -> list[ft.Control]:
    """What waits, when sending last worked, the last problem in plain words, and Send."""
    k, _, m = shell.kit, shell._, shell.model
    log = m.sender.log
    rows: list[ft.Control] = [
        k.text(
            _("Records waiting to be sent: {n}", n=number(m.settings.language, waiting)),
            16,
            ident=ids.HOME_WAITING,
        ),
        k.text(
            _("Records are sent by themselves whenever the server can be reached.")
            if m.settings.auto_send
            else _("Automatic sending is off. Use Send records."),
            14,
            color="#57606a",
            ident=ids.HOME_AUTO_SEND,
        ),
        k.text(
            _("Last sent: {when}", when=when(shell, log.last_success))
            if log.last_success
            else _("Nothing sent yet."),
            14,
            color="#57606a",
            ident=ids.HOME_LAST_SENT,
        ),
    ]
    if log.failing and log.last_failure_code:
        rows.append(
            k.text(
                _(
                    "Last problem ({when}): {problem}",
                    when=when(shell, log.last_failure),
                    problem=shell.words(log.last_failure_code),
                ),
                14,
                color="#8a1c1c",
                ident=ids.HOME_LAST_PROBLEM,
            )
        )
    rows.append(
        k.button(
            _("Send records"),
            shell.act(m.go, Route.SYNC),
            ident=ids.HOME_SYNC,
            kind="secondary",
            icon=ft.Icons.CLOUD_UPLOAD,
        )
    )
    return rows


STATUS_WORDS = {
    "draft": N_("In progress"),
    "finalised": N_("Sealed, waiting to be sent"),
    "sent": N_("Sent"),
    "conflict": N_("Kept: the server has a different copy"),
}


def describe(shell: Shell, line: RecordLine) -> str:
    """Questionnaire and version, languages, progress and when it began: one line."""
    _, lang = shell._, shell.model.settings.language
    parts = [_("{title}, version {version}", title=line.title, version=line.version)]
    if line.language:
        names = [language_name(line.language)]
        if line.worker_language and line.worker_language != line.language:
            names.append(language_name(line.worker_language))
        parts.append(" / ".join(names))
    if line.total:
        parts.append(
            _(
                "{done} of {total} questions",
                done=number(lang, line.done),
                total=number(lang, line.total),
            )
        )
    parts.append(when(shell, line.created_at))
    return " · ".join(parts)


def language_name(code: str) -> str:
    try:
        return language(code).native_name
    except (KeyError, ValueError):
        return code


def records(shell: Shell) -> ft.Control:
    k, _, m = shell.kit, shell._, shell.model
    items: list[ft.Control] = [k.heading(_("Records")), *notice(shell)]
    rows = m.record_lines()
    if not rows:
        items.append(k.text(_("No records on this tablet.")))
    for r in rows:
        status = _(STATUS_WORDS.get(r.status, "In progress"))
        if r.status == "finalised" and r.sync_state == "stored":
            status = _("Sent")
        line: list[ft.Control] = [
            k.text(r.case_code, 17, bold=True, ident=ids.CASE_CODE + r.id),
            k.text(describe(shell, r), 14, color="#57606a"),
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
        elif r.readable:
            line.append(
                k.button(
                    _("Open the summary"),
                    shell.act(m.reopen_summary, r.id),
                    ident=ids.REOPEN_SUMMARY + r.id,
                    kind="secondary",
                )
            )
        items.append(k.card(line))
    shell.footer = _back(shell)  # pinned: reachable however long the list
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
        if state.total or not state.done:
            result = _(
                "Sent {sent} of {total}. Problems: {errors}.",
                sent=number(m.settings.language, state.sent),
                total=number(m.settings.language, state.total),
                errors=number(m.settings.language, state.errors),
            )
        else:  # auto-send had already carried everything
            result = _("Nothing was waiting.")
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
    shell.footer = _back(shell)  # pinned: reachable however long the list
    return ft.Column(items, spacing=14)


async def _redraw(shell: Shell) -> None:
    shell.render()


def settings(shell: Shell) -> ft.Control:
    k, _, m = shell.kit, shell._, shell.model
    s = m.settings
    shell.footer = _back(shell)  # pinned: reachable however long the page
    items: list[ft.Control] = [k.heading(_("Settings")), *notice(shell)]
    for title, options in (
        (_("Interface language"), _language_options(shell)),
        (
            _("Text size"),
            _options(
                shell,
                m.set_text_scale,
                s.text_scale,
                ids.SETTING_TEXT,
                [(scale, str(int(scale * 100)), f"{int(scale * 100)}%") for scale in TEXT_SIZES],
            ),
        ),
        (
            _("Lock when not used for"),
            _options(
                shell,
                m.set_auto_lock,
                s.auto_lock_seconds,
                ids.SETTING_LOCK,
                [(secs, str(secs), _("{n} min", n=secs // 60)) for secs in AUTO_LOCK_CHOICES],
            ),
        ),
        (
            _("Send records by themselves"),
            _options(
                shell,
                m.set_auto_send,
                s.auto_send,
                ids.SETTING_AUTO_SEND,
                [(True, "on", _("On")), (False, "off", _("Off"))],
            ),
        ),
    ):
        items += [k.text(title, 18, bold=True), k.options(options)]
    items += [_enrolment_card(shell), _send_log_card(shell)]
    return ft.Column(items, spacing=14)


def _options(
    shell: Shell,
    setter: Callable[[Any], Any],
    current: object,
    prefix: str,
    choices: list[tuple[Any, str, str]],
) -> list[Option]:
    """One setting's choices, each ``(value, the end of its identifier, its words)``: a tap
    sets the value; the current one is chosen."""
    return [
        Option(prefix + suffix, words, shell.act(setter, value), selected=value == current)
        for value, suffix, words in choices
    ]


def _language_options(shell: Shell) -> list[Option]:
    """The shipped interface languages, each in its own name, a draft translation said so."""
    _, m = shell._, shell.model
    draft = _("draft translation")
    return [
        Option(
            ids.SETTING_LANGUAGE + code,
            language(code).native_name,
            shell.act(m.set_language, code),
            selected=code == m.settings.language,
            lang=code,
            sublabel=draft if review_status(code) == "draft" else None,
        )
        for code in SHIPPED
    ]


#: the roles a coordinator enrols a tablet for (sync.server.service.ROLES), in words
ROLE_WORDS = {"outreach": N_("outreach worker"), "interpreter": N_("interpreter")}


def _enrolment_card(shell: Shell) -> ft.Control:
    """Server, site, role and agency key fingerprint of this tablet, and the app's version."""
    k, _, m = shell.kit, shell._, shell.model
    about = m.about()
    rows: list[ft.Control] = [k.text(_("This tablet"), 18, bold=True)]
    if about.server:
        rows += [
            k.text(_("Server: {url}", url=about.server), 14),
            k.text(_("Site: {site}", site=about.site), 14),
            *(
                [k.text(_("Role: {role}", role=_(ROLE_WORDS.get(about.role, about.role))), 14)]
                if about.role
                else []
            ),
            k.text(_("Agency key: {fingerprint}", fingerprint=about.fingerprint), 14),
        ]
    else:
        rows.append(k.text(_("Not enrolled."), 14))
    rows.append(k.text(_("Waymark version {version}", version=about.version), 14))
    return ft.Semantics(identifier=ids.SETTINGS_ENROLMENT, content=k.card(rows), container=True)


def _send_log_card(shell: Shell) -> ft.Control:
    """The last rounds of sending: when, how many, what went wrong; never what was said."""
    k, _, m = shell.kit, shell._, shell.model
    lang = m.settings.language
    rows: list[ft.Control] = [k.text(_("Send log"), 18, bold=True)]
    entries = list(reversed(m.sender.log.entries[-10:]))
    if not entries:
        rows.append(k.text(_("Nothing sent yet."), 14))
    for e in entries:
        how = _("by itself") if e.how == "auto" else _("Send pressed")
        if e.error:
            line = _(
                "{when}, {how}: {problem}",
                when=when(shell, e.at),
                how=how,
                problem=shell.words(e.error),
            )
        else:
            line = _(
                "{when}, {how}: {n} sent",
                when=when(shell, e.at),
                how=how,
                n=number(lang, e.sent),
            )
        rows.append(k.text(line, 14, color="#8a1c1c" if e.error else None))
    return ft.Semantics(identifier=ids.SETTINGS_SEND_LOG, content=k.card(rows), container=True)
