"""Referral slips: for one pathway of one record, only what that referral needs.

A slip holds the case code (never the record id or a name unless the referral needs it), the
site and the day of the screening, the pathway and why it applies (the flags that raised it),
and the answers those flags read: nothing else from the record. It is written in the partner
service's language (its directory entry's ``language``, else the questionnaire's default),
with the directory entry's contact.

Consent: the screening asks the person, per referral, whether what is needed may be shared
(``consent_ref_health`` for health and mental health, ``consent_ref_gbv`` for a gender-based
violence specialist, ``consent_ref_other`` for the rest). Without a "yes" there is no slip.
Urgent and child protection referrals are the duty of care, which never depends on consent.

The PDF is made by fpdf2 with the bundled Noto fonts; Arabic-script text is shaped by
HarfBuzz (``uharfbuzz``) so letters join and runs are ordered right to left. Every slip made
is audited by the caller (record, pathway, who), never its content.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.console import reading as rd
from app.console.errors import ConsoleCode, ConsoleError
from app.engine import Questionnaire
from app.engine.model import pick
from app.i18n import is_rtl, isolate
from app.resources import fonts_dir
from sync.protocol import case_code

#: Which of the screening's per-referral consents a pathway's slip needs.
CONSENT_FOR: dict[str, str] = {
    "medical": "consent_ref_health",
    "mhpss": "consent_ref_health",
    "gbv": "consent_ref_gbv",
}
OTHER_CONSENT = "consent_ref_other"
#: Pathways that are the duty of care: the slip never waits for consent.
DUTY_OF_CARE = frozenset({"urgent", "child"})
CONSENTED = "yes"

FONTS_DIR = fonts_dir()
_FONT_FILES = {
    "latin": "NotoSans-Regular.ttf",
    "arabic": "NotoNaskhArabic-Regular.ttf",
    "ethiopic": "NotoSansEthiopic-Regular.ttf",
}
_ARABIC_SCRIPT = frozenset({"ar", "fa", "ps", "ur", "ckb", "prs"})
_ETHIOPIC_SCRIPT = frozenset({"ti", "am"})


class SlipRefused(ConsoleError):
    """No slip is made; ``code``: ``slip_not_consented``, ``pathway_unknown`` or
    ``questionnaire_missing`` (all :class:`~app.console.errors.ConsoleCode` members)."""

    code = ConsoleCode.SLIP_NOT_CONSENTED


@dataclass(frozen=True)
class SlipLine:
    label: str
    words: str


@dataclass(frozen=True)
class Slip:
    """What one referral slip says (plain data; text and PDF are drawn from it)."""

    record_id: str
    pathway: str
    language: str
    title: str
    case: str
    site: str
    day: str
    pathway_label: str
    pathway_description: str
    reasons: tuple[str, ...]
    answers: tuple[SlipLine, ...]
    service: tuple[SlipLine, ...]
    headings: Mapping[str, str] = field(default_factory=dict)

    @property
    def paths(self) -> tuple[str, ...]:
        """The record paths whose answers the slip carries (for checks, never printed)."""
        return tuple(self.headings.get("paths", "").split())


def consent_path(values: Mapping[str, Any], pathway: str) -> str | None:
    """The path of the consent this pathway's slip needs, when the record has it."""
    name = CONSENT_FOR.get(pathway, OTHER_CONSENT)
    return next((p for p in values if p.rsplit("/", 1)[-1] == name), None)


def entry_for(directory: Sequence[Mapping[str, Any]], pathway: str) -> Mapping[str, Any] | None:
    for e in directory:
        ways = e.get("pathways") or e.get("pathway") or []
        if isinstance(ways, str):
            ways = [ways]
        if pathway in ways:
            return e
    return None


def build(
    q: Questionnaire,
    payload: Mapping[str, Any],
    pathway: str,
    *,
    site: str,
    day: str,
    directory: Sequence[Mapping[str, Any]],
    words: Mapping[str, str],
) -> Slip:
    """The slip for ``pathway`` of the record ``payload`` (values already corrected).

    ``words`` are the slip's own headings, already in the partner's language (the caller
    translates them: this module knows no catalog)."""
    values: Mapping[str, Any] = payload.get("values") or {}
    outcome = payload.get("outcome") or {}
    raised = _by_id(outcome.get("pathways"))
    _refuse_unless_made(values, raised, pathway)
    entry = entry_for(directory, pathway) or {}
    lang = str(entry.get("language") or "")
    lang = lang if lang in q.languages else q.default_language
    flags = _by_id(outcome.get("flags"))
    because = [f for f in raised[pathway] if f in flags] or raised[pathway]
    needed: list[str] = []
    for flag in because:
        needed.extend(p for p in flags.get(flag, []) if p in values and p not in needed)
    read = rd.read(q, {p: values[p] for p in needed}, lang)
    answers = tuple(
        SlipLine(r.label, r.words)
        for section in (*read.sections, *read.worker)
        for r in section.readings
    )
    label, description = _pathway_words(q, pathway, lang)
    service = tuple(
        SlipLine(words.get(key, key), str(entry[key]))
        for key in ("name", "contact", "phone", "address", "hours")
        if entry.get(key)
    )
    return Slip(
        record_id=str(payload.get("record_id") or ""),
        pathway=pathway,
        language=lang,
        title=words.get("title", "Referral"),
        case=case_code(str(payload.get("record_id") or "")),
        site=site,
        day=day,
        pathway_label=label,
        pathway_description=description,
        reasons=_reasons(q, because, lang),
        answers=answers,
        service=service,
        headings={**words, "paths": " ".join(needed)},
    )


def _by_id(items: Any) -> dict[str, list[str]]:
    """An outcome's flags or pathways: id -> the answers (or flags) that raised it."""
    return {
        str(i.get("id")): [str(b) for b in i.get("because") or []]
        for i in items or []
        if isinstance(i, Mapping)
    }


def _refuse_unless_made(
    values: Mapping[str, Any], raised: Mapping[str, list[str]], pathway: str
) -> None:
    """No slip for a pathway the record was not referred to, nor, outside the duty of care,
    without the person's consent to share."""
    if pathway not in raised:
        raise SlipRefused(ConsoleCode.PATHWAY_UNKNOWN, pathway=pathway)
    if pathway not in DUTY_OF_CARE:
        where = consent_path(values, pathway)
        if where is None or str(values.get(where)) != CONSENTED:
            raise SlipRefused(ConsoleCode.SLIP_NOT_CONSENTED, pathway=pathway)


def _reasons(q: Questionnaire, because: Sequence[str], lang: str) -> tuple[str, ...]:
    """The flags behind the referral, by their labels in ``lang`` (or their ids in words)."""
    rules = q.outcome
    known_flags = set(rules.flag_ids) if rules is not None else set()
    return tuple(
        (pick(rules.flag_label(f), lang, q.default_language) if rules and f in known_flags else "")
        or f.replace("_", " ")
        for f in because
    )


def _pathway_words(q: Questionnaire, pathway: str, lang: str) -> tuple[str, str]:
    """The pathway's label and description in ``lang``, from the questionnaire's rules."""
    label, description = pathway.replace("_", " "), ""
    if q.outcome is not None:
        for rule in q.outcome._pathways:  # the engine's compiled rules: label and description
            if rule.id == pathway:
                label = pick(rule.label, lang, q.default_language) or label
                description = pick(rule.description, lang, q.default_language)
    return label, description


def lines(slip: Slip) -> list[str]:
    """The slip as lines of text, in reading order (the plain-text slip, and the PDF's)."""
    h = slip.headings
    out = [
        slip.title,
        f"{h.get('case', 'Case')}: {isolate(slip.case)}",
        f"{h.get('site', 'Site')}: {isolate(slip.site)}",
        f"{h.get('date', 'Date')}: {isolate(slip.day)}",
        "",
        f"{h.get('pathway', 'Referral')}: {slip.pathway_label}",
    ]
    if slip.pathway_description:
        out.append(slip.pathway_description)
    out += ["", h.get("reasons", "Why")]
    out += [f"- {r}" for r in slip.reasons]
    if slip.answers:
        out += ["", h.get("answers", "Answers")]
        out += [f"- {a.label}: {a.words}" for a in slip.answers]
    if slip.service:
        out += ["", h.get("service", "Service")]
        out += [f"{s.label}: {isolate(s.words)}" for s in slip.service]
    out += ["", h.get("footer", "")]
    return out




def text(slip: Slip) -> str:
    return "\n".join(lines(slip)).rstrip() + "\n"


def _script(lang: str) -> str:
    base = lang.split("-")[0]
    if base in _ARABIC_SCRIPT:
        return "arabic"
    if base in _ETHIOPIC_SCRIPT:
        return "ethiopic"
    return "latin"


def _pdf_library() -> Any:
    """fpdf2's document class, with HarfBuzz present for its shaping; imported only when a
    PDF is made (both come with the ``console`` extra, which a tablet never installs).
    ``pdf_unavailable`` when either is missing: the plain-text slip still works."""
    try:
        import uharfbuzz  # noqa: F401 - fpdf2 shapes with it; without it Arabic falls apart
        from fpdf import FPDF
    except ImportError:
        raise ConsoleError("pdf_unavailable", extra="console") from None
    return FPDF


def pdf(slip: Slip) -> bytes:
    """The slip as a PDF (A4), in the partner's script and direction."""
    doc = _pdf_library()(format="A4")
    doc.set_auto_page_break(auto=True, margin=15)
    doc.set_title(slip.title)
    doc.set_creator("Waymark")
    for name, file in _FONT_FILES.items():
        doc.add_font(name, fname=str(FONTS_DIR / file))
    main = _script(slip.language)
    doc.set_font(main, size=11)
    doc.set_fallback_fonts([n for n in _FONT_FILES if n != main])
    doc.set_text_shaping(use_shaping_engine=True)  # bidi per paragraph: codes stay LTR
    doc.add_page()
    align = "R" if is_rtl(slip.language) else "L"
    for i, line in enumerate(lines(slip)):
        doc.set_font(main, size=15 if i == 0 else 11)
        if line:
            doc.multi_cell(0, 7 if i else 10, line, align=align, new_x="LMARGIN", new_y="NEXT")
        else:
            doc.ln(4)
    return bytes(doc.output())
