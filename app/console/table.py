"""The submissions table: one row per record, searched, filtered, sorted and paged in memory.

What a coordinator used to Kobo's or ODK Central's submissions table expects: the case code
(the pseudonymous code the field app shows, :func:`sync.protocol.case_code`), site, date,
questionnaire and version, pathways and follow-up state; a column picker; sort on any column;
search by case code; filters by date range, site, pathway, flag and follow-up state; pages.

Pathways, flags and dates live only inside ciphertext (the store's sealed listing), so the
table is an index the console builds in memory once the store is open (again after a pull; a
follow-up step replaces its one row); nothing of it is written to disk in the clear. Pure
functions over plain data: no Flet, no store.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any, NamedTuple

#: The follow-up state of a pathway nobody has acted on yet.
OPEN = "open"


class Column(StrEnum):
    """Columns of the table, in their default order."""

    case = "case"
    site = "site"
    date = "date"
    questionnaire = "questionnaire"
    pathways = "pathways"
    follow_up = "follow_up"
    flags = "flags"
    language = "language"
    received = "received"


DEFAULT_COLUMNS: tuple[Column, ...] = (
    Column.case,
    Column.site,
    Column.date,
    Column.questionnaire,
    Column.pathways,
    Column.follow_up,
)
#: The case code is how a row is recognised: it is always shown.
REQUIRED_COLUMNS = frozenset({Column.case})
PAGE_SIZES = (25, 50, 100)


class Submission(NamedTuple):
    """One record as the table lists it (the first version received of a record id; a named
    tuple, as the table holds one per record)."""

    record_id: str
    case: str
    site: str
    day: str  # ISO date of the screening (finalised), else of arrival
    received_on: str
    form_id: str
    form_version: str
    language: str
    pathways: tuple[str, ...]
    flags: tuple[str, ...]
    states: Mapping[str, str]  # pathway -> follow-up state (OPEN when none yet)
    conflict: bool = False
    seq: int = 0

    @property
    def follow_states(self) -> frozenset[str]:
        return frozenset(self.states.get(p, OPEN) for p in self.pathways)


def follow_summary(row: Submission) -> tuple[tuple[str, int], ...]:
    """(state, count) of the record's pathways, in the usual order of follow-up."""
    counts: dict[str, int] = {}
    for p in row.pathways:
        s = row.states.get(p, OPEN)
        counts[s] = counts.get(s, 0) + 1
    order = (OPEN, "referred", "accepted", "declined", "closed")
    return tuple((s, counts[s]) for s in sorted(counts, key=lambda s: (_rank(order, s), s)))


def _rank(order: Sequence[str], s: str) -> int:
    return order.index(s) if s in order else len(order)


@dataclass(frozen=True)
class TableQuery:
    """What the coordinator asked the table for; every filter set is "any of these"."""

    search: str = ""
    date_from: date | None = None
    date_to: date | None = None
    sites: frozenset[str] = frozenset()
    pathways: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    follow: frozenset[str] = frozenset()
    sort: Column = Column.date
    descending: bool = True
    page: int = 0
    page_size: int = 25
    columns: tuple[Column, ...] = DEFAULT_COLUMNS

    def toggled(self, name: str, value: str) -> TableQuery:
        """This query with ``value`` added to or removed from the filter ``name``."""
        current: frozenset[str] = getattr(self, name)
        new = current - {value} if value in current else current | {value}
        return replace(self, **{name: new, "page": 0})  # type: ignore[arg-type]

    def sorted_by(self, column: Column) -> TableQuery:
        """Sort on ``column``; the same column again reverses the order."""
        if column == self.sort:
            return replace(self, descending=not self.descending, page=0)
        return replace(self, sort=column, descending=column == Column.date, page=0)

    def with_column(self, column: Column, shown: bool) -> TableQuery:
        if column in REQUIRED_COLUMNS:
            return self
        cols = [c for c in self.columns if c != column]
        if shown:
            cols.append(column)
            cols.sort(key=list(Column).index)
        return replace(self, columns=tuple(cols))

    @property
    def filtered(self) -> bool:
        return bool(
            self.search.strip()
            or self.date_from
            or self.date_to
            or self.sites
            or self.pathways
            or self.flags
            or self.follow
        )


@dataclass(frozen=True)
class TablePage:
    rows: list[Submission]
    matching: int  # rows that pass the search and filters
    total: int  # rows in the table
    page: int
    pages: int
    query: TableQuery
    facets: Facets = field(default_factory=lambda: Facets())


@dataclass(frozen=True)
class Facets:
    """Every value the filters can offer, from the whole table."""

    sites: tuple[str, ...] = ()
    pathways: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    follow: tuple[str, ...] = ()
    first_day: str = ""
    last_day: str = ""


# Crockford base32 reads I and L as 1 and O as 0; a code typed from a slip or read aloud
# still finds its record
_CONFUSABLE = str.maketrans({"I": "1", "L": "1", "O": "0"})
_NOT_CODE = re.compile(r"[^0-9A-Z]")


def normalise_code(text: str) -> str:
    """A typed case code as the table compares it: upper case, no dash or space, confusable
    letters read as Crockford does."""
    return _NOT_CODE.sub("", text.upper().translate(_CONFUSABLE))


def facets(rows: Sequence[Submission]) -> Facets:
    sites: set[str] = set()
    pathways: dict[str, None] = {}
    flags: set[str] = set()
    follow: set[str] = set()
    days = [r.day for r in rows if r.day]
    for r in rows:
        sites.add(r.site)
        if r.pathways:
            pathways.update(dict.fromkeys(r.pathways))
            if r.states:
                follow.update(r.follow_states)
            else:  # nobody has acted on any of them yet
                follow.add(OPEN)
        if r.flags:
            flags.update(r.flags)
    return Facets(
        sites=tuple(sorted(sites)),
        pathways=tuple(pathways),
        flags=tuple(sorted(flags)),
        follow=follow_order(follow),
        first_day=min(days, default=""),
        last_day=max(days, default=""),
    )


def follow_order(states: Iterable[str]) -> tuple[str, ...]:
    """Follow-up states in the usual order of follow-up (unknown ones after, by name)."""
    order = (OPEN, "referred", "accepted", "declined", "closed")
    return tuple(sorted(set(states), key=lambda s: (_rank(order, s), s)))


Predicate = Callable[[Submission], bool]


def _matches(q: TableQuery, code: str) -> list[Predicate]:
    """The predicates the query sets (only those: an unset filter costs nothing)."""
    preds: list[Predicate] = []
    if code:
        preds.append(lambda r: code in r.case.replace("-", ""))
    if q.date_from is not None:
        lo = q.date_from.isoformat()
        preds.append(lambda r: r.day >= lo)
    if q.date_to is not None:
        hi = q.date_to.isoformat()
        preds.append(lambda r: r.day <= hi)
    if q.sites:
        preds.append(lambda r: r.site in q.sites)
    if q.pathways:
        preds.append(lambda r: not q.pathways.isdisjoint(r.pathways))
    if q.flags:
        preds.append(lambda r: not q.flags.isdisjoint(r.flags))
    if q.follow:
        preds.append(lambda r: not q.follow.isdisjoint(r.follow_states))
    return preds


_SORT_KEYS: dict[Column, Callable[[Submission], Any]] = {
    Column.case: lambda r: r.case,
    Column.site: lambda r: (r.site.casefold(), r.day),
    Column.date: lambda r: (r.day, r.seq),
    Column.received: lambda r: (r.received_on, r.seq),
    Column.questionnaire: lambda r: (r.form_id, r.form_version, r.day),
    Column.pathways: lambda r: (len(r.pathways), r.pathways, r.day),
    Column.follow_up: lambda r: (follow_summary(r), r.day),
    Column.flags: lambda r: (len(r.flags), r.day),
    Column.language: lambda r: (r.language, r.day),
}


def sort_rows(rows: Sequence[Submission], column: Column, descending: bool) -> list[Submission]:
    return sorted(rows, key=_SORT_KEYS[column], reverse=descending)


def query(
    rows: Sequence[Submission],
    q: TableQuery,
    *,
    known: Facets | None = None,
    presorted: bool = False,
) -> TablePage:
    """The page of ``rows`` that ``q`` asks for (``known``: the facets of ``rows``, when the
    caller keeps them; ``presorted``: ``rows`` are already in ``q``'s order)."""
    preds = _matches(q, normalise_code(q.search))
    matched = [r for r in rows if all(p(r) for p in preds)] if preds else list(rows)
    if not presorted:
        matched.sort(key=_SORT_KEYS[q.sort], reverse=q.descending)
    size = q.page_size if q.page_size > 0 else PAGE_SIZES[0]
    pages = max(1, -(-len(matched) // size))
    page = min(max(q.page, 0), pages - 1)
    shown = matched[page * size : (page + 1) * size]
    return TablePage(
        rows=shown,
        matching=len(matched),
        total=len(rows),
        page=page,
        pages=pages,
        query=replace(q, page=page),
        facets=known if known is not None else facets(rows),
    )
