"""The Babel workflow for the interface catalogs: extract, update, check.

``babel.cfg`` names what is scanned (the whole ``app/`` tree and the sync client); ``_``, ``N_``
and ``ngettext`` mark strings. The same steps as ``pybabel``::

    pybabel extract -F babel.cfg -k N_ -k ngettext:1,2 --no-location --sort-output \\
        -o locales/messages.pot .
    pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching
    waymark i18n check          # compile each catalog in memory, list missing translations

A message may be left untranslated only when a translator comment marks it
``pending`` (coordinator-only text awaiting a translator); field-app text never may. A catalog
is a draft until its header says ``X-Review-Status: reviewed``; the app shows drafts as such.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from babel.core import UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po, write_po

from app.i18n import LOCALES_DIR, SHIPPED, SOURCE_LANGUAGE
from sync.errors import WaymarkError

ROOT = LOCALES_DIR.parent
TEMPLATE = LOCALES_DIR / "messages.pot"
MAPPING = ROOT / "babel.cfg"
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
PENDING = "pending"
#: where text a field worker or respondent reads comes from: never left pending
FIELD_PATHS = ("app/ui/", "app/store/", "app/engine/", "sync/", "app/cli/app.py")


class CatalogCode(StrEnum):
    NEEDS_SOURCE = "i18n_needs_source"


class CatalogError(WaymarkError):
    """The catalog workflow cannot run here (``location``: where it looked)."""

    codes = CatalogCode
    code = CatalogCode.NEEDS_SOURCE


def _method_map() -> list[tuple[str, str]]:
    if not MAPPING.is_file():  # an installed copy: the sources and babel.cfg are not beside it
        raise CatalogError(location=str(ROOT))
    pairs = []
    for line in MAPPING.read_text("utf-8").splitlines():
        line = line.strip()
        if line.startswith("[") and ":" in line:
            method, pattern = line.strip("[]").split(":", 1)
            pairs.append((pattern.strip(), method.strip()))
    return pairs


def template() -> Catalog:
    """Scan the sources named in babel.cfg into a catalog template (in memory)."""
    catalog = Catalog(project="Waymark", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        ROOT, _method_map(), keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def extract() -> int:
    """Write ``locales/messages.pot``; the number of messages."""
    catalog = template()
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    with TEMPLATE.open("wb") as fh:
        write_po(fh, catalog, sort_output=True, omit_header=False, include_lineno=False)
    return len(catalog)


def po_path(code: str) -> Path:
    return LOCALES_DIR / code / "LC_MESSAGES" / "messages.po"


def read(code: str) -> Catalog:
    with po_path(code).open("rb") as fh:
        return read_po(fh, locale=code)


def review_header(code: str) -> str:
    """The catalog's ``X-Review-Status`` as written in the file (``draft`` when absent)."""
    path = po_path(code)
    if path.exists():
        for line in path.read_text("utf-8").splitlines():
            if line.startswith('"X-Review-Status:'):
                return line.split(":", 1)[1].strip().strip('"').replace("\\n", "").strip()
    return "draft"


def write(code: str, catalog: Catalog, status: str | None = None) -> None:
    """Write the catalog, keeping its review status header (Babel drops unknown headers)."""
    status = status or review_header(code)
    path = po_path(code)
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.fuzzy = False
    catalog.project, catalog.version = "Waymark", "0.1"
    catalog.revision_date = datetime.now(UTC)
    catalog.copyright_holder = "Waymark contributors"
    catalog.msgid_bugs_address = ""
    catalog.last_translator = "draft, not yet reviewed by a qualified translator"
    catalog.language_team = f"{code} <translators of Waymark>"
    catalog.header_comment = (
        f"# Waymark interface text in {code}.\n"
        "# A draft until the header says X-Review-Status: reviewed (see locales/README.md)."
    )
    buf = io.BytesIO()
    write_po(buf, catalog, sort_output=True, include_lineno=False, width=100)
    text = buf.getvalue().decode("utf-8")
    marker = '"Generated-By:'
    at = text.index(marker)
    end = text.index("\n", at) + 1
    text = text[:end] + f'"X-Review-Status: {status}\\n"\n' + text[end:]
    path.write_text(text, "utf-8")


def update() -> dict[str, int]:
    """Merge the template into every shipped catalog (new ones are drafts); for each language
    the number of messages that now need a translation."""
    tmpl = template()
    added: dict[str, int] = {}
    for code in SHIPPED:
        if code == SOURCE_LANGUAGE:
            continue
        if po_path(code).exists():
            catalog = read(code)
        else:
            catalog = Catalog(locale=code, project="Waymark", charset="utf-8")
            catalog.mime_headers  # noqa: B018 - builds the default headers
        catalog.update(tmpl, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        write(code, catalog)
        added[code] = sum(1 for m in catalog if m.id and not m.string)
    return added


def is_pending(message: object) -> bool:
    comments = list(getattr(message, "user_comments", []) or [])
    return any(c.strip().lower().startswith(PENDING) for c in comments)


def missing(code: str) -> list[str]:
    """msgids without a translation in ``code`` (pending ones excepted)."""
    out = []
    for m in read(code):
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, tuple | list) else (m.string,)
        if any(not s for s in strings) and not is_pending(m):
            out.append(m.id if isinstance(m.id, str) else m.id[0])
    return out


def check() -> list[str]:
    """Every problem: a catalog that does not compile, a message missing from a catalog, a
    message without a translation, a translation whose {placeholders} differ."""
    import re

    problems: list[str] = []
    tmpl_ids = {m.id if isinstance(m.id, str) else m.id[0] for m in template() if m.id}
    field = re.compile(r"\{[a-z_]+\}")
    for code in SHIPPED:
        if code == SOURCE_LANGUAGE:
            continue
        if not po_path(code).exists():
            problems.append(f"{code}: no catalog at {po_path(code)}")
            continue
        try:
            catalog = read(code)
            write_mo(io.BytesIO(), catalog, use_fuzzy=False)
        except (PoFileError, UnknownLocaleError, ValueError, TypeError) as exc:
            # ValueError covers a file that is not UTF-8; the type names the failure
            problems.append(f"{code}: does not compile ({type(exc).__name__})")
            continue
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
        for mid in sorted(tmpl_ids - ids):
            problems.append(f"{code}: not in the catalog: {mid!r}")
        for mid in missing(code):
            problems.append(f"{code}: not translated: {mid!r}")
        for m in catalog:
            if (
                m.id
                and is_pending(m)
                and any(str(f).startswith(FIELD_PATHS) for f, _line in m.locations)
            ):
                problems.append(f"{code}: field-app text cannot be pending: {m.id!r}")
            if m.id and isinstance(m.id, str) and m.string and isinstance(m.string, str):
                if sorted(field.findall(m.id)) != sorted(field.findall(m.string)):
                    problems.append(f"{code}: placeholders differ in {m.id!r}")
    return problems
