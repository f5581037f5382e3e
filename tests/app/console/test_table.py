"""The submissions table: search by case code, filters, sort, paging and column choice, on
records pulled from the real server app through the coordinator client."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from app.console import table as tbl
from app.console.model import Console
from app.console.table import Column, TableQuery
from sync.protocol import case_code
from tests.app.console.agency import NOTHING, TRAFFICKING, URGENT, Agency


@pytest.fixture
def filled(agency: Agency, console: Console) -> dict[str, str]:
    """Five records at two sites on three days; one referred, one closed."""
    ids = {
        "t_north_1": agency.upload(
            "north", TRAFFICKING, finalised=datetime(2026, 11, 2, tzinfo=UTC)
        ),
        "u_south": agency.upload("south", URGENT, finalised=datetime(2026, 11, 5, tzinfo=UTC)),
        "n_north": agency.upload("north", NOTHING, finalised=datetime(2026, 11, 5, tzinfo=UTC)),
        "t_south": agency.upload("south", TRAFFICKING, finalised=datetime(2026, 11, 9, tzinfo=UTC)),
        "t_north_2": agency.upload(
            "north", TRAFFICKING, finalised=datetime(2026, 11, 9, tzinfo=UTC)
        ),
    }
    console.pull()
    console.follow(ids["t_north_1"], "trafficking", "referred")
    console.follow(ids["t_south"], "trafficking", "referred")
    console.follow(ids["t_south"], "trafficking", "closed")
    return ids


def _ids(page: tbl.TablePage) -> list[str]:
    return [r.record_id for r in page.rows]


def test_a_row_has_the_case_code_site_date_questionnaire_pathways_and_state(
    console: Console, filled: dict[str, str]
) -> None:
    page = console.table()
    assert page.total == page.matching == 5
    row = next(r for r in page.rows if r.record_id == filled["t_north_1"])
    assert row.case == case_code(filled["t_north_1"]) and len(row.case) == 9
    assert (row.site, row.day) == ("north", "2026-11-02")
    assert (row.form_id, row.form_version) == ("waymark_screening", "2026.11.1")
    assert row.pathways == ("trafficking", "legal")
    assert dict(row.states) == {"trafficking": "referred"}
    assert tbl.follow_summary(row) == (("open", 1), ("referred", 1))
    assert page.facets.sites == ("north", "south")
    assert page.facets.pathways == ("trafficking", "legal", "urgent")
    assert page.facets.follow == ("open", "referred", "closed")


def test_search_by_case_code_as_typed_or_read_aloud(
    console: Console, filled: dict[str, str]
) -> None:
    rid = filled["u_south"]
    code = case_code(rid)
    for typed in (code, code.lower(), code.replace("-", " "), code[:4]):
        found = _ids(console.table(TableQuery(search=typed)))
        assert rid in found
    exact = console.table(TableQuery(search=code))
    assert _ids(exact) == [rid]
    # Crockford: an O typed for a 0 or an I for a 1 still finds it
    confusable = code.replace("0", "O").replace("1", "I")
    assert _ids(console.table(TableQuery(search=confusable))) == [rid]
    assert console.table(TableQuery(search="ZZZZ-ZZZZ")).matching == 0


def test_filters_by_date_site_pathway_flag_and_follow_up(
    console: Console, filled: dict[str, str]
) -> None:
    f = filled

    def ids(**kw: object) -> set[str]:
        return set(_ids(console.table(TableQuery(page_size=100, **kw))))  # type: ignore[arg-type]

    assert ids(date_from=date(2026, 11, 5), date_to=date(2026, 11, 5)) == {
        f["u_south"],
        f["n_north"],
    }
    assert ids(date_from=date(2026, 11, 6)) == {f["t_south"], f["t_north_2"]}
    assert ids(sites=frozenset({"south"})) == {f["u_south"], f["t_south"]}
    assert ids(pathways=frozenset({"urgent"})) == {f["u_south"]}
    assert ids(flags=frozenset({"documents_held"})) == {
        f["t_north_1"],
        f["t_south"],
        f["t_north_2"],
    }
    assert ids(follow=frozenset({"referred"})) == {f["t_north_1"]}
    assert ids(follow=frozenset({"closed"})) == {f["t_south"]}
    # any of the values of one filter, all of the filters together
    assert ids(sites=frozenset({"north"}), follow=frozenset({"open"})) == {
        f["t_north_1"],
        f["t_north_2"],
    }
    q = TableQuery().toggled("sites", "north").toggled("sites", "south")
    assert q.sites == {"north", "south"} and q.toggled("sites", "north").sites == {"south"}
    assert not TableQuery().filtered and q.filtered


def test_sort_on_any_column_and_again_to_reverse(console: Console, filled: dict[str, str]) -> None:
    newest = console.table()
    assert [r.day for r in newest.rows] == sorted((r.day for r in newest.rows), reverse=True)
    by_case = console.table(TableQuery().sorted_by(Column.case))
    codes = [r.case for r in by_case.rows]
    assert codes == sorted(codes)
    q = TableQuery().sorted_by(Column.case).sorted_by(Column.case)
    assert q.descending and [r.case for r in console.table(q).rows] == sorted(codes, reverse=True)
    by_site = console.table(TableQuery().sorted_by(Column.site))
    assert [r.site for r in by_site.rows] == ["north"] * 3 + ["south"] * 2
    by_pathways = console.table(TableQuery(descending=False).sorted_by(Column.pathways))
    assert by_pathways.rows[0].record_id == filled["n_north"]  # no pathway first


def test_pages(console: Console, filled: dict[str, str]) -> None:
    q = TableQuery(page_size=2, sort=Column.case, descending=False)
    pages = [console.table(replace(q, page=n)) for n in range(3)]
    assert [len(p.rows) for p in pages] == [2, 2, 1] and pages[0].pages == 3
    seen = [i for p in pages for i in _ids(p)]
    assert sorted(seen) == sorted(filled.values()) and len(set(seen)) == 5
    beyond = console.table(replace(q, page=9))
    assert beyond.page == 2 and _ids(beyond) == _ids(pages[2])
    # a filter goes back to the first page
    assert q.toggled("sites", "north").page == 0


def test_column_choice_keeps_the_case_code_and_the_order(console: Console) -> None:
    q = TableQuery()
    assert q.columns == tbl.DEFAULT_COLUMNS
    q = q.with_column(Column.flags, True).with_column(Column.site, False)
    assert Column.flags in q.columns and Column.site not in q.columns
    assert list(q.columns) == sorted(q.columns, key=list(Column).index)
    assert q.with_column(Column.case, False).columns == q.columns


def test_the_table_follows_a_pull_a_follow_up_and_an_erasure(
    agency: Agency, console: Console, filled: dict[str, str]
) -> None:
    assert console.table().total == 5
    new = agency.upload("north", URGENT)
    console.pull()
    assert console.table().total == 6
    console.follow(new, "urgent", "referred")
    row = next(r for r in console.table().rows if r.record_id == new)
    assert dict(row.states) == {"urgent": "referred"}
    console.erase(new)
    assert new not in _ids(console.table(TableQuery(page_size=100)))


def test_a_follow_up_step_changes_its_row_without_building_the_table_again(
    console: Console, filled: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table, each kept order, the case-code lookup and the follow-up filter's values see
    the step at once; the records' listing is not read again (its reader is made to fail)."""
    rid = filled["t_north_2"]
    by_date = console.table()
    by_site = console.table(TableQuery(sort=Column.site))
    by_follow = console.table(TableQuery(sort=Column.follow_up, descending=False))
    console.table(TableQuery(search=case_code(rid)))
    assert "accepted" not in by_date.facets.follow

    def no_rebuild() -> None:
        raise AssertionError("the table was built again")

    monkeypatch.setattr(console.store, "summaries", no_rebuild)
    console.follow(rid, "trafficking", "referred")
    console.follow(rid, "trafficking", "accepted")
    accepted = console.table(TableQuery(follow=frozenset({"accepted"})))
    assert _ids(accepted) == [rid] and "accepted" in accepted.facets.follow
    assert [r.states for r in console.table().rows if r.record_id == rid] == [
        {"trafficking": "accepted"}]
    assert _ids(console.table(TableQuery(sort=Column.site))) == _ids(by_site)  # same order
    assert _ids(console.table()) == _ids(by_date)
    (row,) = console.table(TableQuery(search=case_code(rid))).rows
    assert row.states == {"trafficking": "accepted"}
    follow_order = _ids(console.table(TableQuery(sort=Column.follow_up, descending=False)))
    fresh = tbl.sort_rows(console.submissions()[0], Column.follow_up, False)
    assert follow_order == [r.record_id for r in fresh][:25] != _ids(by_follow)  # sorted again
    console.follow(filled["t_north_1"], "trafficking", "closed")  # the last "referred" one
    assert "referred" not in console.table().facets.follow
