"""The interview's view-model: one engine session, what its current screen shows, and the record
it is saved to. Plain Python, no Flet.

Every answer is saved (encrypted) to the store as it is given, so a lock, a pause or a crash
loses nothing acknowledged. In interpreter mode each text is offered in the respondent's
language and the worker's language together; either can change mid-interview.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypedDict

from app.engine import (
    FieldError,
    Item,
    Prompt,
    Questionnaire,
    QuestionnaireError,
    Session,
    SessionError,
    load_questionnaire,
)
from app.engine.errors import SessionCode
from app.engine.outcome import Flag, Outcome
from app.i18n import is_rtl
from app.store.store import Store
from sync.errors import WaymarkError

log = logging.getLogger(__name__)

QUESTIONNAIRE_SUFFIXES = (".yaml", ".yml", ".xlsx", ".xls")
#: choice names a questionnaire uses for "prefer not to say" / "don't know"
SKIP_CHOICES = ("prefer_not_to_say", "prefer_not", "pnts", "refuse", "refused", "skip")
URGENT_PATHWAY = "urgent"
#: consent items of a questionnaire that asks for consent itself (questionnaires/screening.yaml)
CONSENT_SCREENING = "consent_screening"
CONSENT_STORE = "consent_store"
CONSENT_WITHDRAWN = "consent_withdrawn"
#: the questions asking consent for one referral each (``consent_ref_gbv`` ...): the worker's
#: summary shows which were given
REFERRAL_CONSENT = "consent_ref_"
#: the appearance of a group only the worker reads (never read to the person)
WORKER_ONLY = "worker-only"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class QuestionnaireInfo:
    """A questionnaire the worker can start: from the questionnaires folder or the server."""

    key: str
    filename: str
    data: bytes
    _loaded: Questionnaire | None = field(default=None, repr=False)

    def load(self) -> Questionnaire:
        """The parsed questionnaire (parsed once); :class:`QuestionnaireError` when it does
        not load."""
        if self._loaded is None:
            self._loaded = load_questionnaire(self.data, self.filename)
        return self._loaded


_CACHE: dict[tuple[str, int, int], QuestionnaireInfo] = {}
#: questionnaires from the server's configuration, by name and content: parsing the
#: 48-screen screening takes about a second on a tablet, and every screen that lists or starts
#: questionnaires asks for them, so a configuration's file is parsed once, not per tap
_CONFIG_CACHE: dict[tuple[str, bytes], QuestionnaireInfo] = {}


#: earlier versions of the local questionnaires, kept so that a draft finishes on the version
#: it was started on; never offered for a new screening
ARCHIVE = "archive"


def list_questionnaires(
    folder: Path | None,
    from_config: Mapping[str, str] | None = None,
    *,
    archived: bool = False,
) -> list[QuestionnaireInfo]:
    """The questionnaires the server's configuration gives this site; only when it gives
    none (a tablet before its first configuration), those of the local folder. A file that
    does not load is left out (``waymark questionnaire check`` reports its problems). With
    ``archived`` (to resume a draft on the version it was started on), the local folder and
    its earlier versions in ``folder/archive`` follow the configured ones."""
    configured = [
        _configured(name, text)
        for name, text in sorted((from_config or {}).items())
        if name.lower().endswith(QUESTIONNAIRE_SUFFIXES)
    ]
    usable = _loadable(configured)
    folders: list[tuple[Path, str]] = []
    if folder is not None:
        if archived or not usable:
            folders.append((folder, ""))
        if archived:
            folders.append((folder / ARCHIVE, f"{ARCHIVE}/"))
    taken = {info.key for info in usable}
    local = []
    for where, prefix in folders:
        if not where.is_dir():
            continue
        for path in sorted(where.iterdir()):
            key = prefix + path.name
            if path.suffix.lower() not in QUESTIONNAIRE_SUFFIXES or key in taken:
                continue
            st = path.stat()
            ck = (str(path), st.st_mtime_ns, st.st_size)
            if ck not in _CACHE:
                _CACHE[ck] = QuestionnaireInfo(key, path.name, path.read_bytes())
            local.append(_CACHE[ck])
    return usable + _loadable(local)


def _configured(name: str, text: str) -> QuestionnaireInfo:
    """The configuration's questionnaire ``name``, parsed once per content."""
    data = _config_bytes(text)
    key = (name, data)
    info = _CONFIG_CACHE.get(key)
    if info is None:
        for old in [k for k in _CONFIG_CACHE if k[0] == name]:  # a newer version replaces it
            del _CONFIG_CACHE[old]
        info = _CONFIG_CACHE[key] = QuestionnaireInfo(name, name, data)
    return info


def _loadable(infos: list[QuestionnaireInfo]) -> list[QuestionnaireInfo]:
    usable = []
    for info in infos:
        try:
            info.load()
        except QuestionnaireError as exc:
            log.warning(
                "questionnaire %s does not load (%d problems)", info.filename, len(exc.problems)
            )
            continue
        usable.append(info)
    return usable


def _config_bytes(text: str) -> bytes:
    """Server configuration files travel as base64 (so spreadsheets do too)."""
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        return text.encode("utf-8")


# --- what a screen shows --------------------------------------------------------------------


@dataclass
class ChoiceView:
    value: str
    label: str
    worker_label: str
    selected: bool
    skip: bool = False


class ErrorView(TypedDict):
    """An open check on one prompt, as a screen shows it: the engine's code (``required``,
    ``constraint``, ``out_of_range``...), the question's name, the code's parameters, the
    questionnaire's own message in the session's language, and ``messages``: the
    questionnaire's own text for it in the respondent's and the worker's language."""

    code: str
    name: str
    params: dict[str, Any]
    message: str
    messages: dict[str, str]


@dataclass
class PromptView:
    name: str
    type: str
    label: str
    worker_label: str
    hint: str
    worker_hint: str
    value: Any
    required: bool
    read_only: bool
    choices: list[ChoiceView]
    errors: list[ErrorView]
    multiple: bool = False

    @property
    def answerable(self) -> bool:
        return self.type not in ("note",) and not self.read_only


@dataclass
class ScreenView:
    section: str
    worker_section: str
    prompts: list[PromptView]
    done: int
    total: int
    at_end: bool
    at_start: bool
    language: str
    worker_language: str
    interpreter: bool
    kind: str = "questions"
    repeat: str = ""
    worker_only: bool = False

    @property
    def shown_language(self) -> str:
        """The language the questions are drawn in: the worker's for a worker-only group."""
        return self.worker_language if self.worker_only else self.language

    @property
    def rtl(self) -> bool:
        return is_rtl(self.language)

    @property
    def worker_rtl(self) -> bool:
        return is_rtl(self.worker_language)


def _error_view(e: FieldError) -> ErrorView:
    """The engine's open check as plain data (no questionnaire messages yet)."""
    return {
        "code": str(e.code),
        "name": e.name,
        "params": dict(e.params),
        "message": e.message,
        "messages": {},
    }


ANSWERED = "answered"
SKIPPED = "skipped"
UNANSWERED = "unanswered"
NOT_LISTED = frozenset({"note", "calculate", "unsupported", "start", "end", "today", "deviceid"})


@dataclass(frozen=True)
class QuestionMark:
    """One question in the "go to" list and the review: the worker's words, the answer as
    the worker reads it, and whether it is answered, skipped (not asked, or "prefer not to
    say") or not answered yet. ``open`` when it is asked in this interview (a tap goes there)."""

    name: str
    label: str
    answer: str
    status: str
    open: bool


class InterviewModel:
    """One screening in progress, saved to one draft record."""

    def __init__(
        self,
        store: Store,
        info: QuestionnaireInfo,
        session: Session,
        record_id: str,
        *,
        worker_language: str,
        monotonic: Callable[[], float] = time.monotonic,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        self.store = store
        self.info = info
        self.questionnaire = info.load()
        self.session = session
        self.record_id = record_id
        self.monotonic = monotonic
        meta = dict(meta or {})
        self.worker_language = worker_language
        self.interpreter: bool = bool(meta.get("interpreter", True))
        self.consent: dict[str, Any] = dict(meta.get("consent") or {})
        self.started_at: str = meta.get("started_at") or _now()
        self.urgent_seen: bool = bool(meta.get("urgent_seen", False))
        self.started_clock: float | None = monotonic() if self.consent else None
        self.break_dismissed = False
        #: the open checks that stopped the last Next, shown on their questions
        self.blocked: list[ErrorView] = []
        self._listed_items: list[Item] | None = None

    # --- life cycle ----------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        store: Store,
        info: QuestionnaireInfo,
        *,
        language: str,
        worker_language: str,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> InterviewModel:
        q = info.load()
        session = Session(q, language=language, worker_language=worker_language)
        record_id = store.new_record(q.form_id, q.version)
        model = cls(
            store, info, session, record_id, worker_language=worker_language, monotonic=monotonic
        )
        model.save()
        return model

    @classmethod
    def resume(
        cls,
        store: Store,
        record_id: str,
        infos: Iterable[QuestionnaireInfo],
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> InterviewModel:
        """The draft ``record_id`` on the questionnaire version it was started on:
        :class:`MissingQuestionnaire` when that version is not among ``infos``, a
        ``SessionError`` when the saved session does not fit it, a ``StoreError`` from the
        store."""
        record = store.record(record_id)
        data = store.load_session(record_id)
        info = None
        for candidate in infos:
            q = candidate.load()
            if q.form_id == record.form_id and q.version == record.form_version:
                info = candidate
                break
        if info is None:
            raise MissingQuestionnaire()
        saved = data.get("session")
        if not isinstance(saved, Mapping):
            raise SessionError(SessionCode.BAD_SESSION_DATA)
        session = Session.restore(info.load(), saved)
        return cls(
            store,
            info,
            session,
            record_id,
            worker_language=data.get("worker_language") or "en",
            monotonic=monotonic,
            meta=data,
        )

    def save(self) -> None:
        self.store.save_session(
            self.record_id,
            {
                "session": self.session.to_data(),
                "worker_language": self.worker_language,
                "interpreter": self.interpreter,
                "consent": self.consent,
                "started_at": self.started_at,
                "urgent_seen": self.urgent_seen,
            },
        )

    # --- languages ------------------------------------------------------------------------

    @property
    def language(self) -> str:
        return self.session.language

    def set_language(self, code: str) -> None:
        """The respondent's language; never loses or changes an answer."""
        self.session.language = code
        self.save()

    def set_worker_language(self, code: str) -> None:
        self.worker_language = code
        self.session.worker_language = code
        self.save()

    def set_interpreter(self, on: bool) -> None:
        self.interpreter = on
        self.save()

    def languages(self) -> list[tuple[str, str, str]]:
        """(code, name, review status) of the questionnaire's languages."""
        q = self.questionnaire
        names = q.language_names
        return [(c, names.get(c) or c, q.language_status(c)) for c in q.languages]

    # --- the current screen ---------------------------------------------------------------

    def view(self) -> ScreenView:
        s = self.session
        screen = s.screen()
        lang, wlang = self.language, self.worker_language
        worker_only = any(self._worker_only(p.item) for p in screen.prompts)
        shown = wlang if worker_only else lang  # a worker-only group is never read out
        prompts = [self._prompt_view(p, shown, wlang) for p in screen.prompts]
        done, total = self.position()
        return ScreenView(
            section=screen.section,
            worker_section=self._worker_section(screen.prompts, screen.section),
            prompts=prompts,
            done=done,
            total=total,
            at_end=s.at_end,
            at_start=s.at_start,
            language=lang,
            worker_language=wlang,
            interpreter=self.interpreter,
            kind=screen.kind,
            worker_only=worker_only,
            repeat=screen.repeat,
        )

    def _worker_section(self, prompts: tuple[Prompt, ...], section: str) -> str:
        """The title of the group holding the screen, in the worker's language (the nearest
        enclosing group that has one); ``section`` when the languages are the same."""
        if not prompts or self.worker_language == self.language:
            return section
        node = prompts[0].item.parent
        while node is not None and node.name:
            text = node.label_in(self.worker_language, self.questionnaire.default_language)
            if text:
                return text
            node = node.parent
        return section

    @staticmethod
    def _worker_only(item: Item) -> bool:
        node: Item | None = item
        while node is not None:
            if WORKER_ONLY in node.appearance.split():
                return True
            node = node.parent
        return False

    def _prompt_view(self, p: Prompt, lang: str, wlang: str) -> PromptView:
        value = p.value
        multiple = p.type.startswith("select_multiple")
        selected: set[str] = set()
        if multiple and isinstance(value, list | tuple):
            selected = {str(v) for v in value}
        elif value not in (None, ""):
            selected = {str(value)}
        choices = [
            ChoiceView(
                value=c.name,
                label=c.label(lang) or c.name,
                worker_label=c.label(wlang) or c.name,
                selected=c.name in selected,
                skip=c.name in SKIP_CHOICES,
            )
            for c in p.choices
        ]
        errors = [_error_view(e) for e in p.errors] or [
            e for e in self.blocked if e["name"] == p.name
        ]
        return PromptView(
            name=p.name,
            type=p.type.split(" ")[0],
            label=p.label(lang),
            worker_label=p.label(wlang),
            hint=p.hint(lang),
            worker_hint=p.hint(wlang),
            value=value,
            required=p.required,
            read_only=p.read_only,
            choices=choices,
            errors=[self._with_messages(e, p.item, lang, wlang) for e in errors],
            multiple=multiple,
        )

    @staticmethod
    def _with_messages(error: ErrorView, item: Item, lang: str, wlang: str) -> ErrorView:
        """The questionnaire's own message for an error in the respondent's and the worker's
        language (``messages``: {lang: text}), when it has one in exactly that language."""
        texts: Mapping[str, str] = {}
        if error["code"] == "constraint":
            texts = item.constraint_message
        elif error["code"] == "required":
            texts = item.required_message
        messages = {c: texts[c] for c in (lang, wlang) if texts.get(c)}
        return {**error, "messages": messages}

    # --- answers and moves ---------------------------------------------------------------

    def answer(self, name: str, value: Any) -> list[FieldError]:
        errors = self.session.answer(name, value)
        self.blocked = []
        self.save()
        return errors

    def toggle(self, name: str, choice: str) -> list[FieldError]:
        """select_multiple: add or remove one choice; a skip choice stands alone."""
        current = self.session.values().get(self._path(name)) or []
        if not isinstance(current, list):
            current = [current]
        if choice in current:
            new = [c for c in current if c != choice]
        elif choice in SKIP_CHOICES:
            new = [choice]
        else:
            new = [c for c in current if c not in SKIP_CHOICES] + [choice]
        return self.answer(name, new or None)

    def _path(self, name: str) -> str:
        item = self.questionnaire.by_name.get(name)
        return item.path if item is not None else name

    def prefer_not_to_say(self, name: str) -> None:
        """Record a skip: the questionnaire's own skip choice when it has one, else leave the
        answer empty (never scored as "no") and move on."""
        view = next((p for p in self.view().prompts if p.name == name), None)
        skip = next((c for c in (view.choices if view else []) if c.skip), None)
        if skip is not None:
            if view is not None and view.multiple:
                self.answer(name, [skip.value])
            else:
                self.answer(name, skip.value)
        else:
            self.answer(name, None)

    def next(self) -> bool:
        """Move on; False (and ``blocked`` filled) when the screen has open errors."""
        open_checks = self.session.next()
        self.blocked = [_error_view(e) for e in open_checks]
        self.save()
        return not open_checks

    def add_repeat(self, name: str) -> None:
        self.session.add_repeat(name)
        self.save()

    def previous(self) -> None:
        self.session.previous()
        self.blocked = []
        self.save()

    @property
    def at_end(self) -> bool:
        return self.session.at_end

    def go_to(self, name: str) -> None:
        """Jump to the screen holding ``name`` (from the question list or the review)."""
        self.session.jump(name)
        self.blocked = []
        self.save()

    # --- the question list, the review and progress ---------------------------------------

    def _listed(self) -> list[Item]:
        """The questions a person answers, in questionnaire order (repeats left out: their
        instances are reached through the repeat's own screens)."""
        if self._listed_items is None:
            walked: Iterable[Item] = self.questionnaire.root.walk()
            self._listed_items = [
                item
                for item in walked
                if item.parent is not None
                and not item.is_container
                and item.type not in NOT_LISTED
                and not item.repeats
            ]
        return self._listed_items

    def question_list(self) -> list[QuestionMark]:
        q, s, wl = self.questionnaire, self.session, self.worker_language
        here = self.position()[0]
        marks = []
        for n, item in enumerate(self._listed()):
            asked = s.relevant(item.name)
            value = s.value(item.name) if asked else ""
            values = [str(v) for v in (value if isinstance(value, list) else [value]) if v != ""]
            if not asked and n >= here:
                status = UNANSWERED  # not asked so far; later answers may still ask it
            elif not asked or (values and all(v in SKIP_CHOICES for v in values)):
                status = SKIPPED
            elif values:
                status = ANSWERED
            else:
                status = UNANSWERED
            if item.choice_list:
                shown = [q.choice_label(item.choice_list, v, wl) or v for v in values]
            else:
                shown = values
            label = item.label_in(wl, q.default_language) or item.name
            marks.append(QuestionMark(item.name, label, ", ".join(shown), status, asked))
        return marks

    def position(self) -> tuple[int, int]:
        """(questions before this screen, all questions): a count that never changes with the
        answers, so progress only moves forward as the interview does."""
        listed = self._listed()
        total = len(listed)
        if self.session.at_end:
            return total, total
        screen = self.session.screen()
        if screen.prompts:
            order = min(p.item.order for p in screen.prompts)
        elif screen.repeat:
            order = self.questionnaire.by_name[screen.repeat].order
        else:
            return 0, total
        return sum(1 for item in listed if item.order < order), total

    # --- outcome ----------------------------------------------------------------------------

    def _outcome(self, session: Session | None = None) -> Outcome:
        """The outcome of ``session`` (this interview's by default) as it stands; an
        expression the engine cannot evaluate raises its ``WaymarkError``."""
        outcome: Outcome = (session or self.session).outcome()
        return outcome

    def urgent_now(self) -> bool:
        if self.urgent_seen:
            return False
        try:
            pathways = self._outcome().pathways
        except WaymarkError as exc:  # the interview goes on; the summary shows what it can
            log.warning("urgent pathway not evaluated: %s %s", type(exc).__name__, exc.code)
            return False
        return URGENT_PATHWAY in [p.id for p in pathways]

    def withdrawn(self) -> bool:
        """The person withdrew inside the questionnaire (``consent_withdrawn`` = yes)."""
        return self.consent_answers().get(CONSENT_WITHDRAWN) == "yes"

    def duty_of_care(self) -> list[dict[str, Any]]:
        """Every duty-of-care flag raised so far (urgent safety, self-harm, a child alone, an
        urgent medical need), in the worker's language. A withdrawal inside the questionnaire
        hides every answer from the outcome, so the answers are read as they stood before it,
        on a copy in memory; nothing of it is saved."""
        session = self.session
        if self.withdrawn():
            session = Session.restore(self.questionnaire, session.to_data())
            session.answer(CONSENT_WITHDRAWN, None)
        try:
            raised = self._outcome(session).duty_of_care
        except WaymarkError as exc:
            log.warning("duty of care not evaluated: %s %s", type(exc).__name__, exc.code)
            return []
        by_name = self.questionnaire.by_name

        def disclosed(flag: Flag) -> bool:
            """Raised by something the person said (not only by a question not yet reached,
            such as an age that was never asked)."""
            for path in flag.because:
                item = by_name.get(path.rsplit("/", 1)[-1])
                if item is not None and item.type != "calculate":
                    return True
            return False

        raised = tuple(f for f in raised if disclosed(f))
        wl = self.worker_language
        return [
            {"id": f.id, "label": f.label_in(wl), "description": f.description_in(wl)}
            for f in raised
        ]

    # --- consent --------------------------------------------------------------------------

    @property
    def own_consent(self) -> bool:
        """The questionnaire asks for consent itself (``consent_screening``, ``consent_store``)."""
        return CONSENT_SCREENING in self.questionnaire.by_name

    def consent_answers(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in (CONSENT_SCREENING, CONSENT_STORE, CONSENT_WITHDRAWN):
            if name in self.questionnaire.by_name:
                value = self.session.values().get(self._path(name))
                if value not in (None, ""):
                    out[name] = value
        return out

    def keep_record(self) -> bool:
        """Whether the person agreed that the record is kept and sent (never when they said
        no to the screening, to keeping it, or withdrew)."""
        if not self.own_consent:
            return bool(self.consent.get("storing"))
        answers = self.consent_answers()
        return (
            answers.get(CONSENT_SCREENING) == "yes"
            and answers.get(CONSENT_STORE) == "yes"
            and answers.get(CONSENT_WITHDRAWN) != "yes"
        )

    def payload(self, device_id: str) -> dict[str, Any]:
        """The sealed record payload (CONTRACTS.md)."""
        q = self.questionnaire
        return {
            "record_id": self.record_id,
            "device_id": device_id,
            "form_id": q.form_id,
            "form_version": q.version,
            "language": self.language,
            "started_at": self.started_at,
            "finalised_at": _now(),
            "values": self.session.values(),
            "outcome": self._outcome().to_data(),
            "consent": {**self.consent, **self.consent_answers()},
        }

    def finalise(self, store: Store) -> dict[str, Any]:
        enrolment = store.enrolment
        device_id = enrolment.device_id if enrolment is not None else ""
        store.finalise(self.record_id, self.payload(device_id))
        return self.summary()

    def _answer_text(self, path: str, values: Mapping[str, Any]) -> tuple[str, str]:
        """(question, answer) in the worker's language, for the answer at ``path``."""
        q, wl = self.questionnaire, self.worker_language
        name = path.rsplit("/", 1)[-1]
        item = q.by_name.get(name)
        label = item.label_in(wl) if item is not None else name
        value = values.get(path)
        shown: list[str] = []
        for v in value if isinstance(value, list) else [value]:
            if v is None:
                continue
            if item is not None and item.choice_list:
                shown.append(q.choice_label(item.choice_list, str(v), wl) or str(v))
            else:
                shown.append(str(v))
        return label, ", ".join(shown)

    def urgent_reasons(self) -> list[dict[str, Any]]:
        """For the worker, on the urgent screen: each flag that raised the urgent pathway,
        with the answers behind it (question and answer, in the worker's language)."""
        outcome = self._outcome()
        urgent = next((p for p in outcome.pathways if p.id == URGENT_PATHWAY), None)
        if urgent is None:
            return []
        values = self.session.values()
        return [
            {
                "id": f.id,
                "label": f.label_in(self.worker_language),
                "answers": [self._answer_text(path, values) for path in f.because],
            }
            for f in outcome.flags
            if f.id in urgent.because
        ]

    def summary(self) -> dict[str, Any]:
        """The worker's summary: flags, all pathways, the answers behind each, in the worker's
        language. Never shown to the respondent."""
        wl = self.worker_language
        outcome = self._outcome()
        q = self.questionnaire
        values = self.session.values()

        def answer_text(path: str) -> tuple[str, str]:
            return self._answer_text(path, values)

        flags = [
            {
                "id": f.id,
                "label": f.label_in(wl),
                "dimension": f.dimension,
                "strength": f.strength,
                "answers": [answer_text(p) for p in f.because],
            }
            for f in outcome.flags
        ]
        flag_labels = {f["id"]: f["label"] for f in flags}
        pathways = [
            {
                "id": p.id,
                "label": p.label_in(wl),
                "description": p.description_in(wl),
                "flags": [flag_labels.get(b, b) for b in p.because],
            }
            for p in outcome.pathways
        ]
        dims = []
        rules = q.outcome
        for dim_id, counts in outcome.indicators.items():
            dim = rules.dimension(dim_id) if rules is not None else None
            dims.append(
                {
                    "id": dim_id,
                    "label": dim.label_in(wl) if dim is not None else dim_id,
                    "strong": int(counts.get("strong", 0)),
                    "medium": int(counts.get("medium", 0)),
                    "weak": int(counts.get("weak", 0)),
                }
            )
        consents = []
        for item in q.items:
            if not item.name.startswith(REFERRAL_CONSENT) or not self.session.relevant(item.name):
                continue
            label, answer = answer_text(item.path)
            consents.append({"name": item.name, "label": label, "answer": answer})
        return {
            "record_id": self.record_id,
            "flags": flags,
            "pathways": pathways,
            "indicators": dims,
            "consents": consents,
        }


class InterviewCode(StrEnum):
    """The field app's own interview codes (the engine's and the store's are theirs)."""

    QUESTIONNAIRE_MISSING = "questionnaire_missing"


class MissingQuestionnaire(WaymarkError):
    """The record's questionnaire (form id and version) is no longer on the tablet."""

    codes = InterviewCode
    code = InterviewCode.QUESTIONNAIRE_MISSING
