"""GET /v1/certificates as an integrator and a clerk use it (issue 20): range edges and their messages, paging a search
to its end while certificates are issued, 前 and 最後, the CSV of a search against its JSON (inline and via S3,
refused past its bound), the surety's searches across contractors, and the portal's form, order and CSV button."""

from __future__ import annotations

import csv
import io
import logging
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.support.api import CONTRACTOR, OTHER_CONTRACTOR, SURETY, assert_error
from tests.support.certificates import store, version
from tests.support.portal import C1, signed_in
from tests.support.stored import fetch, s3_client

DAY = date(2024, 4, 1)


@pytest.fixture
def world(api):
    """18 certificates of contractor-1 (a day apart from 2024-04-01, amounts 1..18 million, two owners) and 6 of
    contractor-2 on the same days and amounts."""
    from chalicelib.services.tables import use_tables

    use_tables()
    mine = store(version(str(2070400000 + i), issued_on=DAY + timedelta(days=i), guarantee_amount=(i + 1) * 1_000_000,
                         obligee_id="pref-demo" if i % 3 == 0 else "sakaiminato",
                         project_name=f"=HYPERLINK(\"x\") 道路工事 {i}" if i == 5 else f"道路改良工事 第{i}工区")
                 for i in range(18))
    store(version(str(2070450000 + i), "contractor-2", issued_on=DAY + timedelta(days=i),
                  guarantee_amount=(i + 1) * 1_000_000, project_name=f"道路改良工事 第{i}工区") for i in range(6))
    return api, [v.contract_number for v in mine]


def get(api, user: str, **params: Any) -> Any:
    return api.get("/v1/certificates" + ("?" + urlencode(params) if params else ""), user=user)


def walk(api, user: str, cursor_field: str = "next_cursor", start: str | None = None, **params: Any
         ) -> list[dict[str, Any]]:
    pages = [get(api, user, **params, **({"cursor": start} if start else {})).json_body]
    while pages[-1].get(cursor_field) and len(pages) < 30:
        response = get(api, user, **params, cursor=pages[-1][cursor_field])
        assert response.status_code == 200, response.json_body
        pages.append(response.json_body)
    return pages


def numbers(pages: list[dict[str, Any]]) -> list[str]:
    return [i["contract_number"] for p in pages for i in p["items"]]


def test_range_edges_are_inclusive_and_a_bad_range_is_named_in_japanese(world):
    api, mine = world
    day = (DAY + timedelta(days=4)).isoformat()
    same_day = get(api, CONTRACTOR, issued_from=day, issued_to=day).json_body
    assert [i["contract_number"] for i in same_day["items"]] == [mine[4]] and same_day["total"] == 1
    edges = get(api, CONTRACTOR, guarantee_amount_min="3,000,000", guarantee_amount_max="５００００００").json_body
    assert [i["contract_number"] for i in edges["items"]] == [mine[4], mine[3], mine[2]]
    assert edges["order"] == "guarantee_amount_desc"
    assert get(api, CONTRACTOR, guarantee_amount_min="0").json_body["total"] == 18  # 0 yen: a bound like any other
    for params, field in (({"issued_from": "2024-04-05", "issued_to": "2024-04-04"}, "issued_to"),
                          ({"guarantee_amount_min": "5", "guarantee_amount_max": "4"}, "guarantee_amount_max"),
                          ({"contract_date_from": "2024-02-30"}, "contract_date_from"),
                          ({"contract_amount_max": "-1"}, "contract_amount_max"),
                          ({"obligee_id": "境港市"}, "obligee_id")):
        response = get(api, CONTRACTOR, **params)
        assert_error(response, 400, "validation_error", fields={field}, context=params)
    both = get(api, CONTRACTOR, issued_from="2024-13-01", guarantee_amount_min="abc")
    assert_error(both, 400, "validation_error", fields={"issued_from", "guarantee_amount_min"})


def test_a_search_pages_to_its_end_without_duplicates_or_gaps_while_certificates_are_issued(world):
    """Keyset positions: new certificates enter at the top (the newest day and number), so a walk that began
    before them shows every certificate that existed once, and never one twice."""
    api, mine = world
    params = {"issued_from": "2024-04-01", "field": "project_name", "q": "道路", "limit": 6}
    first = get(api, CONTRACTOR, **params).json_body
    assert first["total"] == 18
    seen, cursor, issued = [i["contract_number"] for i in first["items"]], first["next_cursor"], []
    while cursor:
        issued.append(api.issue(project_name="道路改良工事 追加").json_body["contract_number"])  # today: the top
        page = get(api, CONTRACTOR, **params, cursor=cursor).json_body
        assert page["total"] == 18  # carried by the cursor
        seen += [i["contract_number"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert seen == sorted(mine, reverse=True)
    # From the top again: the new ones first, counted.
    again = walk(api, CONTRACTOR, **params)
    assert numbers(again) == sorted(issued, reverse=True) + sorted(mine, reverse=True)
    assert again[0]["total"] == 18 + len(issued)


def test_previous_and_last_pages_and_their_offsets(world):
    api, mine = world
    newest_first = sorted(mine, reverse=True)
    first = get(api, CONTRACTOR, limit=5).json_body
    assert (first["offset"], first["prev_cursor"]) == (0, None) and first["last_cursor"]
    last = get(api, CONTRACTOR, limit=5, cursor=first["last_cursor"]).json_body
    assert [i["contract_number"] for i in last["items"]] == newest_first[15:]  # 18 = 5 + 5 + 5 + 3
    assert (last["offset"], last["next_cursor"], last["last_cursor"]) == (15, None, None)
    backwards = walk(api, CONTRACTOR, "prev_cursor", first["last_cursor"], limit=5)
    assert [p["offset"] for p in backwards] == [15, 10, 5, 0]
    assert numbers(list(reversed(backwards))) == newest_first
    # A search: the total counted on its first page, then carried to 最後.
    search = get(api, CONTRACTOR, obligee_id="pref-demo", limit=4).json_body
    assert search["total"] == 6 and search["order"] == "issued_on_desc"
    tail = get(api, CONTRACTOR, obligee_id="pref-demo", limit=4, cursor=search["last_cursor"]).json_body
    assert (tail["total"], tail["offset"], len(tail["items"])) == (6, 4, 2)


def _csv(response) -> list[dict[str, str]]:
    text = response.body.decode("utf-8") if isinstance(response.body, bytes) else response.body
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def test_the_csv_of_a_search_is_its_json_across_every_page(world):
    api, mine = world
    params = {"guarantee_amount_min": "2000000", "field": "project_name", "q": "道路"}
    response = get(api, CONTRACTOR, **params, format="csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="certificates-')
    assert "filename*=UTF-8''%E4%BF%9D%E8%A8%BC%E5%B7%A5%E4%BA%8B%E4%B8%80%E8%A6%A7_" in response.headers[
        "Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    raw = response.body if isinstance(response.body, bytes) else response.body.encode()
    assert raw.count(b"\r\n") == 18  # header + 17 rows, CRLF
    rows = _csv(response)
    items = [i for p in walk(api, CONTRACTOR, **params, limit=5) for i in p["items"]]
    assert len(items) == 17 and [r["保証契約番号"] for r in rows] == [i["contract_number"] for i in items]
    for row, item in zip(rows, items, strict=True):
        assert row["保証金額"] == str(item["guarantee_amount"])
        assert row["請負金額"] == str(item["contract_amount_total"])
        assert row["証書発行日"] == item["issued_on"] and row["工期末日"] == item["completion_date"]
        assert row["保証期間"] == item["guarantee_period_end"] and row["区分"] == "前払金保証"
        assert row["発注者"] == item["obligee_name"] and row["状態"] == "有効"
        assert row["工事名"] in (item["project_name"], "'" + item["project_name"])
    formula = next(r for r in rows if "HYPERLINK" in r["工事名"])
    assert formula["工事名"].startswith("'=")  # formula-safe
    # Another contractor's certificates are never in it, and the portal's button gives the same file.
    assert not {r["保証契約番号"] for r in rows} & {str(2070450000 + i) for i in range(6)}
    portal = signed_in(api, C1).get("/certificates?" + urlencode({**params, "format": "csv"}))
    assert portal.status_code == 200 and portal.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert portal.text.encode("utf-8") == raw


def test_a_large_csv_goes_to_s3_behind_a_short_link_never_logged(world, monkeypatch, caplog):
    from chalicelib.adapters.files import EXPORTS_PREFIX, LIFECYCLE_RULES
    from chalicelib.config import get_settings
    from chalicelib.services import listing

    api, mine = world
    inline = get(api, CONTRACTOR, format="csv")
    monkeypatch.setattr(listing, "CSV_INLINE_MAX_BYTES", 1000)  # the threshold, small enough for 18 rows
    caplog.set_level(logging.DEBUG)
    response = get(api, CONTRACTOR, format="csv")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert response.json_body == {"url": location, "expires_in": 300, "rows": 18}
    assert EXPORTS_PREFIX in urlsplit(location).path
    assert parse_qs(urlsplit(location).query)["X-Amz-Expires"] == ["300"]
    fetched = fetch(location)
    assert fetched.status_code == 200 and fetched.content == inline.body
    assert fetched.headers["Content-Disposition"] == inline.headers["Content-Disposition"]
    rules = s3_client().get_bucket_lifecycle_configuration(Bucket=get_settings().bucket)["Rules"]
    assert any(r["Filter"].get("Prefix") == EXPORTS_PREFIX and r["Expiration"]["Days"] == 1 for r in rules)
    assert any(r["Filter"]["Prefix"] == EXPORTS_PREFIX for r in LIFECYCLE_RULES)
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "X-Amz-Signature" not in logged and location not in logged
    assert any(getattr(r, "operation", None) == "certificates_csv" and r.count == 18 for r in caplog.records)
    # The portal's button leads to the same place.
    portal = signed_in(api, C1).get("/certificates?format=csv")
    assert portal.status_code == 303 and EXPORTS_PREFIX in urlsplit(portal.location).path


def test_a_csv_past_its_bound_is_refused_with_the_count_and_what_to_do(world, monkeypatch):
    from chalicelib.domain import search
    from chalicelib.services import listing

    api, _ = world
    for module in (listing, search):
        monkeypatch.setattr(module, "MAX_CSV_ROWS", 10)
    refused = get(api, CONTRACTOR, format="csv")  # the list: its counter says 18 before anything is read
    assert_error(refused, 422, "csv_too_large", fields={"format"})
    assert "18件" in refused.json_body["message"] and "10件" in refused.json_body["message"]
    searched = get(api, CONTRACTOR, format="csv", guarantee_amount_min="5000000")  # counted in the same pass
    assert_error(searched, 422, "csv_too_large")
    assert "14件" in searched.json_body["message"]
    assert get(api, CONTRACTOR, format="csv", guarantee_amount_min="9000000").status_code == 200  # 10: fits
    across = get(api, SURETY, format="csv", issued_from="2024-01-01")  # not counted across contractors
    assert_error(across, 422, "csv_too_large")
    assert "件あり" not in across.json_body["message"] and "10件を超えて" in across.json_body["message"]


def test_the_suretys_searches_across_contractors(world):
    api, mine = world
    theirs = [str(2070450000 + i) for i in range(6)]
    by_owner = walk(api, SURETY, obligee_id="sakaiminato", limit=5)
    # Newest first, and on one day the later number first: the index's order across contractors.
    day = {**{n: i for i, n in enumerate(mine)}, **{n: i for i, n in enumerate(theirs)}}
    expected = sorted([n for i, n in enumerate(mine) if i % 3] + theirs, key=lambda n: (day[n], n), reverse=True)
    assert numbers(by_owner) == expected
    assert all(p["total"] is None and p["last_cursor"] is None for p in by_owner)  # not counted, no 最後
    assert {i["contractor_id"] for p in by_owner for i in p["items"]} == {"contractor-1", "contractor-2"}
    assert all(i["contractor_name"] for p in by_owner for i in p["items"])
    by_days = walk(api, SURETY, issued_from="2024-04-03", issued_to="2024-04-04", limit=2)
    assert numbers(by_days) == [theirs[3], mine[3], theirs[2], mine[2]]
    assert numbers([get(api, SURETY, field="contract_number", q=theirs[1]).json_body]) == [theirs[1]]
    # At least one condition with an index of its own; an 証書発行日 range needs its start.
    assert_error(get(api, SURETY, guarantee_amount_min="1"), 400, "validation_error", fields={"contractor_id"})
    assert_error(get(api, SURETY, issued_to="2024-04-30"), 400, "validation_error", fields={"issued_from"})
    # With contractor_id: that contractor's search, counted.
    named = get(api, SURETY, contractor_id="contractor-2", guarantee_amount_max="3000000").json_body
    assert named["total"] == 3 and "contractor_id" not in named["items"][0]
    # A contractor never searches across: contractor_id is ignored, its own certificates only.
    own = get(api, OTHER_CONTRACTOR, contractor_id="contractor-1", field="contract_number", q=mine[0]).json_body
    assert (own["total"], own["items"]) == (0, [])


def test_the_portal_form_searches_by_range_shows_the_order_and_offers_the_csv(world):
    api, mine = world
    browser = signed_in(api, C1)
    page = browser.get("/certificates?guarantee_amount_min=10000000&obligee_id=sakaiminato")
    assert page.status_code == 200
    assert "並び順: 証書発行日の新しい順" in page.visible_text
    assert "6件中 1 - 6件" in page.visible_text  # 10..18 million at sakaiminato: i = 10, 11, 13, 14, 16, 17
    assert 'href="/certificates?guarantee_amount_min=10000000&amp;obligee_id=sakaiminato&amp;format=csv"' in page.text
    assert " open>" in page.text or "open>" in page.text  # the ranges' part of the form stays open
    by_amount = browser.get("/certificates?guarantee_amount_min=10000000&guarantee_amount_max=12000000")
    assert "並び順: 保証金額の大きい順" in by_amount.visible_text
    bad = browser.get("/certificates?issued_from=2024-04-05&issued_to=2024-04-01")
    assert bad.status_code == 400
    assert 'id="issued_to-error"' in bad.text and "証書発行日(まで)は証書発行日(から)以降の日付" in bad.visible_text


def test_the_suretys_console_searches_certificates_across_contractors(world):
    api, mine = world
    browser = signed_in(api, SURETY)
    empty = browser.get("/console/search")
    assert empty.status_code == 200 and "保証証書の検索" in empty.visible_text and "件中" not in empty.visible_text
    found = browser.get("/console/search?obligee_id=pref-demo")
    assert found.status_code == 200
    assert "1 - 6件" in found.visible_text and "件中" not in found.visible_text  # no total across contractors
    assert f'href="/console/certificates/{mine[0]}"' in found.text and "contractor-1 株式会社" in found.visible_text
    refused = browser.get("/console/search?guarantee_amount_min=1")
    assert refused.status_code == 400 and "保証契約者を指定しない検索" in refused.visible_text
