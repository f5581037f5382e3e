"""New screening, consent and the interview itself.

In interpreter mode every text shows in the respondent's language (large) and the worker's
language (smaller, shaded), each laid out in its own direction. Pause and end safely are always
on screen; flags and pathways never are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import flet as ft

from app.i18n import N_, is_rtl, language, translator
from app.ui import ids
from app.ui.interview import PromptView, QuestionnaireInfo, ScreenView
from app.ui.model import Route
from app.ui.screens import no_screening, notice, questions
from app.ui.words import number
from app.uikit.components import ERROR_BG, NOTICE_BG, WORKER_BG, Option

if TYPE_CHECKING:
    from app.engine import Questionnaire
    from app.ui.shell import Shell

FIELD_ERRORS = {
    "required": N_("This question needs an answer, or choose \u201cPrefer not to say\u201d."),
    "constraint": N_("This answer is not possible here. Please check it."),
    "invalid": N_("This answer is not in the expected form."),
}
OK = N_("OK")
NOT_AVAILABLE = N_("This question is not available in Waymark. Go on to the next one.")
YES = N_("Yes")
NO = N_("No")
ANSWER = N_("Answer")
ALL_DONE = N_("All questions are done. Thank you for your time.")
ADD_ANOTHER = N_("Add another?")
AGREES_SCREENING = N_("The person agrees to the screening")
AGREES_STORING = N_("The person agrees that the record is kept and sent to the agency")


def _lang_name(code: str) -> str:
    try:
        return language(code).native_name
    except Exception:
        return code


def new_screening(shell: Shell) -> ft.Control:
    k, _, m = shell.kit, shell._, shell.model
    forms = m.questionnaires()
    if len(forms) == 1 and not m.new_choice.get("form"):
        m.choose("form", forms[0].key)
    items: list[ft.Control] = [k.heading(_("New screening")), *notice(shell)]
    if not forms:
        items.append(
            k.text(
                _(
                    "No questionnaire is on this tablet yet. Send records to "
                    "download the site's questionnaires."
                )
            )
        )
    items.append(k.text(_("Questionnaire"), 18, bold=True))
    items += [_form_button(shell, info) for info in forms]
    chosen = next((f for f in forms if f.key == m.new_choice.get("form")), None)
    if chosen is not None:
        q = chosen.load()
        items += [
            k.text(_("Respondent's language"), 18, bold=True),
            _language_buttons(shell, q, "language", ids.LANGUAGE),
            k.text(_("Your language (worker)"), 18, bold=True),
            _language_buttons(shell, q, "worker_language", ids.WORKER_LANGUAGE),
        ]
    items.append(
        k.button(_("Begin"), shell.act(m.start), ident=ids.BEGIN, disabled=not m.can_start())
    )
    items.append(
        k.button(_("Home"), shell.act(m.go, m.route.HOME), ident=ids.BACK_HOME, kind="secondary")
    )
    return ft.Column(items, spacing=12)


def _form_button(shell: Shell, info: QuestionnaireInfo) -> ft.Control:
    """One questionnaire of the tablet, by its title in the worker's language."""
    m = shell.model
    return shell.kit.button(
        info.load().title(m.settings.language) or info.key,
        shell.act(m.choose, "form", info.key),
        ident=ids.FORM + info.key,
        kind="secondary",
        selected=m.new_choice.get("form") == info.key,
    )


def _language_buttons(shell: Shell, q: Questionnaire, key: str, prefix: str) -> ft.Control:
    """The questionnaire's languages, each in its own name, a draft translation said so;
    ``key`` is the choice they set (the respondent's or the worker's language)."""
    _, m = shell._, shell.model
    draft = _("draft translation")
    return shell.kit.options(
        Option(
            prefix + code,
            q.language_names.get(code) or _lang_name(code),
            shell.act(m.choose, key, code),
            selected=m.new_choice.get(key) == code,
            lang=code,
            sublabel=draft if q.language_status(code) != "reviewed" else None,
        )
        for code in q.languages
    )


CONSENT_TEXT = (
    N_(
        "This conversation is to find out what help you may need. You decide what to answer. "
        "You can skip any question or stop at any time, and the help you get does not depend "
        "on it."
    ),
    N_(
        "Your answers are locked on this tablet and sent only to the agency's protection "
        "staff, who use them to refer you to services you agree to."
    ),
)


def _both(shell: Shell, words: str, lang: str, wlang: str, size: float = 17) -> list[ft.Control]:
    """A catalog text in the respondent's language, with the worker's below when different;
    each block laid out in its own direction (never one nested in the other's)."""
    k = shell.kit
    out = [_in_direction([k.text(translator(lang)(words), size, lang=lang)], lang)]
    if wlang != lang:
        out.append(_worker_block([k.text(translator(wlang)(words), size - 3, lang=wlang)], wlang))
    return out


def _in_direction(controls: list[ft.Control], lang: str, spacing: float = 10) -> ft.Control:
    """Text in one language, laid out in that language's direction."""
    return ft.Container(content=ft.Column(controls, spacing=spacing), rtl=is_rtl(lang))


def _worker_block(
    controls: list[ft.Control], wlang: str, *, padding: float = 8, spacing: float = 10
) -> ft.Control:
    """Text for the worker, shaded apart from the respondent's and in its own direction."""
    return ft.Container(
        content=ft.Column(controls, spacing=spacing),
        bgcolor=WORKER_BG,
        padding=padding,
        border_radius=8,
        rtl=is_rtl(wlang),
    )


def consent(shell: Shell) -> ft.Control:
    k, _, m = shell.kit, shell._, shell.model
    iv = m.interview
    if iv is None:
        return no_screening(shell)
    lang, wlang = iv.language, iv.worker_language
    body: list[ft.Control] = [
        k.heading(_("Consent")),
        *notice(shell),
        k.text(_("Read this aloud:"), 15, color="#57606a"),
    ]
    for para in CONSENT_TEXT:
        body += _both(shell, para, lang, wlang)
    body += _ConsentChoice(shell, wlang).controls()
    return ft.Column(body, spacing=12)


class _ConsentChoice:
    """Two agreements, then an explicit choice: Agree (only with both ticked) or decline,
    which asks for a confirmation right below it. A tick redraws only the Agree button."""

    def __init__(self, shell: Shell, wlang: str) -> None:
        self.shell, self.wlang = shell, wlang
        self.state = {"screening": False, "storing": False}
        self.agree_slot = ft.Container()
        self.confirm_slot = ft.Column(
            spacing=10,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            key=ft.ScrollKey(ids.CONSENT_DECLINE_YES),  # type: ignore[call-arg]  # flet 1.0.5 stubs
        )

    def controls(self) -> list[ft.Control]:
        k, _, words = self.shell.kit, self.shell._, translator(self.wlang)
        self.draw_agree()
        return [
            self.agreement("screening", words(AGREES_SCREENING), ids.CONSENT_SCREENING),
            self.agreement("storing", words(AGREES_STORING), ids.CONSENT_STORING),
            self.agree_slot,
            k.button(
                _("The person does not agree"),
                self.ask_decline,
                ident=ids.CONSENT_DECLINE,
                kind="secondary",
            ),
            self.confirm_slot,
        ]

    def agree(self, _e: Any) -> None:
        self.shell.model.consent(self.state["screening"], self.state["storing"])
        self.shell.render()

    def draw_agree(self) -> None:
        _ = self.shell._
        both = self.state["screening"] and self.state["storing"]
        self.agree_slot.content = self.shell.kit.button(
            _("Agree and begin"), self.agree, ident=ids.CONSENT_AGREE, disabled=not both
        )

    def set_state(self, key: str, value: bool) -> None:
        self.state[key] = value
        self.shell.model.touch()
        self.draw_agree()
        self.agree_slot.update()

    def agreement(self, key: str, words: str, ident: str) -> ft.Control:
        """A checkbox with its words beside it, wrapping on a narrow screen."""
        box = ft.Checkbox(
            visual_density=ft.VisualDensity.STANDARD,
            # 48 px whatever the browser reports: a desktop one shrinks the tap area to 40
            width=48,
            height=48,
            semantics_label=words,
            on_change=lambda e: self.set_state(key, bool(e.control.value)),
        )

        def flip(_e: Any) -> None:
            box.value = not box.value
            box.update()
            self.set_state(key, bool(box.value))

        return ft.Row(
            [
                ft.Semantics(identifier=ident, content=box),
                ft.Container(
                    content=self.shell.kit.text(words, 16, lang=self.wlang),
                    expand=True,
                    on_click=flip,
                    padding=ft.Padding.symmetric(vertical=13),  # a 48 px target
                ),
            ],
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
            rtl=is_rtl(self.wlang),
        )

    def ask_decline(self, _e: Any) -> None:
        k, _, m = self.shell.kit, self.shell._, self.shell.model
        m.touch()
        self.confirm_slot.controls = [
            k.notice(_("End here? Nothing will be kept. Help does not depend on taking part.")),
            k.button(
                _("Yes, end without keeping anything"),
                self.shell.act(m.decline_consent),
                ident=ids.CONSENT_DECLINE_YES,
                kind="danger",
            ),
            k.button(
                _("No, go back"), self.keep_on, ident=ids.CONSENT_DECLINE_NO, kind="secondary"
            ),
        ]
        self.confirm_slot.update()
        self.shell.reveal(ids.CONSENT_DECLINE_YES, now=True)

    def keep_on(self, _e: Any) -> None:
        self.confirm_slot.controls = []
        self.confirm_slot.update()


def _errors(shell: Shell, view: ScreenView, p: PromptView) -> list[ft.Control]:
    """Each open check in the respondent's language and, when it differs, in the worker's
    (who must read it), each block in its own direction."""
    lang, wlang = view.shown_language, view.worker_language
    shown = [lang] if lang == wlang else [lang, wlang]
    out = []
    for e in p.errors:
        generic = FIELD_ERRORS.get(e.get("code", ""), FIELD_ERRORS["invalid"])
        own = e.get("messages") or {}
        for code in shown:
            words = own.get(code) or translator(code)(generic)
            out.append(shell.kit.notice(words, lang=code, size=15 if code == lang else 14))
    return out


def _prompt_box(shell: Shell, view: ScreenView, p: PromptView) -> ft.Control:
    """One question in its own box. A choice tapped redraws only this box (the rest of the
    screen, its scroll position and its focus stay), unless the answer changed which
    questions the screen holds: then the screen is drawn again, in place."""
    column = ft.Column(spacing=10, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
    names = [q.name for q in view.prompts]

    def redraw() -> None:
        iv = shell.model.interview
        if iv is None or shell.model.route.value != "interview":
            shell.render()
            return
        fresh = iv.view()
        mine = next((q for q in fresh.prompts if q.name == p.name), None)
        if mine is None or [q.name for q in fresh.prompts] != names:
            shell.render()
            return
        column.controls = _prompt(shell, fresh, mine, redraw)
        column.update()

    column.controls = _prompt(shell, view, p, redraw)
    return ft.Semantics(identifier=ids.PROMPT + p.name, container=True, content=column)


def _chosen(
    shell: Shell,
    fn: Callable[[str, str], object],
    name: str,
    value: str,
    redraw: Callable[[], None],
) -> Callable[[Any], None]:
    def handler(_e: Any) -> None:
        if shell.busy:
            return
        shell.model.touch()
        fn(name, value)
        redraw()

    return handler


def _prompt(
    shell: Shell,
    view: ScreenView,
    p: PromptView,
    redraw: Callable[[], None] | None = None,
) -> list[ft.Control]:
    """One question: its words in both languages, its errors, and its answer controls. "Prefer
    not to say" is offered only where the questionnaire has it, as one of its choices: chosen,
    then Next, like every answer."""
    out = _question_words(shell, view, p)
    out += _errors(shell, view, p)
    if p.type == "unsupported":  # a photo, a location, a signature...: said plainly, never blank
        out.append(shell.kit.notice(shell._(NOT_AVAILABLE), error=False))
    if not p.answerable:
        return out
    if p.choices:
        return out + _choice_buttons(shell, view, p, redraw)
    if p.type == "acknowledge":
        return [*out, _acknowledge(shell, view, p)]
    return [*out, _answer_field(shell, view, p)]


def _question_words(shell: Shell, view: ScreenView, p: PromptView) -> list[ft.Control]:
    """The question and its hint in the respondent's language; in interpreter mode the
    worker's words below, shaded."""
    k = shell.kit
    lang, wlang = view.shown_language, view.worker_language
    label = [k.text(p.label, 22, lang=lang, bold=True, ident=ids.QUESTION)]
    if p.hint:
        label.append(k.text(p.hint, 15, lang=lang, color="#57606a"))
    out = [_in_direction(label, lang, spacing=4)]
    if view.interpreter and wlang != lang and (p.worker_label or p.worker_hint):
        worker = [k.text(p.worker_label, 16, lang=wlang, ident=ids.WORKER_TEXT)]
        if p.worker_hint:
            worker.append(k.text(p.worker_hint, 13, lang=wlang, color="#57606a"))
        out.append(_worker_block(worker, wlang, padding=10, spacing=2))
    return out


def _choice_icon(multiple: bool, selected: bool) -> ft.IconData:
    """A tick box for a choice among many, a radio button for one among several."""
    if multiple:
        return ft.Icons.CHECK_BOX if selected else ft.Icons.CHECK_BOX_OUTLINE_BLANK
    return ft.Icons.RADIO_BUTTON_CHECKED if selected else ft.Icons.RADIO_BUTTON_UNCHECKED


def _choice_buttons(
    shell: Shell, view: ScreenView, p: PromptView, redraw: Callable[[], None] | None
) -> list[ft.Control]:
    """A button a choice, the worker's words below each in interpreter mode; a tap redraws
    only the question's box when ``redraw`` is given."""
    iv = shell.model.interview
    assert iv is not None
    lang, wlang = view.shown_language, view.worker_language
    both = view.interpreter and wlang != lang
    fn = iv.toggle if p.multiple else iv.answer
    return [
        shell.kit.button(
            c.label,
            _chosen(shell, fn, p.name, c.value, redraw)
            if redraw is not None
            else shell.act(fn, p.name, c.value),
            ident=ids.CHOICE + c.value,
            lang=lang,
            kind="secondary",
            selected=c.selected,
            icon=_choice_icon(p.multiple, c.selected),
            sublabel=c.worker_label if both else None,
            sublang=wlang,
        )
        for c in p.choices
    ]


def _acknowledge(shell: Shell, view: ScreenView, p: PromptView) -> ft.Control:
    """A note the person has heard: one OK, in the respondent's language."""
    iv = shell.model.interview
    assert iv is not None
    lang = view.shown_language
    return shell.kit.button(
        translator(lang)(OK),
        shell.act(iv.answer, p.name, "OK"),
        ident=ids.CHOICE + "ok",
        lang=lang,
        kind="secondary",
        selected=bool(p.value),
    )


def _answer_field(shell: Shell, view: ScreenView, p: PromptView) -> ft.Control:
    """A typed answer: kept as a draft while typed, committed by Next (or the Enter key)."""
    current = shell.drafts.get(p.name, "" if p.value in (None, "") else str(p.value))
    tf = shell.kit.field(
        translator(view.worker_language)(ANSWER),
        value=current,
        numeric=p.type in ("integer", "decimal", "range"),
        lang=view.shown_language,
    )
    if p.type == "date":
        tf.hint_text = "YYYY-MM-DD"

    def changed(e: Any) -> None:
        shell.drafts[p.name] = e.control.value
        shell.model.touch()

    tf.on_change = changed
    tf.on_submit = lambda _e: _next(shell)
    return ft.Semantics(identifier=ids.ANSWER_FIELD + p.name, content=tf)


def _commit_drafts(shell: Shell) -> None:
    iv = shell.model.interview
    if iv is None:
        return
    for name, value in list(shell.drafts.items()):
        iv.answer(name, value if value != "" else None)
    shell.drafts.clear()


def _next(shell: Shell) -> None:
    if shell.busy:
        return
    shell.model.touch()
    _commit_drafts(shell)
    shell.model.next()
    shell.render()


def _back(shell: Shell) -> None:
    shell.model.touch()
    shell.drafts.clear()
    if shell.model.interview is not None:
        shell.model.interview.previous()
    shell.render()


def _languages_panel(shell: Shell, view: ScreenView) -> ft.Control:
    k, _ = shell.kit, shell._
    iv = shell.model.interview
    assert iv is not None
    langs = iv.languages()

    def row(current: str, setter: Callable[[str], Any], prefix: str) -> ft.Control:
        return k.options(
            (
                Option(prefix + code, name, shell.act(setter, code), code == current, lang=code)
                for code, name, _status in langs
            ),
            spacing=6,
        )

    def interpreter_changed(e: Any) -> None:
        iv.set_interpreter(bool(e.control.value))
        shell.render()

    interp = ft.Switch(
        label=_("Interpreter mode: show both languages"),
        value=iv.interpreter,
        on_change=interpreter_changed,
    )
    return shell.kit.card(
        [
            k.text(_("Respondent's language"), 15, bold=True),
            row(view.language, iv.set_language, ids.SWITCH_RESPONDENT),
            k.text(_("Your language (worker)"), 15, bold=True),
            row(view.worker_language, iv.set_worker_language, ids.SWITCH_WORKER),
            ft.Semantics(identifier=ids.INTERPRETER, content=interp),
        ],
        bg=WORKER_BG,
    )


def interview(shell: Shell) -> ft.Control:
    m = shell.model
    iv = m.interview
    if iv is None:
        return no_screening(shell)
    view = iv.view()
    first = view.prompts[0].name if view.prompts else ""
    shell.place = ":".join(["interview", iv.record_id, view.kind, str(view.at_end), first])
    items: list[ft.Control] = []
    if m.break_due():
        shell._break_shown = True
        items.append(_break_prompt(shell))
    items += _progress(shell, view)
    items += notice(shell)
    if view.at_end or view.kind == "end":
        items += _at_the_end(shell, view)
    elif view.kind == "repeat_offer":
        items += _repeat_offer(shell, view)
    else:
        items += [_prompt_box(shell, view, p) for p in view.prompts]
        shell.footer = _footer(shell, view, _next_button(shell, view), at_start=view.at_start)
    items.append(ft.Divider())
    items += _safety(shell)
    items += _languages(shell, view)
    return ft.Column(items, spacing=12)


def _break_prompt(shell: Shell) -> ft.Control:
    """After a long while talking: a break offered, everything saved."""
    k, _, m = shell.kit, shell._, shell.model
    return ft.Semantics(
        identifier=ids.BREAK_PROMPT,
        content=k.ask(
            _(
                "You have been talking for a while. Would the person like a "
                "break? Everything is saved."
            ),
            [
                k.button(_("Take a break"), shell.act(m.pause), kind="secondary", expand=True),
                k.button(
                    _("Continue"),
                    shell.act(m.dismiss_break),
                    ident=ids.BREAK_CONTINUE,
                    expand=True,
                ),
            ],
            bg=NOTICE_BG,
        ),
    )


def _progress(shell: Shell, view: ScreenView) -> list[ft.Control]:
    """Where the interview is: the section (both languages in interpreter mode), a progress
    bar, the question's number, and the question list."""
    k, _, m = shell.kit, shell._, shell.model
    lang = view.shown_language
    total = max(view.total, 1)
    section = view.worker_section if view.worker_only else view.section
    header: list[ft.Control] = []
    if section:
        header.append(k.text(section, 15, lang=lang, color="#57606a"))
        if view.interpreter and view.worker_section and view.worker_section != section:
            header.append(
                k.text(view.worker_section, 13, lang=view.worker_language, color="#57606a")
            )
    header.append(
        ft.Semantics(
            identifier=ids.PROGRESS,
            value=f"{view.done}/{view.total}",
            content=ft.ProgressBar(value=min(1.0, view.done / total), height=8, border_radius=4),
        )
    )
    count = (
        ft.Container()
        if view.at_end
        else k.text(
            _(
                "Question {n} of {total}",
                n=number(m.settings.language, min(view.done + 1, view.total)),
                total=number(m.settings.language, view.total),
            ),
            13,
            color="#57606a",
        )
    )
    # the count and the question list on one line: phone landscape keeps the question in view
    header.append(
        ft.Row(
            [
                ft.Container(content=count, expand=True),
                k.button(
                    _("Questions"),
                    shell.act(m.go, Route.QUESTIONS),
                    ident=ids.GO_TO,
                    kind="secondary",
                    icon=ft.Icons.LIST,
                ),
            ],
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        )
    )
    return header


def _at_the_end(shell: Shell, view: ScreenView) -> list[ft.Control]:
    """Every question done: the answers to review, and Finish pinned beside Back."""
    wlang = view.worker_language
    finish = shell.kit.button(
        translator(wlang)(N_("Finish and seal the record")),
        shell.slow(shell.model.finish),
        ident=ids.FINISH,
        lang=wlang,
        disabled=shell.busy,
        icon=ft.Icons.CHECK,
        expand=True,
    )
    shell.footer = _footer(shell, view, finish, at_start=False)
    return [*_both(shell, ALL_DONE, view.shown_language, wlang, 20), *questions.review(shell)]


def _repeat_offer(shell: Shell, view: ScreenView) -> list[ft.Control]:
    """Another round of a repeated group, or go on."""
    k = shell.kit
    iv = shell.model.interview
    assert iv is not None
    lang = view.shown_language
    words = translator(lang)
    yes = k.button(
        words(YES),
        shell.act(iv.add_repeat, view.repeat),
        ident=ids.CHOICE + "yes",
        lang=lang,
        expand=True,
    )
    no = k.button(
        words(NO),
        lambda _e: _next(shell),
        ident=ids.CHOICE + "no",
        lang=lang,
        kind="secondary",
        expand=True,
    )
    return [*_both(shell, ADD_ANOTHER, lang, view.worker_language, 20), k.actions([yes, no])]


def _next_button(shell: Shell, view: ScreenView) -> ft.Control:
    return shell.kit.button(
        translator(view.worker_language)(N_("Next")),
        lambda _e: _next(shell),
        ident=ids.NEXT,
        lang=view.worker_language,
        expand=True,
    )


def _footer(shell: Shell, view: ScreenView, forward: ft.Control, *, at_start: bool) -> ft.Row:
    """Back and the way forward, in the worker's language, pinned below the screen."""
    return shell.kit.actions([_back_button(shell, view, disabled=at_start), forward], spacing=10)


def _safety(shell: Shell) -> list[ft.Control]:
    """Always on screen: pause, end safely, and withdrawal (asked to confirm, in place)."""
    k, _, m = shell.kit, shell._, shell.model
    out: list[ft.Control] = [
        k.actions(
            [
                k.button(
                    label,
                    handler,
                    ident=ident,
                    kind="secondary",
                    icon=icon,
                    expand=True,
                )
                for label, handler, ident, icon in (
                    (_("Pause"), shell.act(m.pause), ids.PAUSE, ft.Icons.PAUSE),
                    (_("End safely"), shell.slow(m.end_safely), ids.END_SAFELY, ft.Icons.STOP),
                )
            ],
            spacing=10,
        )
    ]
    if not shell.confirm_withdraw:
        out.append(
            k.button(
                _("The person withdraws: keep nothing"),
                _withdraw(shell, None),
                ident=ids.WITHDRAW,
                kind="secondary",
                icon=ft.Icons.DELETE_OUTLINE,
            )
        )
        return out
    question = _("Delete everything answered in this screening? This cannot be undone.")
    delete = k.button(
        _("Delete"), _withdraw(shell, True), ident=ids.WITHDRAW_YES, kind="danger", expand=True
    )
    cancel = k.button(_("Cancel"), _withdraw(shell, False), kind="secondary", expand=True)
    out.append(
        ft.Container(
            key=ft.ScrollKey(ids.WITHDRAW_YES),  # type: ignore[call-arg]  # flet 1.0.5 stubs
            content=k.ask(question, [delete, cancel], bg=ERROR_BG),
        )
    )
    return out


def _languages(shell: Shell, view: ScreenView) -> list[ft.Control]:
    """The Languages button, and its panel while it is open."""
    _, show = shell._, shell.show_languages
    toggle = shell.kit.button(
        _("Languages"),
        _toggle_languages(shell),
        ident=ids.SWITCH_LANGUAGE,
        kind="secondary",
        icon=ft.Icons.TRANSLATE,
        selected=bool(show),
    )
    return [toggle, _languages_panel(shell, view)] if show else [toggle]


def _back_button(shell: Shell, view: ScreenView, *, disabled: bool) -> ft.Control:
    return shell.kit.button(
        translator(view.worker_language)(N_("Back")),
        lambda _e: _back(shell),
        ident=ids.BACK,
        lang=view.worker_language,
        kind="secondary",
        expand=True,
        disabled=disabled,
    )


def _withdraw(shell: Shell, confirmed: bool | None) -> Callable[[Any], None]:
    """None: ask to confirm; True: delete the draft now; False: keep going."""

    def handler(_e: Any) -> None:
        shell.model.touch()
        if confirmed is None:
            shell.confirm_withdraw = True
            shell.reveal(ids.WITHDRAW_YES)
        else:
            shell.confirm_withdraw = False
            if confirmed:
                shell.drafts.clear()
                shell.model.withdraw()
        shell.render()

    return handler


def _toggle_languages(shell: Shell) -> Callable[[Any], None]:
    def handler(_e: Any) -> None:
        shell.model.touch()
        shell.show_languages = not shell.show_languages
        shell.render()

    return handler
