"""The question list ("go to") and the review of answers before finishing.

Both show every question of the questionnaire in its order with a mark (answered, skipped,
not answered yet), in the worker's language; a tap on a question that is asked in this
interview opens its screen. Worker-facing only: the worker holds the tablet for these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import flet as ft

from app.i18n import N_
from app.ui import ids
from app.ui.interview import ANSWERED, SKIPPED, QuestionMark
from app.ui.model import Route
from app.ui.screens import notice

if TYPE_CHECKING:
    from app.ui.shell import Shell

MARK_WORDS = {
    ANSWERED: N_("Answered"),
    SKIPPED: N_("Skipped"),
}
UNANSWERED_WORDS = N_("Not answered yet")
MARK_ICONS = {
    ANSWERED: ft.Icons.CHECK_CIRCLE,
    SKIPPED: ft.Icons.REMOVE_CIRCLE_OUTLINE,
}


def mark_button(shell: Shell, mark: QuestionMark, prefix: str) -> ft.Control:
    """One question as a button: its words, then its mark and the answer as the worker reads
    it. Questions not asked in this interview cannot be opened."""
    _ = shell._
    status = _(MARK_WORDS.get(mark.status, UNANSWERED_WORDS))
    sub = f"{status}: {mark.answer}" if mark.answer and mark.status == ANSWERED else status
    return shell.kit.button(
        mark.label,
        shell.act(shell.model.go_to, mark.name) if mark.open else None,
        ident=prefix + mark.name,
        kind="secondary",
        icon=MARK_ICONS.get(mark.status, ft.Icons.RADIO_BUTTON_UNCHECKED),
        sublabel=sub,
        disabled=not mark.open,
    )


def question_list(shell: Shell) -> ft.Control:
    k, _, m = shell.kit, shell._, shell.model
    iv = m.interview
    if iv is None:
        return ft.Column([k.text(_("No screening is open."))])
    marks = iv.question_list()
    counts = {s: sum(1 for x in marks if x.status == s) for s in (ANSWERED, SKIPPED)}
    items: list[ft.Control] = [
        k.heading(_("Questions")),
        *notice(shell),
        k.text(
            _(
                "Answered: {answered}. Skipped: {skipped}. Not answered yet: {open}.",
                answered=counts[ANSWERED],
                skipped=counts[SKIPPED],
                open=len(marks) - counts[ANSWERED] - counts[SKIPPED],
            ),
            14,
            color="#57606a",
        ),
    ]
    items += [mark_button(shell, x, ids.GO_TO_ITEM) for x in marks]
    shell.footer = k.button(
        _("Back to the interview"),
        shell.act(m.go, Route.INTERVIEW),
        ident=ids.QUESTIONS_BACK,
        kind="secondary",
    )
    return ft.Column(items, spacing=8)


def review(shell: Shell) -> list[ft.Control]:
    """The answers given, before finishing: the worker checks them and can go back to any."""
    k, _, m = shell.kit, shell._, shell.model
    iv = m.interview
    assert iv is not None
    marks = [x for x in iv.question_list() if x.open]
    out: list[ft.Control] = [
        k.text(_("Check the answers before finishing"), 18, bold=True),
        k.text(_("Tap a question to change its answer."), 14, color="#57606a"),
    ]
    out += [mark_button(shell, x, ids.REVIEW_ITEM) for x in marks]
    return out
