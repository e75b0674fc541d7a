"""The surety console finds a contractor by id (GetItem) or by the beginning of its name (one Query of the name
index), never by a Scan, and pages through the registry in name order (issue 20)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.support.api import SURETY
from tests.support.portal import signed_in
from tests.support.stored import dynamodb_calls

NAMES = {
    "sanin-1": "株式会社山陰建設",
    "sanin-2": "山陰建設工業株式会社",
    "sanin-3": "㈱山陰土木",
    "yonago": "有限会社米子舗装",
    "abc": "ＡＢＣ建設株式会社",  # full-width letters
    "daisen": "大山建設(株)",
}


@pytest.fixture
def registry(api):
    for contractor_id, name in NAMES.items():
        body = {"name": name, "address": "鳥取県米子市1番地", "email": f"{contractor_id}@example.jp"}
        assert api.put(f"/v1/contractors/{contractor_id}", body, user=SURETY).status_code == 201
    return api


def found(q: str) -> list[str]:
    from chalicelib.services.parties import find_contractors

    return [c["contractor_id"] for c in find_contractors(q, {}, 50)["items"]]


# What is typed, and whom it finds (among NAMES and the two demo contractors).
CASES = [
    ("山陰", {"sanin-1", "sanin-2", "sanin-3"}),
    ("山陰建設", {"sanin-1", "sanin-2"}),
    ("株式会社山陰建設", {"sanin-1", "sanin-2"}),  # 法人格 before the name
    ("山陰建設株式会社", {"sanin-1", "sanin-2"}),  # or after it
    ("㈱山陰", {"sanin-1", "sanin-2", "sanin-3"}),
    ("(株)山陰", {"sanin-1", "sanin-2", "sanin-3"}),
    ("（株）山陰土木", {"sanin-3"}),  # full-width parentheses
    ("ａｂｃ", {"abc"}),  # full-width, other case
    ("ABC建設", {"abc"}),
    ("大山", {"daisen"}),
    ("米子 舗装", {"yonago"}),  # spaces ignored
    ("建設", set()),  # the beginning of the name only
    ("株式会社", set()),
    ("山陰建設工業株式会社X", set()),
]


def test_a_contractor_is_found_by_the_beginning_of_its_name(registry):
    for typed, expected in CASES:
        assert set(found(typed)) == expected, typed


def test_by_id_first_then_by_name_and_no_scan(registry):
    api = registry
    with dynamodb_calls() as calls:
        assert found("sanin-2")[0] == "sanin-2"
        assert found("abc")[0] == "abc"  # the id, and a name that begins with "ABC"
        assert found("ABC") == ["abc"]
        assert found("nobody") == []
    assert "Scan" not in calls.operations, calls.operations
    assert set(calls.operations) <= {"GetItem", "Query"}, calls.operations
    assert max(calls.query_scanned_counts) <= 51, calls.query_scanned_counts

    # A rename moves the contractor in the index: found by its new name only.
    body = {"name": "株式会社出雲建設", "address": "島根県出雲市1番地", "email": "izumo@example.jp"}
    assert api.put("/v1/contractors/sanin-1", body, user=SURETY).status_code == 200
    assert "sanin-1" not in found("山陰") and found("出雲") == ["sanin-1"]


def test_the_console_pages_through_the_registry_in_name_order(registry):
    """60 more contractors: the console shows 50 a page, then the rest, each once, in name order."""
    from chalicelib.domain.records import Contractor
    from chalicelib.domain.search import company_name_key
    from chalicelib.services.tables import use_tables
    from chalicelib.store import parties

    use_tables()
    for i in range(60):
        parties.save_contractor(Contractor(f"bulk-{i:02d}", f"株式会社テスト建設{i:02d}", "鳥取県1番地",
                                           f"bulk{i}@example.jp"))
    browser = signed_in(registry, SURETY)
    seen: list[str] = []
    page = browser.get("/console")
    pages = 0
    while True:
        pages += 1
        assert page.status_code == 200
        rows = [line.split('"')[0] for line in page.text.split('href="/console/contractors/')[1:]]
        assert len(rows) <= 50
        seen += rows
        following = [part.split('"')[0] for part in page.text.split('rel="next"')[0].split('href="')[1:]
                     if part.startswith("/console?")]
        if 'rel="next"' not in page.text:
            break
        page = browser.get(following[-1].replace("&amp;", "&"))
    total = len(NAMES) + 2 + 60  # and the two demo contractors
    assert pages == 2 and len(seen) == total and len(set(seen)) == total
    names = {**NAMES, "contractor-1": "株式会社○○建設", "contractor-2": "株式会社△△工業",
             **{f"bulk-{i:02d}": f"株式会社テスト建設{i:02d}" for i in range(60)}}
    assert seen == sorted(seen, key=lambda c: f"{company_name_key(names[c])}#{c}")

    # The same with a search: the prefix is kept from page to page.
    first = browser.get(f"/console?q={quote('テスト建設')}")
    assert first.text.count('href="/console/contractors/bulk-') == 50 and "山陰" not in first.visible_text
    assert ">先頭<" not in first.text and "次▶" in first.visible_text
    next_link = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    second = browser.get(next_link)
    assert second.text.count('href="/console/contractors/bulk-') == 10 and ">先頭<" in second.text
    # A cursor of one search is no good for another.
    cursor = next_link.split("cursor=")[1]
    assert browser.get(f"/console?q={quote('山陰')}&cursor={cursor}").status_code == 400
