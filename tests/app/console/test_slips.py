"""Referral slips: only what the pathway needs and the person consented to share, checked
against the full record; the PDF opens and holds the same text."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.console import slips as sl
from app.console.errors import ConsoleCode, ConsoleError
from app.console.model import Console
from app.console.ui import QUESTIONNAIRES_DIR
from app.store import crypto
from sync.protocol import case_code
from tests.app.console.agency import Agency

SITES = Path(__file__).parent / "sites"


def _plain(text: str) -> str:
    """Text without Unicode's directional isolates (invisible; extraction moves them)."""
    return " ".join(text.replace("\u2066", "").replace("\u2069", "").split())
VALUES = {
    "setup/interpreter": "not_known",
    "setup/dialect": "Levantine-ZX",
    "profile/documents": ["held_by_other"],
    "health/health_illness": "yes",
    "health/health_distress": "yes",
    "close/consent_ref_health": "yes",
    "close/consent_ref_other": "no",
    "go": "yes",
}
OUTCOME = {
    "flags": [
        {"id": "documents_held", "dimension": "coercion_destination", "strength": "strong",
         "because": ["profile/documents"]},
        {"id": "health_need", "dimension": None, "strength": None,
         "because": ["health/health_illness"]},
        {"id": "distress", "dimension": None, "strength": None,
         "because": ["health/health_distress"]},
        {"id": "urgent_medical", "dimension": None, "strength": None, "because": []},
    ],
    "pathways": [
        {"id": "urgent", "because": ["urgent_medical"]},
        {"id": "medical", "because": ["health_need"]},
        {"id": "mhpss", "because": ["distress"]},
        {"id": "legal_aid", "because": ["documents_held"]},
    ],
    "indicators": {},
}


@pytest.fixture
def referred(agency: Agency, tmp_path: Path) -> Iterator[tuple[Console, str]]:
    c = Console("http://agency", agency.token, tmp_path / "cs", actor="Ana",
                transport=agency.transport(), kdf=crypto.TEST_KDF,
                questionnaires_dir=QUESTIONNAIRES_DIR, sites_dir=SITES)
    c.unlock(agency.keys.private_pem, agency.passphrase)
    rid = agency.upload("north", OUTCOME, dict(VALUES))
    c.pull()
    yield c, rid
    c.lock()


def _labels(c: Console, rid: str, lang: str) -> dict[str, str]:
    words = c.words(rid, lang)
    assert words is not None
    return {r.path: r.label for s in (*words.sections, *words.worker) for r in s.readings}


def test_a_slip_holds_every_consented_field_its_pathway_needs_and_no_other_answer(
    referred: tuple[Console, str],
) -> None:
    c, rid = referred
    slip = c.slip(rid, "medical")
    assert slip.language == "fr"  # the partner service's language
    assert slip.paths == ("health/health_illness",)
    body = sl.text(slip)
    labels_fr = _labels(c, rid, "fr")
    assert labels_fr["health/health_illness"] in body
    for path, label in labels_fr.items():  # checked against the full record
        if path not in slip.paths:
            assert label not in body, path
    assert "Levantine-ZX" not in body and rid not in body
    body = _plain(body)
    assert case_code(rid) in body
    assert "Clinique du Port" in body and "+33 4 91 00 00 00" in body and "Dr Martin" in body
    assert "Legal Desk" not in body and "Centre Salam" not in body


def test_no_consent_no_slip_but_the_duty_of_care_needs_none(
    referred: tuple[Console, str],
) -> None:
    c, rid = referred
    with pytest.raises(ConsoleError) as err:
        c.slip(rid, "legal_aid")  # consent_ref_other is "no"
    assert err.value.code is ConsoleCode.SLIP_NOT_CONSENTED and err.value.record_id == rid
    urgent = c.slip(rid, "urgent")
    assert urgent.paths == () and "Clinique du Port" in _plain(sl.text(urgent))
    with pytest.raises(ConsoleError) as err:
        c.slip(rid, "gbv")
    assert err.value.code is ConsoleCode.PATHWAY_UNKNOWN


def test_the_pdf_opens_and_holds_the_same_text(referred: tuple[Console, str],
                                               tmp_path: Path) -> None:
    c, rid = referred
    out = tmp_path / "slips" / "medical.pdf"
    slip = c.write_slip(rid, "medical", "pdf", out)
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    extracted = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages)
    flat = _plain(extracted)
    for line in sl.lines(slip):
        if line.strip():
            assert _plain(line) in flat, line
    audit = [e for e in c.store.audit_entries() if e.event == "slip"]
    assert [(e.record_id, e.actor, e.detail) for e in audit] == [
        (rid, "Ana", {"format": "pdf", "pathway": "medical"})]


def test_an_arabic_slip_is_shaped_and_its_text_comes_back(referred: tuple[Console, str],
                                                          tmp_path: Path) -> None:
    c, rid = referred
    out = tmp_path / "mhpss.pdf"
    slip = c.write_slip(rid, "mhpss", "pdf", out)
    assert slip.language == "ar" and slip.paths == ("health/health_distress",)
    extracted = "".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages)
    text = _plain(unicodedata.normalize("NFKC", extracted))
    assert case_code(rid) in text and "+961 1 234 567" in text
    label = _labels(c, rid, "ar")["health/health_distress"]
    assert _plain(unicodedata.normalize("NFKC", label)) in text  # whole, in reading order
    _assert_drawn_right_to_left(out.read_bytes(), case_code(rid), "+961 1 234 567")
    txt = tmp_path / "mhpss.txt"
    c.write_slip(rid, "mhpss", "txt", txt)
    assert label in txt.read_text("utf-8")


def test_the_record_screen_writes_a_slip_and_says_where(referred: tuple[Console, str],
                                                        tmp_path: Path) -> None:
    from app.console.view import ConsoleView

    c, rid = referred
    v = ConsoleView(c, "en", export_dir=tmp_path / "out")
    v.route = v.route.RECORDS
    v.open_record(rid)
    target = v.write_slip("medical", "txt")
    assert target is not None and target.exists() and v.notice is not None
    assert v.notice.code == "slip_written" and case_code(rid) in target.name
    assert v.write_slip("legal_aid", "pdf") is None
    assert v.notice.code == "slip_not_consented"


def test_without_the_pdf_tools_a_pdf_slip_is_a_coded_translated_refusal(
    referred: tuple[Console, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A console installed without the ``console`` extra: fpdf2 (or HarfBuzz) cannot be
    imported. Simulated by blocking the imports (``sys.modules[name] = None`` makes
    ``import name`` raise ImportError); the text slip still works, nothing is written for the
    PDF, and the coordinator reads which extra to install."""
    import sys

    from app.console.view import ConsoleView
    from app.console.words import message
    from app.i18n import translator

    c, rid = referred
    v = ConsoleView(c, "fr", export_dir=tmp_path / "out")
    v.route = v.route.RECORDS
    v.open_record(rid)
    for blocked in ("fpdf", "uharfbuzz"):
        with monkeypatch.context() as m:
            m.setitem(sys.modules, blocked, None)
            assert v.write_slip("medical", "pdf") is None
            assert v.notice is not None and v.notice.code == "pdf_unavailable"
            words = message(translator("fr"), v.notice.code, v.notice.params)
            assert "waymark[console]" in words and "{" not in words
            assert not list((tmp_path / "out").glob("*.pdf"))
    with monkeypatch.context() as m:
        m.setitem(sys.modules, "fpdf", None)
        text = v.write_slip("medical", "txt")
        assert text is not None and text.exists()
    assert [e.detail["format"] for e in c.store.audit_entries() if e.event == "slip"] == [
        "txt"]  # a slip that was not made is not in the log


def _assert_drawn_right_to_left(data: bytes, code: str, phone: str) -> None:
    """Where the glyphs of an Arabic slip land on the page (pypdfium2's character boxes),
    read from left to right as the eye sees them: each line is set from the right margin;
    the case code sits at the left end of its line, after the Arabic heading that reads first
    (right), its characters in their own order; the phone number reads "+961 1 234 567"."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    page = doc[0]
    width = page.get_size()[0]
    tp = page.get_textpage()
    text = tp.get_text_range()
    assert tp.count_chars() == len(text)
    boxes = [tp.get_charbox(i) for i in range(len(text))]
    tp.close()
    page.close()
    doc.close()

    def line_of(i: int) -> list[int]:
        """The characters on the line of character ``i``, left to right."""
        mid = (boxes[i][1] + boxes[i][3]) / 2
        on = [j for j, ch in enumerate(text) if ch.strip()
              and abs((boxes[j][1] + boxes[j][3]) / 2 - mid) < 4]
        return sorted(on, key=lambda j: boxes[j][0])

    def arabic(j: int) -> bool:
        return "\u0600" <= text[j] <= "\u06ff"

    for wanted, probe in ((code, code[:4]), (phone, phone.lstrip("+")[:3])):
        line = line_of(text.index(probe))
        seen = "".join(text[j] for j in line if not arabic(j) and text[j] not in ":\u2066\u2069")
        assert seen == wanted.replace(" ", ""), (seen, wanted)
        heading = [j for j in line if arabic(j)]
        latin = [j for j in line if not arabic(j)]
        assert heading and min(boxes[j][0] for j in heading) > max(boxes[j][2] for j in latin)
        assert max(boxes[j][2] for j in heading) > width * 0.9  # set from the right margin


def test_a_tigrinya_slip_is_drawn_in_the_ethiopic_font_and_its_text_comes_back() -> None:
    label, answer = "ብርቱዕ ጭንቀት ይስምዓካ ድዩ?", "እወ"
    slip = sl.Slip(
        record_id="r1", pathway="mhpss", language="ti", title="ምልኣኽ", case="K7QF-2M9D",
        site="north", day="2026-12-01", pathway_label="ጥዕና ኣእምሮ",
        pathway_description="", reasons=("ጭንቀት",), answers=(sl.SlipLine(label, answer),),
        service=(sl.SlipLine("ቴሌፎን", "+961 1 234 567"),), headings={"case": "ኮድ"},
    )
    reader = PdfReader(io.BytesIO(sl.pdf(slip)))
    text = _plain("".join(p.extract_text() for p in reader.pages))
    assert f"- {label}: {answer}" in text and "ኮድ: K7QF-2M9D" in text
    fonts = {
        str(f.get_object()["/BaseFont"])
        for p in reader.pages
        for f in p["/Resources"]["/Font"].values()
    }
    assert any("NotoSansEthiopic" in f for f in fonts), fonts
