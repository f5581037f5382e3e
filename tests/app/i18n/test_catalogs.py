"""The interface catalogs: every one compiles, holds every marked string, and translates every
string a field worker or respondent reads; drafts are marked; text direction per language."""

from __future__ import annotations

import re

import pytest

from app.i18n import SHIPPED, SOURCE_LANGUAGE, catalogs, is_rtl, review_status, translator

TRANSLATED = [c for c in SHIPPED if c != SOURCE_LANGUAGE]


def test_every_catalog_compiles_and_is_complete() -> None:
    """Fails when a marked string is missing from a catalog or lacks its translation (run
    ``waymark i18n update`` and translate), or a translation breaks a {placeholder}."""
    assert catalogs.check() == []


@pytest.fixture(scope="module")
def field_ids() -> set[str]:
    tmpl = catalogs.template()
    return {
        m.id
        for m in tmpl
        if m.id and any(str(f).startswith(catalogs.FIELD_PATHS) for f, _ in m.locations)
    }


@pytest.mark.parametrize("code", TRANSLATED)
def test_field_app_text_is_translated_never_pending(code: str, field_ids: set[str]) -> None:
    assert len(field_ids) > 100
    catalog = catalogs.read(code)
    by_id = {m.id: m for m in catalog if m.id}
    for mid in field_ids:
        m = by_id.get(mid)
        assert m is not None, (code, mid)
        assert m.string, (code, mid)
        assert not catalogs.is_pending(m), (code, mid)
        if code not in ("fr", "so"):  # Latin-script languages share words like "Pause"
            assert m.string != mid or mid == "PIN", (code, mid)


@pytest.mark.parametrize("code", TRANSLATED)
def test_placeholders_survive_translation(code: str) -> None:
    field = re.compile(r"\{[a-z_]+\}")
    for m in catalogs.read(code):
        if m.id and isinstance(m.id, str) and m.string:
            assert sorted(field.findall(m.id)) == sorted(field.findall(m.string)), (code, m.id)


@pytest.mark.parametrize("code", TRANSLATED)
def test_unreviewed_catalogs_are_drafts(code: str) -> None:
    assert catalogs.review_header(code) == "draft"
    assert review_status(code) == "draft"
    assert review_status(SOURCE_LANGUAGE) == "reviewed"


def test_text_direction_per_language() -> None:
    assert [c for c in SHIPPED if is_rtl(c)] == ["ar", "fa", "ps", "ur"]
    assert translator("ar").rtl and not translator("ti").rtl


def test_translations_are_used_with_their_parameters() -> None:
    assert translator("ar")("Quick exit") == "خروج سريع"
    assert translator("fr")("Question {n} of {total}", n=2, total=9) == "Question 2 sur 9"
    assert translator("ti")("Site: {site}", site="X").endswith("X")
    assert translator("xx")("Quick exit") == "Quick exit"  # unknown language: the source


def test_pending_marks_only_coordinator_text() -> None:
    for code in TRANSLATED:
        for m in catalogs.read(code):
            if catalogs.is_pending(m):
                assert not any(str(f).startswith(catalogs.FIELD_PATHS) for f, _ in m.locations)
