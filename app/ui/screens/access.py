"""First run (set a PIN, enrol the tablet) and unlock. Key derivation runs off the event loop."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flet as ft

from app.ui import ids
from app.ui.screens import notice

if TYPE_CHECKING:
    from app.ui.shell import Shell


def set_pin(shell: Shell) -> ft.Control:
    k, _ = shell.kit, shell._
    pin = k.field(_("New PIN"), password=True, numeric=True)
    repeat = k.field(_("Repeat the PIN"), password=True, numeric=True)

    async def submit(_e: Any) -> None:
        await shell.run_slow(shell.model.set_pin, pin.value or "", repeat.value or "")

    repeat.on_submit = submit
    return k.form(
        _("Set a PIN for this tablet"),
        _(
            "The PIN protects every record on this tablet. Choose at least 4 digits "
            "and do not share it."
        ),
        [(ids.PIN, pin), (ids.PIN_REPEAT, repeat)],
        k.button(_("Set PIN"), submit, ident=ids.PIN_SUBMIT, disabled=shell.busy),
        before=notice(shell),
    )


def unlock(shell: Shell) -> ft.Control:
    k, _ = shell.kit, shell._
    pin = k.field(_("PIN"), password=True, numeric=True)

    async def submit(_e: Any) -> None:
        await shell.run_slow(shell.model.unlock, pin.value or "")

    pin.on_submit = submit
    pin.autofocus = True
    return k.form(
        _("Locked"),
        _("Type your PIN to continue."),
        [(ids.PIN, pin)],
        k.button(_("Unlock"), submit, ident=ids.PIN_SUBMIT, disabled=shell.busy),
        before=notice(shell),
    )


def enrol(shell: Shell) -> ft.Control:
    k, _ = shell.kit, shell._
    code = k.field(_("Enrolment code or QR text"))
    server = k.field(_("Server address"))

    async def submit(_e: Any) -> None:
        await shell.run_slow(shell.model.enrol, code.value or "", server.value or "")

    return k.form(
        _("Enrol this tablet"),
        _(
            "Type the code your coordinator gave you, or paste the text of the QR "
            "code. The tablet needs a connection for this step only."
        ),
        [(ids.ENROL_CODE, code), (ids.ENROL_SERVER, server)],
        k.button(_("Enrol"), submit, ident=ids.ENROL_SUBMIT, disabled=shell.busy),
        before=notice(shell),
    )
