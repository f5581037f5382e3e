"""First run (set a PIN, enrol the tablet) and unlock. Key derivation runs off the event loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import flet as ft

from app.ui import ids
from app.ui.screens import notice

if TYPE_CHECKING:
    from app.ui.shell import Shell


def set_pin(shell: Shell) -> ft.Control:
    k, _ = shell.kit, shell._
    return _form(
        shell,
        _("Set a PIN for this tablet"),
        _(
            "The PIN protects every record on this tablet. Choose at least 4 digits "
            "and do not share it."
        ),
        [
            (ids.PIN, k.field(_("New PIN"), password=True, numeric=True)),
            (ids.PIN_REPEAT, k.field(_("Repeat the PIN"), password=True, numeric=True)),
        ],
        (_("Set PIN"), shell.model.set_pin),
    )


def unlock(shell: Shell) -> ft.Control:
    k, _ = shell.kit, shell._
    pin = k.field(_("PIN"), password=True, numeric=True)
    pin.autofocus = True
    return _form(
        shell,
        _("Locked"),
        _("Type your PIN to continue."),
        [(ids.PIN, pin)],
        (_("Unlock"), shell.model.unlock),
    )


def enrol(shell: Shell) -> ft.Control:
    k, _ = shell.kit, shell._
    return _form(
        shell,
        _("Enrol this tablet"),
        _(
            "Type the code your coordinator gave you, or paste the text of the QR "
            "code. The tablet needs a connection for this step only."
        ),
        [
            (ids.ENROL_CODE, k.field(_("Enrolment code or QR text"))),
            (ids.ENROL_SERVER, k.field(_("Server address"))),
        ],
        (_("Enrol"), shell.model.enrol),
        ident=ids.ENROL_SUBMIT,
        enter=False,  # sent by its button only
    )


def _form(
    shell: Shell,
    title: str,
    intro: str,
    fields: list[tuple[str, ft.TextField]],
    send: tuple[str, Callable[..., Any]],
    *,
    ident: str = ids.PIN_SUBMIT,
    enter: bool = True,
) -> ft.Control:
    """A first-run or unlock form: the button (and, with ``enter``, the Enter key in the last
    field) gives the fields' text, in their order, to the view-model's action, off the event
    loop while the screen says it is working."""
    label, action = send

    async def submit(_e: Any) -> None:
        await shell.run_slow(action, *(field.value or "" for _ident, field in fields))

    if enter:
        fields[-1][1].on_submit = submit
    button = shell.kit.button(label, submit, ident=ident, disabled=shell.busy)
    return shell.kit.form(title, intro, fields, button, before=notice(shell))
