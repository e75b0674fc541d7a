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


def test_pages_cover_the_list_once_newest_first(api):
    from chalicelib.services.listing import certificate_page

    numbers = _issue(api, 5)
    use_tables()
    pages = [certificate_page(CONTRACTOR_1, {}, page, per_page=2) for page in (1, 2, 3)]
    assert [(p["total"], p["page"], p["pages"], p["first"], p["last"]) for p in pages] == [
        (5, 1, 3, 1, 2), (5, 2, 3, 3, 4), (5, 3, 3, 5, 5)]
    shown = [item["contract_number"] for p in pages for item in p["items"]]
    assert shown == sorted(numbers, reverse=True)  # one day: the later number first, none twice
    api_list = api.get("/v1/certificates", user="demo-contractor-1").json_body
    assert [i["contract_number"] for i in api_list["items"]] == shown
    assert pages[0]["items"][0] == api_list["items"][0]  # the same row shape as the API


def test_a_page_past_the_end_shows_the_last_and_an_empty_list_says_zero(api):
    from chalicelib.services.listing import certificate_page

    _issue(api, 3)
    use_tables()
    beyond = certificate_page(CONTRACTOR_1, {}, 99, per_page=2)
    assert (beyond["page"], beyond["first"], beyond["last"]) == (2, 3, 3)
    assert certificate_page(CONTRACTOR_1, {}, -4, per_page=2)["page"] == 1
    empty = certificate_page(CONTRACTOR_2, {}, 1)
    assert (empty["total"], empty["pages"], empty["first"], empty["last"], empty["items"]) == (0, 1, 0, 0, [])


def test_search_by_page_matches_the_api_and_stays_in_the_callers_partition(api):
    from chalicelib.services.listing import certificate_page

    _issue(api, 3)
    _issue(api, 2, contractor_id="contractor-2")
    use_tables()
    found = certificate_page(CONTRACTOR_1, {"field": "project_name", "q": "第２号"}, 1)  # full-width digit
    assert [i["project_name"] for i in found["items"]] == ["境港市道 第2号線 改良工事"]
    assert certificate_page(CONTRACTOR_2, {"field": "project_name", "q": "改良"}, 1)["total"] == 2
    with pytest.raises(ValidationFailed) as refused:
        certificate_page(CONTRACTOR_1, {"field": "contract_number", "q": "abc"}, 1)
    assert refused.value.errors[0].field == "q"


def test_surety_pages_a_named_contractor_only(api):
    from chalicelib.services.listing import certificate_page

    _issue(api, 2, contractor_id="contractor-2")
    use_tables()
    assert certificate_page(SURETY, {"contractor_id": "contractor-2"}, 1)["total"] == 2
    with pytest.raises(ValidationFailed) as refused:
        certificate_page(SURETY, {}, 1)
    assert refused.value.errors[0].field == "contractor_id"


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
