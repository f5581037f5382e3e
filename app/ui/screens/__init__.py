"""One module per screen group; each screen is a function ``(shell) -> Control`` that renders
the view-model's state and wires its buttons to view-model actions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import flet as ft

from app.ui.model import Route

if TYPE_CHECKING:
    from app.ui.shell import Shell


def build(shell: Shell, route: Route) -> ft.Control:
    from app.ui.screens import access, home, interview, questions, summary

    screens = {
        Route.SET_PIN: access.set_pin,
        Route.UNLOCK: access.unlock,
        Route.ENROL: access.enrol,
        Route.HOME: home.home,
        Route.RECORDS: home.records,
        Route.SYNC: home.sync,
        Route.SETTINGS: home.settings,
        Route.NEW: interview.new_screening,
        Route.CONSENT: interview.consent,
        Route.INTERVIEW: interview.interview,
        Route.QUESTIONS: questions.question_list,
        Route.URGENT: summary.urgent,
        Route.SUMMARY: summary.summary,
    }
    return screens[route](shell)


def notice(shell: Shell) -> list[ft.Control]:
    n = shell.model.notice
    if n is None:
        return []
    return [shell.kit.notice(shell.words(n.code, n.params), error=n.error)]


def no_screening(shell: Shell) -> ft.Control:
    """What a screening's screen shows when no screening is open (a stale tap, a lock)."""
    return ft.Column([shell.kit.text(shell._("No screening is open."))])
