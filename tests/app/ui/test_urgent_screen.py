"""The urgent screen from the real view-model: the answers behind it, for the worker, and a tap
to call or message each contact; the demo site ships a directory so it is never empty."""

from __future__ import annotations

from pathlib import Path

import flet as ft
import yaml

from app.cli import demo
from app.ui import ids
from app.ui.model import AppModel, Route
from app.ui.screens.summary import dial
from tests.app.ui.test_screens import screen, texts, walk


def start_screening(m: AppModel) -> None:
    m.go(Route.NEW)
    for key, value in (("form", "screening.yaml"), ("language", "ar"), ("worker_language", "en")):
        m.choose(key, value)
    assert m.start()


def test_the_urgent_screen_names_the_answer_and_links_the_contacts(enrolled: AppModel) -> None:
    start_screening(enrolled)
    iv = enrolled.interview
    assert iv is not None
    iv.answer("consent_screening", "yes")
    iv.answer("urgent_doctor", "yes")
    assert iv.urgent_now()
    (reason,) = [r for r in iv.urgent_reasons() if any(a[1] == "Yes" for a in r["answers"])]
    question = iv.questionnaire.item("urgent_doctor").label_in("en")
    assert (question, "Yes") in reason["answers"]

    enrolled.route = Route.URGENT
    _shell, root = screen(enrolled)
    shown = texts(root)
    assert question in shown and shown[shown.index(question) + 1] == "Yes"
    links = {c.url for c in walk(root) if isinstance(c, ft.Button) and c.url}
    assert links == {"tel:112", "sms:112"}  # the site's medical point
    idents = {c.identifier for c in walk(root) if isinstance(c, ft.Semantics)}
    assert {ids.URGENT_REASONS, ids.CALL + "112", ids.MESSAGE + "112"} <= idents
    assert "Call \u2066112\u2069" in shown  # the number left to right in every language


def test_an_english_worker_reads_the_reasons_left_to_right_under_an_arabic_interface(
    enrolled: AppModel,
) -> None:
    enrolled.set_language("ar")
    start_screening(enrolled)  # the respondent in Arabic, the worker in English
    iv = enrolled.interview
    assert iv is not None
    iv.answer("consent_screening", "yes")
    iv.answer("urgent_doctor", "yes")
    enrolled.route = Route.URGENT
    _shell, root = screen(enrolled)
    question = iv.questionnaire.item("urgent_doctor").label_in("en")
    # a container's rtl=False does not undo the Arabic screen's direction: the English line is
    # a left-to-right isolate, so its question mark stays at its end
    (line,) = [c for c in walk(root) if isinstance(c, ft.Text) and question in c.value]
    assert line.value == "\u2066" + question + "\u2069"
    assert not line.rtl


def test_dial_keeps_digits_and_a_leading_plus() -> None:
    assert dial("+381 11 000-0000") == "+381110000000"
    assert dial("(011) 222") == "011222"


def test_the_demo_site_ships_a_directory_and_its_questionnaires(tmp_path: Path) -> None:
    demo.ensure_site_config(tmp_path)
    site = yaml.safe_load((tmp_path / "config" / "sites" / f"{demo.DEMO_SITE}.yaml").read_text())
    urgent = [e for e in site["referral_directory"] if "urgent" in e["pathways"]]
    assert urgent and all(e.get("phone") for e in urgent)
    forms = sorted(p.name for p in (tmp_path / "config" / "questionnaires").iterdir())
    assert forms == ["screening.yaml", "skeleton.yaml"]
    (tmp_path / "config" / "sites" / f"{demo.DEMO_SITE}.yaml").write_text("referral_directory: []")
    demo.ensure_site_config(tmp_path)  # a coordinator's edit survives a restart
    assert "[]" in (tmp_path / "config" / "sites" / f"{demo.DEMO_SITE}.yaml").read_text()
