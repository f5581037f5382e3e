"""The urgent-safety screen and the worker's summary. Both speak to the worker, in the worker's
language; the summary is the only place flags and pathways appear."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flet as ft

from app.i18n import FSI, N_, PDI, isolate
from app.ui import ids
from app.ui.model import Route
from app.ui.screens import notice
from app.uikit.components import ERROR_BG, apart

if TYPE_CHECKING:
    from app.ui.shell import Shell


def _entries_for(directory: list[dict[str, Any]], pathway: str) -> list[dict[str, Any]]:
    out = []
    for e in directory:
        ways = e.get("pathways") or e.get("pathway") or []
        if isinstance(ways, str):
            ways = [ways]
        if pathway in ways:
            out.append(e)
    return out


def dial(number: str) -> str:
    """The number as a tel:/sms: target: digits, with a leading + kept."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return ("+" if number.strip().startswith("+") else "") + digits


def _entry(shell: Shell, e: dict[str, Any]) -> ft.Control:
    """One service of the site's directory: its name, a tap to call and to message it, and
    its contact, address and hours."""
    k, _ = shell.kit, shell._
    lines: list[ft.Control] = [k.text(str(e.get("name") or e.get("service") or ""), 16, bold=True)]
    phone = str(e.get("phone") or "").strip()
    if phone and dial(phone).lstrip("+"):
        number = dial(phone)
        call = k.button(
            _("Call {number}", number=isolate(phone)),
            None,
            ident=ids.CALL + number,
            icon=ft.Icons.CALL,
        )
        message = k.button(
            _("Message"),
            None,
            ident=ids.MESSAGE + number,
            kind="secondary",
            icon=ft.Icons.SMS,
        )
        _link(call, f"tel:{number}")
        _link(message, f"sms:{number}")
        lines.append(ft.Row([call, message], wrap=True, spacing=8, run_spacing=8))
    for key, label in (
        ("contact", _("Contact")),
        ("address", _("Address")),
        ("hours", _("Opening hours")),
    ):
        value = e.get(key)
        if value:
            lines.append(k.text(f"{label}: {value}", 14))
    notes = e.get("notes") or e.get("description")
    if isinstance(notes, dict):
        notes = notes.get(shell.model.settings.language) or notes.get("en")
    if notes:
        lines.append(k.text(str(notes), 14, color="#57606a"))
    return ft.Container(content=ft.Column(lines, spacing=2), padding=ft.Padding.only(top=6))


def _duty_of_care(shell: Shell, duty: list[dict[str, Any]], kept: bool) -> ft.Control:
    """Every duty-of-care item raised so far, and whether the record keeps it."""
    k, _ = shell.kit, shell._
    lines: list[ft.Control] = [k.text(_("Raised so far"), 18, bold=True)]
    for item in duty:
        rows: list[ft.Control] = [k.text(item["label"], 16, bold=True)]
        if item.get("description"):
            rows.append(k.text(item["description"], 14))
        rows.append(
            k.text(
                _("Kept in the record")
                if kept
                else _("Not kept: act on it now, nothing of it is saved"),
                13,
                color="#57606a" if kept else "#a40e26",
            )
        )
        lines.append(
            ft.Semantics(
                identifier=ids.DUTY_OF_CARE + item["id"],
                content=ft.Column(rows, spacing=2),
                container=True,
            )
        )
    return k.card(lines)


def _link(control: ft.Control, url: str) -> None:
    """Make a kit button open ``url`` (the phone's dialler or messages) when tapped."""
    button = control.content if isinstance(control, ft.Semantics) else control
    assert isinstance(button, ft.Button)
    button.url = url


def _reasons(shell: Shell) -> list[ft.Control]:
    """For the worker: which answers raised the urgent screen."""
    k, _ = shell.kit, shell._
    iv = shell.model.interview
    reasons = iv.urgent_reasons() if iv is not None else []
    if not reasons:
        return []
    # in the worker's language, each line in its direction (an Arabic question reads right
    # to left under an English heading)
    wl = iv.worker_language if iv is not None else None
    rows: list[ft.Control] = [k.text(_("Raised by these answers"), 16, bold=True)]
    for r in reasons:
        rows.append(k.text(r["label"], 15, lang=wl, bold=True))
        for question, answer in r["answers"]:
            rows.append(k.text(question, 14, lang=wl, color="#57606a"))
            rows.append(k.text(answer, 15, lang=wl, bold=True))
    return [ft.Semantics(identifier=ids.URGENT_REASONS, container=True, content=k.card(rows))]


def urgent(shell: Shell) -> ft.Control:
    k, _, m = shell.kit, shell._, shell.model
    directory = m.referral_directory()
    contacts = _entries_for(directory, "urgent") or [e for e in directory if e.get("emergency")]
    iv = m.interview
    withdrawn = iv is None
    if iv is not None:
        duty, kept = iv.duty_of_care(), iv.keep_record()
    else:
        duty, kept = list(m.duty_of_care or []), False
    items: list[ft.Control] = [_urgent_banner(shell, withdrawn), *notice(shell), *_reasons(shell)]
    if duty:
        items.append(_duty_of_care(shell, duty, kept))
    if contacts:
        items.append(
            k.card(
                [
                    k.text(_("Emergency contacts"), 18, bold=True),
                    *[_entry(shell, e) for e in contacts],
                ]
            )
        )
    else:
        items.append(k.text(_("No emergency contact is set for this site. Call your coordinator.")))
    items += _urgent_actions(shell, withdrawn)
    return ft.Column(items, spacing=14)


def _urgent_banner(shell: Shell, withdrawn: bool) -> ft.Control:
    """What the urgent screen is for, in red; after a withdrawal, that help still follows."""
    k, _ = shell.kit, shell._
    lines: list[ft.Control] = [
        k.heading(_("Urgent help may be needed")),
        k.text(
            _(
                "An answer shows the person may need help now. Stay with them, "
                "and call the emergency contact for this site."
            )
        ),
    ]
    if withdrawn:
        lines.append(
            k.text(
                _(
                    "The person withdrew: their answers are deleted. Help "
                    "never depends on consent: what follows stays with you."
                )
            )
        )
    return ft.Container(
        content=ft.Column(lines, spacing=8), bgcolor=ERROR_BG, padding=14, border_radius=12
    )


def _urgent_actions(shell: Shell, withdrawn: bool) -> list[ft.Control]:
    """Done after a withdrawal; otherwise go on with the screening or end it safely."""
    k, _, m = shell.kit, shell._, shell.model
    if withdrawn:
        return [k.button(_("Done"), shell.act(m.close_duty_of_care), ident=ids.DUTY_OF_CARE_DONE)]
    return [
        k.button(
            _("Continue the screening, if the person agrees"),
            shell.act(m.continue_after_urgent),
            ident=ids.URGENT_CONTINUE,
            kind="secondary",
        ),
        k.button(_("End safely"), shell.slow(m.end_safely), ident=ids.END_SAFELY),
    ]


STRENGTH = {"strong": N_("strong"), "medium": N_("medium"), "weak": N_("weak")}


def summary(shell: Shell) -> ft.Control:
    k, _, m = shell.kit, shell._, shell.model
    data = m.summary_outcome or {"flags": [], "pathways": [], "indicators": []}
    directory = m.referral_directory()
    items: list[ft.Control] = [
        k.heading(_("Worker's summary")),
        k.text(
            _(
                "For you only: do not show this screen to the person. These are suggestions "
                "for referral, not a decision about anyone's status."
            ),
            14,
            color="#57606a",
        ),
        *notice(shell),
        k.text(_("Suggested referrals"), 18, bold=True),
    ]
    if not data["pathways"]:
        items.append(k.text(_("No referral was suggested by the answers.")))
    items += [_pathway_card(shell, p, directory) for p in data["pathways"]]
    if data["flags"]:
        items.append(k.text(_("What the answers showed"), 18, bold=True))
    items += [_flag_card(shell, f) for f in data["flags"]]
    items += _indicators_card(shell, data.get("indicators", []))
    items += _consents_card(shell, data.get("consents") or [])
    items.append(k.button(_("Done"), shell.act(m.close_summary), ident=ids.SUMMARY_DONE))
    return ft.Column(items, spacing=12)


def _pathway_card(shell: Shell, p: dict[str, Any], directory: list[dict[str, Any]]) -> ft.Control:
    """A suggested referral: what it is, the flags that led to it, and where to refer."""
    k, _ = shell.kit, shell._
    lines: list[ft.Control] = [k.text(p["label"], 18, bold=True)]
    if p.get("description"):
        lines.append(k.text(p["description"], 14))
    if p.get("flags"):
        lines.append(
            k.text(_("Because of: {flags}", flags=", ".join(p["flags"])), 14, color="#57606a")
        )
    entries = _entries_for(directory, p["id"])
    if entries:
        lines.append(k.text(_("Where to refer"), 15, bold=True))
        lines += [_entry(shell, e) for e in entries]
    return ft.Semantics(identifier=ids.PATHWAY + p["id"], content=k.card(lines), container=True)


def _flag_card(shell: Shell, f: dict[str, Any]) -> ft.Control:
    """A flag the answers raised: its strength, and the answers that raised it."""
    k, _ = shell.kit, shell._
    lines: list[ft.Control] = [k.text(f["label"], 16, bold=True)]
    if f.get("strength"):
        lines.append(
            k.text(
                _(
                    "Indicator: {strength}",
                    strength=_(STRENGTH.get(f["strength"], f["strength"])),
                ),
                13,
                color="#57606a",
            )
        )
    for question, answer in f.get("answers", []):
        lines.append(k.text(apart(question, answer), 14))
    return ft.Semantics(identifier=ids.FLAG + f["id"], content=k.card(lines), container=True)


def _indicators_card(shell: Shell, indicators: list[dict[str, Any]]) -> list[ft.Control]:
    """How many indicators of each strength every dimension has (none: no card)."""
    k, _ = shell.kit, shell._
    dims = [d for d in indicators if d["strong"] or d["medium"] or d["weak"]]
    if not dims:
        return []
    rows = [k.text(_("Indicators by dimension"), 18, bold=True)]
    for d in dims:
        rows.append(
            k.text(
                _(
                    "{dimension}: strong {strong}, medium {medium}, weak {weak}",
                    dimension=FSI + d["label"] + PDI,
                    strong=d["strong"],
                    medium=d["medium"],
                    weak=d["weak"],
                ),
                14,
            )
        )
    return [k.card(rows)]


def _consents_card(shell: Shell, consents: list[dict[str, Any]]) -> list[ft.Control]:
    """The person's answer to each referral's consent question (none asked: no card)."""
    k, _ = shell.kit, shell._
    if not consents:
        return []
    rows = [k.text(_("Consent for each referral"), 18, bold=True)]
    unanswered = _("Not answered")
    for c in consents:
        rows.append(
            ft.Semantics(
                identifier=ids.REFERRAL_CONSENT + c["name"],
                content=k.text(apart(c["label"], c["answer"] or unanswered), 14),
                container=True,
            )
        )
    return [k.card(rows)]


__all__ = ["Route", "summary", "urgent"]
