"""保証工事一覧 by page number (the portal's pager: 先頭 / 前 / 次 / 最後, 「N件中 a - b件」) follows the same
search rules as the API's cursor list, and the surety's console lists the registry's contractors."""

from __future__ import annotations

import pytest

from chalicelib.domain.principal import Principal
from chalicelib.domain.validation import ValidationFailed
from chalicelib.services.tables import use_tables

CONTRACTOR_1 = Principal("demo-contractor-1", "contractor", "contractor-1")
CONTRACTOR_2 = Principal("demo-contractor-2", "contractor", "contractor-2")
SURETY = Principal("demo-surety", "surety", "surety")


def _issue(api, count: int, **overrides) -> list[str]:
    numbers = []
    for i in range(count):
        response = api.issue(project_name=f"境港市道 第{i + 1}号線 改良工事", **overrides)
        assert response.status_code == 201, response.json_body
        numbers.append(response.json_body["contract_number"])
    return numbers


def _walk(principal, params, direction: str = "next_cursor"):
    """Every page from the first, following one cursor to the end."""
    from chalicelib.services.listing import certificate_page

    pages = [certificate_page(principal, params)]
    while getattr(pages[-1], direction) and len(pages) < 20:
        pages.append(certificate_page(principal, {**params, "cursor": getattr(pages[-1], direction)}))
    return pages


def test_pages_cover_the_list_once_newest_first(api):
    numbers = _issue(api, 5)
    use_tables()
    pages = _walk(CONTRACTOR_1, {"limit": "2"})
    assert [(p.total, p.first_row, p.last_row) for p in pages] == [(5, 1, 2), (5, 3, 4), (5, 5, 5)]
    shown = [row.contract_number for p in pages for row in p.rows]
    assert shown == sorted(numbers, reverse=True)  # one day: the later number first, none twice
    api_list = api.get("/v1/certificates", user="demo-contractor-1").json_body
    assert [i["contract_number"] for i in api_list["items"]] == shown
    assert pages[0].items()[0] == api_list["items"][0]  # the same row shape as the API


def test_previous_and_last_pages_read_backwards_and_an_empty_list_says_zero(api):
    from chalicelib.services.listing import certificate_page

    numbers = sorted(_issue(api, 5), reverse=True)
    use_tables()
    first = certificate_page(CONTRACTOR_1, {"limit": "2"})
    last = certificate_page(CONTRACTOR_1, {"limit": "2", "cursor": first.last_cursor})
    assert ([r.contract_number for r in last.rows], last.first_row, last.last_row) == ([numbers[4]], 5, 5)
    assert (last.next_cursor, last.last_cursor) == (None, None)
    back = [certificate_page(CONTRACTOR_1, {"limit": "2", "cursor": last.prev_cursor})]
    back.append(certificate_page(CONTRACTOR_1, {"limit": "2", "cursor": back[0].prev_cursor}))
    assert [[r.contract_number for r in p.rows] for p in back] == [numbers[2:4], numbers[0:2]]
    assert [(p.first_row, p.last_row) for p in back] == [(3, 4), (1, 2)]
    assert back[1].prev_cursor is None  # the top
    empty = certificate_page(CONTRACTOR_2, {})
    assert (empty.total, empty.first_row, empty.last_row, empty.rows, empty.next_cursor) == (0, 0, 0, [], None)


def test_search_by_page_matches_the_api_and_stays_in_the_callers_partition(api):
    from chalicelib.services.listing import certificate_page

    _issue(api, 3)
    _issue(api, 2, contractor_id="contractor-2")
    use_tables()
    found = certificate_page(CONTRACTOR_1, {"field": "project_name", "q": "第２号"})  # full-width digit
    assert [r.project_name for r in found.rows] == ["境港市道 第2号線 改良工事"]
    assert certificate_page(CONTRACTOR_2, {"field": "project_name", "q": "改良"}).total == 2
    with pytest.raises(ValidationFailed) as refused:
        certificate_page(CONTRACTOR_1, {"field": "contract_number", "q": "abc"})
    assert refused.value.errors[0].field == "q"


def test_surety_pages_a_named_contractor_or_searches_with_an_indexed_condition(api):
    from chalicelib.services.listing import certificate_page

    _issue(api, 2, contractor_id="contractor-2")
    use_tables()
    assert certificate_page(SURETY, {"contractor_id": "contractor-2"}).total == 2
    with pytest.raises(ValidationFailed) as refused:
        certificate_page(SURETY, {})
    assert refused.value.errors[0].field == "contractor_id"
    across = certificate_page(SURETY, {"obligee_id": "sakaiminato"})
    assert (across.total, len(across.rows), across.last_cursor) == (None, 2, None)  # no total, no 最後 across
    assert {r["contractor_id"] for r in across.items()} == {"contractor-2"}


def test_the_console_lists_every_contractor_with_its_count(api):
    from chalicelib.services.parties import find_contractors

    _issue(api, 2)
    use_tables()
    listed = {c["contractor_id"]: c for c in find_contractors("", {}, 50)["items"]}
    assert set(listed) == {"contractor-1", "contractor-2"}
    assert listed["contractor-1"]["certificate_count"] == 2 and listed["contractor-2"]["certificate_count"] == 0
    assert listed["contractor-1"]["name"] == "株式会社○○建設"


def test_the_console_finds_a_contractor_by_the_beginning_of_its_name_or_its_id(api):
    from chalicelib.services.parties import contractor, find_contractors

    use_tables()

    def found(q: str) -> list[str]:
        return [c["contractor_id"] for c in find_contractors(q, {}, 50)["items"]]

    assert found("△△") == ["contractor-2"]
    assert found("ｃｏｎｔｒａｃｔｏｒ－１") == ["contractor-1"]  # full width
    assert found("存在しない") == []
    assert contractor("contractor-2")["name"] == "株式会社△△工業"
    assert contractor("nobody") is None
