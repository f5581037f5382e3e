"""A compiled cache: a questionnaire's rows as plain JSON, so loading skips the workbook.

Reading an .xlsx is most of the load time; the cache keeps what the readers produce
(:class:`RawForm`) and rebuilds the model from it, with every check run again. A cache from
another format version is refused with a problem, never half-read.

    blob = to_cache(data, filename)      # bytes, safe to store beside the source
    q = from_cache(blob)                 # the same Questionnaire load_questionnaire gives
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from app.engine._build import Code, build
from app.engine._raw import RawChoice, RawForm, RawRow
from app.engine.errors import Location, Problem, QuestionnaireError
from app.engine.loader import WORKBOOK_MAGIC
from app.engine.model import Questionnaire

CACHE_FORMAT = 1


def _read(data: bytes, filename: str) -> RawForm:
    lower = filename.lower()
    if data.startswith(WORKBOOK_MAGIC) or lower.endswith((".xlsx", ".xls", ".xlsm", ".ods")):
        from app.engine.xlsform import read_workbook

        return read_workbook(data, filename)
    if lower.endswith((".yaml", ".yml")):
        from app.engine.textformat import parse_text

        return parse_text(data, filename)
    raise QuestionnaireError([Problem(str(Code.UNKNOWN_FORMAT), Location(filename))])


def to_cache(data: bytes, filename: str) -> bytes:
    """Check the questionnaire (raising every problem, as loading does) and return its cache."""
    raw = _read(data, filename)
    build(raw)
    plain = asdict(raw)
    plain.pop("attachments", None)
    doc = {"format": CACHE_FORMAT, "raw": plain}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _location(d: dict[str, Any]) -> Location:
    return Location(**d)


def _row(d: dict[str, Any]) -> RawRow:
    children = d.get("children")
    return RawRow(
        type=d["type"],
        name=d["name"],
        location=_location(d["location"]),
        cells=d["cells"],
        texts=d["texts"],
        columns=d["columns"],
        children=None if children is None else [_row(c) for c in children],
    )


def from_cache(blob: bytes, source: str = "cache") -> Questionnaire:
    """Rebuild the questionnaire a :func:`to_cache` blob was made from."""
    try:
        doc = json.loads(blob.decode("utf-8"))
        if doc.get("format") != CACHE_FORMAT:
            raise ValueError("format")
        r = doc["raw"]
        raw = RawForm(
            source=r["source"],
            survey=[_row(x) for x in r["survey"]],
            choices={
                k: [
                    RawChoice(
                        c["list_name"],
                        c["name"],
                        c["label"],
                        c["columns"],
                        _location(c["location"]),
                        external=bool(c.get("external", False)),
                    )
                    for c in v
                ]
                for k, v in r["choices"].items()
            },
            settings=r["settings"],
            languages=r["languages"],
            language_names=r["language_names"],
            statuses=r["statuses"],
            problems=[
                Problem(p["code"], _location(p["location"]), p["params"], p["severity"])
                for p in r["problems"]
            ],
            outcome=r["outcome"],
            has_outcome=r["has_outcome"],
            settings_location=_location(r["settings_location"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        raise QuestionnaireError(
            [Problem("stale_cache", Location(source), {"format": CACHE_FORMAT})]
        ) from None
    return build(raw)
