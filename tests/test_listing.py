"""GET /v1/certificates: 保証工事一覧: own certificates only, newest first,
searchable, paged by a cursor bound to the caller and the search, read with Query, never Scan."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine

from tests.support.api import assert_error
from tests.support.stored import dynamodb_calls as count_dynamodb_calls
from tests.support.world import DROP

C1, C2, SURETY = "demo-contractor-1", "demo-contractor-2", "demo-surety"
ITEM_FIELDS = {"contract_number", "guarantee_type", "label", "issued_on", "amended", "version", "obligee_name",
               "project_name", "contract_amount_total", "contract_amount_covered", "guarantee_amount"}


def listing(api, user: str, **params: Any) -> Any:
    query = urlencode(params)
    return api.get(f"/v1/certificates{'?' + query if query else ''}", user=user)


def all_pages(api, user: str, **params: Any) -> list[dict[str, Any]]:
    """Follow next_cursor to the end; returns the page bodies."""
    pages = []
    cursor = None
    while True:
        response = listing(api, user, **params, **({"cursor": cursor} if cursor else {}))
        assert response.status_code == 200, (params, len(pages), response.json_body)
        pages.append(response.json_body)
        cursor = response.json_body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "pagination does not end"


def issue_on(api, day: str, **overrides: Any) -> dict[str, Any]:
    """Issue a guarantee on a given Japan date (noon in Japan)."""
    with time_machine.travel(datetime.fromisoformat(f"{day}T03:00:00+00:00"), tick=True):
        api.tokens.clear()  # a token from another "day" is not valid yet, or no longer
        response = api.issue(**overrides)
    api.tokens.clear()
    assert response.status_code == 201, (day, overrides, response.json_body)
    return response.json_body


@pytest.fixture
def dynamodb_calls(api):
    """Every DynamoDB operation the service makes in the test (tests.support.stored.dynamodb_calls)."""
    with count_dynamodb_calls() as calls:
        yield calls


def test_contractor_sees_only_its_own_certificates_newest_first(api):
    # The 前払金保証 of the works, which the 中間前払金保証 below needs (domain/underwriting).
    first = issue_on(api, "2024-05-10", obligee_id="pref-demo", project_name="○○県道 橋梁工事")
    third = issue_on(api, "2024-05-12", guarantee_type="performance", guarantee_amount=10_000_000,
                     deposit_bank=DROP, project_name="境港市 岸壁補修工事")
    second = issue_on(api, "2024-05-11", guarantee_type="intermediate_advance_payment",
                      contract_amount_total=80_000_000, contract_amount_covered=60_000_000,
                      guarantee_amount=12_000_000, obligee_id="pref-demo", project_name="○○県道 橋梁工事")
    others = issue_on(api, "2024-05-13", contractor_id="contractor-2", project_name="△△工業の工事")

    response = listing(api, C1)
    assert response.status_code == 200, response.json_body
    body = response.json_body
    # The answer integrators rely on, plus the two-way pager and the order (backward compatible: fields added).
    assert set(body) == {"total", "items", "next_cursor", "prev_cursor", "last_cursor", "offset", "order"}
    assert body["total"] == 3
    assert (body["next_cursor"], body["prev_cursor"], body["last_cursor"]) == (None, None, None)
    assert (body["offset"], body["order"]) == (0, "issued_on_desc")
    assert [i["contract_number"] for i in body["items"]] == [
        third["contract_number"], second["contract_number"], first["contract_number"]]
    assert [i["label"] for i in body["items"]] == ["契約", "中間前払", "前払"]
    for item in body["items"]:
        assert ITEM_FIELDS <= set(item), item
    row = body["items"][1]
    assert {k: row[k] for k in ITEM_FIELDS} == {
        "contract_number": second["contract_number"],
        "guarantee_type": "intermediate_advance_payment",
        "label": "中間前払",
        "issued_on": "2024-05-11",
        "amended": False,
        "version": 1,
        "obligee_name": "○○県知事",
        "project_name": "○○県道 橋梁工事",
        "contract_amount_total": 80_000_000,
        "contract_amount_covered": 60_000_000,
        "guarantee_amount": 12_000_000,
    }
    assert others["contract_number"] not in {i["contract_number"] for i in body["items"]}

    theirs = listing(api, C2).json_body
    assert theirs["total"] == 1
    assert [i["contract_number"] for i in theirs["items"]] == [others["contract_number"]]
    # A contractor cannot ask for another contractor's list.
    asked = listing(api, C1, contractor_id="contractor-2").json_body
    assert [i["contract_number"] for i in asked["items"]] == [i["contract_number"] for i in body["items"]]

    # The surety lists one contractor at a time, and must say which.
    by_surety = listing(api, SURETY, contractor_id="contractor-1")
    assert by_surety.status_code == 200, by_surety.json_body
    assert by_surety.json_body == body
    missing = listing(api, SURETY)
    assert_error(missing, 400, context="surety without contractor_id")
    assert [e["field"] for e in missing.json_body["errors"]] == ["contractor_id"]


def test_search_by_number_owner_and_project_name(api):
    a = api.issue(project_name="境港市道 渡町線 道路改良工事").json_body
    b = api.issue(obligee_id="pref-demo", project_name="○○県道 トンネル工事").json_body
    c = api.issue(project_name="ＡＢＣ橋梁　補修工事", guarantee_type="performance", guarantee_amount=10_000_000,
                  deposit_bank=DROP).json_body
    d = api.issue(contractor_id="contractor-2", project_name="境港 道路改良工事").json_body
    full_width_b = b["contract_number"].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    hyphenated_b = f"{b['contract_number'][:4]}-{b['contract_number'][4:]}"
    cases = [
        ({"field": "contract_number", "q": b["contract_number"]}, [b]),
        ({"field": "contract_number", "q": full_width_b}, [b]),
        ({"field": "contract_number", "q": hyphenated_b}, [b]),
        ({"field": "contract_number", "q": d["contract_number"]}, []),  # another contractor's number
        ({"field": "obligee", "q": "境港"}, [c, a]),
        ({"field": "obligee", "q": "○○県"}, [b]),
        ({"field": "obligee", "q": "鳥取"}, []),
        ({"field": "project_name", "q": "abc橋梁補修"}, [c]),
        ({"field": "project_name", "q": "ＡＢＣ 橋梁"}, [c]),
        ({"field": "project_name", "q": "道路 改良"}, [a]),
        ({"field": "project_name", "q": "道路改良工事"}, [a]),
        ({"field": "project_name", "q": "工事"}, [c, b, a]),
        ({"field": "project_name", "q": "存在しない工事"}, []),
        ({"field": "project_name", "q": ""}, [c, b, a]),
        ({"field": "obligee", "q": "   "}, [c, b, a]),
        ({"field": "all", "q": "無視される"}, [c, b, a]),
        ({}, [c, b, a]),
    ]
    for params, expected in cases:
        response = listing(api, C1, **params)
        assert response.status_code == 200, (params, response.json_body)
        got = [i["contract_number"] for i in response.json_body["items"]]
        assert got == [e["contract_number"] for e in expected], params
        assert response.json_body["total"] == len(expected), params
        assert response.json_body["next_cursor"] is None, params

    for params, bad_field in (({"field": "builder"}, "field"), ({"field": "contract_number", "q": "abc"}, "q")):
        response = listing(api, C1, **params)
        assert_error(response, 400, context=params)
        assert [e["field"] for e in response.json_body["errors"]] == [bad_field], params


def test_pagination_visits_every_certificate_once_in_order(api, dynamodb_calls):
    numbers = []
    for i in range(45):
        name = f"橋梁補修工事 第{i}工区" if i % 3 == 0 else f"道路改良工事 第{i}工区"
        response = api.issue(project_name=name, idempotency_key=f"page-{i}")
        assert response.status_code == 201, response.json_body
        numbers.append(response.json_body["contract_number"])
    newest_first = sorted(numbers, reverse=True)  # one issue date: newest is the highest number
    bridges = [n for i, n in sorted(enumerate(numbers), key=lambda p: p[1], reverse=True) if i % 3 == 0]

    dynamodb_calls.clear()
    everything = listing(api, C1, limit=100).json_body
    assert everything["total"] == 45 and everything["next_cursor"] is None
    assert [i["contract_number"] for i in everything["items"]] == newest_first

    default = listing(api, C1).json_body
    assert len(default["items"]) == 20 and default["total"] == 45 and default["next_cursor"]
    assert [i["contract_number"] for i in default["items"]] == newest_first[:20]

    for limit, sizes in ((10, [10, 10, 10, 10, 5]), (None, [20, 20, 5]), (45, [45]), (44, [44, 1])):
        params = {} if limit is None else {"limit": limit}
        pages = all_pages(api, C1, **params)
        assert [len(p["items"]) for p in pages] == sizes, limit
        assert all(p["total"] == 45 for p in pages), limit
        assert [i["contract_number"] for p in pages for i in p["items"]] == newest_first, limit

    pages = all_pages(api, C1, field="project_name", q="橋梁", limit=4)
    assert [len(p["items"]) for p in pages] == [4, 4, 4, 3]
    assert all(p["total"] == 15 for p in pages)
    assert [i["contract_number"] for p in pages for i in p["items"]] == bridges

    assert [i["contract_number"] for i in listing(api, C1, limit="５").json_body["items"]] == newest_first[:5]
    for bad in ("0", "101", "abc", "-1", "1.5", "1e2"):
        response = listing(api, C1, limit=bad)
        assert_error(response, 400, "validation_error", context=bad)
        assert [e["field"] for e in response.json_body["errors"]] == ["limit"], bad
        assert "limit" in response.json_body["message"], bad

    # All of it by Query on the contractor index; each page read at most limit + 1 items.
    assert "Query" in dynamodb_calls.operations
    assert "Scan" not in dynamodb_calls.operations, sorted(set(dynamodb_calls.operations))

    dynamodb_calls.clear()
    page = listing(api, C1, limit=10).json_body
    assert len(page["items"]) == 10
    assert dynamodb_calls.query_scanned_counts and max(dynamodb_calls.query_scanned_counts) <= 11, (
        dynamodb_calls.query_scanned_counts)
    dynamodb_calls.clear()
    listing(api, C1, cursor=page["next_cursor"], limit=10)
    assert max(dynamodb_calls.query_scanned_counts) <= 11, dynamodb_calls.query_scanned_counts
    assert "Scan" not in dynamodb_calls.operations


def test_search_and_surety_listing_use_query_never_scan(api, dynamodb_calls):
    for i in range(3):
        assert api.issue(project_name=f"道路改良工事 {i}").status_code == 201
    dynamodb_calls.clear()
    cases = [
        (C1, {}),
        (C1, {"field": "project_name", "q": "道路"}),
        (C1, {"field": "obligee", "q": "境港"}),
        (C1, {"field": "contract_number", "q": "2070"}),
        (SURETY, {"contractor_id": "contractor-1"}),
    ]
    for user, params in cases:
        response = listing(api, user, **params)
        assert response.status_code == 200, (params, response.json_body)
        assert response.json_body["total"] == 3, params
        assert "Query" in dynamodb_calls.operations, params
        assert "Scan" not in dynamodb_calls.operations, (params, dynamodb_calls.operations)
        dynamodb_calls.clear()

    # The hooks do see a Scan when one happens (so the assertions above can fail).
    from chalicelib.store.models import GuaranteeVersion

    list(GuaranteeVersion.scan(limit=1))
    assert "Scan" in dynamodb_calls.operations


def _decode(cursor: str) -> tuple[dict[str, Any], str]:
    body, _, signature = cursor.partition(".")
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))), signature


def _encode(state: dict[str, Any], signature: str) -> str:
    payload = json.dumps(state, sort_keys=True, separators=(",", ":")).encode()
    return f"{base64.urlsafe_b64encode(payload).decode().rstrip('=')}.{signature}"


def test_cursor_cannot_be_forged_or_used_by_someone_else(api):
    mine = [api.issue(project_name=f"○○建設の工事 {i}").json_body["contract_number"] for i in range(3)]
    theirs = [api.issue(contractor_id="contractor-2", project_name=f"△△工業の工事 {i}").json_body["contract_number"]
              for i in range(3)]

    first = listing(api, C2, limit=1).json_body
    cursor = first["next_cursor"]
    assert cursor
    # Their own cursor works for contractor-2 ...
    follow = listing(api, C2, limit=1, cursor=cursor)
    assert follow.status_code == 200
    assert [i["contract_number"] for i in follow.json_body["items"]] == [sorted(theirs, reverse=True)[1]]
    # ... but not for contractor-1, and shows none of contractor-2's data.
    stolen = listing(api, C1, limit=1, cursor=cursor)
    assert_error(stolen, 400, "invalid_cursor")
    assert [e["field"] for e in stolen.json_body["errors"]] == ["cursor"]
    assert set(stolen.json_body) == {"code", "message", "errors"}
    assert not any(n in json.dumps(stolen.json_body) for n in theirs)

    state, signature = _decode(cursor)
    mine_first = listing(api, C1, limit=1).json_body["next_cursor"]
    mine_state, mine_signature = _decode(mine_first)
    flipped = signature[:-3] + ("A" if signature[-3] != "A" else "B") + signature[-2:]
    forged = {
        "other contractor in payload": _encode({**state, "c": "contractor-1"}, signature),
        "later position": _encode({**mine_state, "sort": "9999-12-31#9999999999"}, mine_signature),
        "signature flipped": f"{mine_first.partition('.')[0]}.{flipped}",
        "signature dropped": mine_first.partition(".")[0],
        "other signature": f"{mine_first.partition('.')[0]}.{signature}",
        "non-ASCII signature": f"{mine_first.partition('.')[0]}.署名",
        "garbage": "not-a-cursor",
        "dot": ".",
        "non-base64": "%%%.%%%",
        "json list": _encode([1, 2], mine_signature),  # type: ignore[arg-type]
    }
    for name, bad in forged.items():
        response = listing(api, C1, limit=1, cursor=bad)
        assert_error(response, 400, "invalid_cursor", context=name)
        assert not any(n in json.dumps(response.json_body) for n in theirs), name

    # A cursor is bound to its search, too.
    other_search = listing(api, C1, limit=1, cursor=mine_first, field="project_name", q="工事")
    assert_error(other_search, 400, "invalid_cursor")

    # The surety's cursor for one contractor does not page another's list.
    surety_cursor = listing(api, SURETY, contractor_id="contractor-2", limit=1).json_body["next_cursor"]
    crossed = listing(api, SURETY, contractor_id="contractor-1", limit=1, cursor=surety_cursor)
    assert_error(crossed, 400, "invalid_cursor")
    pages = all_pages(api, SURETY, contractor_id="contractor-1", limit=2)
    assert [i["contract_number"] for p in pages for i in p["items"]] == sorted(mine, reverse=True)

