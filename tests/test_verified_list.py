"""The owner's 確認済み一覧 (issue 20): one Query a page of denormalised rows, newest 確認日時 first, with the columns
a clerk matches against a 前払金請求書; kept current by every writer of the guarantee in its own transaction (a
verification racing a change never leaves a row that misses it); searched by number, 工事名 and 受注者; each row
reopens its certificate for this owner only."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from tests.support.api import (
    CONTRACTOR,
    OTHER_OWNER,
    OWNER,
    SURETY,
    UNKNOWN_NUMBER,
    amend,
    cancel,
    events_of,
    issue,
    show_key,
    verify,
)
from tests.support.portal import C1, C2, signed_in
from tests.support.stored import atomic_dynamodb, dynamodb_calls, dynamodb_fault


def listed(api: Any, query: str = "", user: str = OWNER) -> dict[str, Any]:
    response = api.get(f"/v1/verifications{query}", user=user)
    assert response.status_code == 200, response.json_body
    return response.json_body


def verified(api: Any, **overrides: Any) -> str:
    """A guarantee issued and verified by its owner."""
    number = issue(api, **overrides)
    owner = OTHER_OWNER if overrides.get("obligee_id") == "pref-demo" else OWNER
    holder = C2 if overrides.get("contractor_id") == "contractor-2" else CONTRACTOR
    assert verify(api, number, show_key(api, number, user=holder), user=owner).status_code == 200
    return number


def row_text(text: str, number: str) -> str:
    """A row of the portal's list, as read: from its number to the next number."""
    start = text.index(number)
    end = text.find("2070", start + 10)
    return text[start:end if end > 0 else len(text)]


def row(number: str, obligee_id: str = "sakaiminato") -> Any:
    from chalicelib.store.verifications import get

    return get(obligee_id, number, consistent_read=True)


def current(number: str) -> Any:
    """The row's state as it should be: that of the guarantee's latest version (read consistently)."""
    from chalicelib.domain.records import VerifiedState
    from chalicelib.store.guarantees import _record
    from chalicelib.store.models import GuaranteeVersion

    (latest,) = [_record(i) for i in GuaranteeVersion.query(number, consistent_read=True)
                 if i.latest_contractor_id is not None]
    return VerifiedState.of(latest)


def test_the_list_shows_what_a_clerk_matches_newest_first(api):
    from chalicelib.domain.clock import japan_today

    same = verified(api, project_name="そのままの工事")
    changed = verified(api, project_name="変更される工事", guarantee_amount=35_000_000)
    recorded = verified(api, project_name="工期が延びる工事")
    ended = verified(api, project_name="解約される工事")
    by_other = verified(api, contractor_id="contractor-2", project_name="△△工業の工事", guarantee_amount=20_000_000)
    pref = verified(api, obligee_id="pref-demo", project_name="○○県の工事")

    assert amend(api, changed, {"expected_version": 1, "guarantee_amount": 30_000_000}).status_code == 201
    assert amend(api, recorded, {"expected_version": 1, "completion_date": "2025-06-30"}).status_code == 200
    assert cancel(api, ended, {"reason": "工事中止"}).status_code == 200

    items = listed(api)["items"]
    assert [i["contract_number"] for i in items] == [by_other, ended, recorded, changed, same]  # newest 確認日時 first
    by_number = {i["contract_number"]: i for i in items}
    assert by_number[same] == {
        "contract_number": same, "version": 1, "verified_version": 1, "verified_at": by_number[same]["verified_at"],
        "changed_since_verified": False, "status": "active", "project_name": "そのままの工事", "label": "前払",
        "guarantee_type": "advance_payment", "contractor_name": "株式会社○○建設", "guarantee_amount": 40_000_000,
        "issued_on": japan_today().isoformat(),
    }
    assert by_number[by_other]["contractor_name"] == "株式会社△△工業"
    assert by_number[by_other]["guarantee_amount"] == 20_000_000
    # 確認後に変更あり: a new version (with its 保証金額), a change recorded without one; 解約 is its status.
    assert (by_number[changed]["changed_since_verified"], by_number[changed]["version"],
            by_number[changed]["guarantee_amount"]) == (True, 2, 30_000_000)
    assert (by_number[recorded]["changed_since_verified"], by_number[recorded]["version"]) == (True, 1)
    assert (by_number[ended]["status"], by_number[ended]["changed_since_verified"]) == ("cancelled", False)
    assert pref not in by_number and [i["contract_number"] for i in listed(api, user=OTHER_OWNER)["items"]] == [pref]
    for number in (same, changed, recorded, ended, by_other):
        assert row(number).state == current(number)

    # Verifying again moves the row to the top and clears the mark.
    assert verify(api, changed, show_key(api, changed)).status_code == 200
    again = listed(api)["items"]
    assert again[0]["contract_number"] == changed
    assert (again[0]["changed_since_verified"], again[0]["verified_version"]) == (False, 2)

    # The portal draws the same rows, each a link that opens the certificate again.
    page = signed_in(api, OWNER).get("/verifications")
    assert page.status_code == 200
    text = page.visible_text
    for number in (same, changed, recorded, ended, by_other):
        assert f'href="/verifications/{number}"' in page.text
    assert "株式会社△△工業" in text and "20,000,000" in text and "○○県の工事" not in text
    assert "確認後に変更あり" in row_text(text, recorded) and "変更なし" in row_text(text, same)
    assert "解約" in row_text(text, ended) and "確認後に変更あり" not in row_text(text, ended)
    assert "第2版" in row_text(text, changed) and "確認後に変更あり" not in row_text(text, changed)


def test_search_by_number_project_and_contractor(api):
    first = verified(api, project_name="境港市道 渡町線 道路改良工事")
    second = verified(api, project_name="境港市 第二工区 舗装工事")
    third = verified(api, contractor_id="contractor-2", project_name="外江地区 排水路工事")
    pref = verified(api, obligee_id="pref-demo", project_name="○○県 道路改良工事")

    def found(**params: str) -> list[str]:
        return [i["contract_number"] for i in listed(api, "?" + urlencode(params))["items"]]

    assert found(field="contract_number", q=second) == [second]
    wide = "".join(chr(ord(c) + 0xFEE0) for c in second)  # full-width digits, with a hyphen
    assert found(field="contract_number", q=f"{wide[:4]}-{wide[4:]}") == [second]
    assert found(field="contract_number", q=pref) == []  # another owner's: as if unknown
    assert found(field="contract_number", q=UNKNOWN_NUMBER) == []
    assert found(field="project_name", q="道路改良") == [first]  # not the other owner's 道路改良工事
    assert found(field="project_name", q="ＤＵＭＭＹ") == []
    assert found(field="project_name", q="境港市") == [second, first]
    assert found(field="project_name", q="第 二 工区") == [second]  # spaces ignored
    assert found(field="contractor", q="△△") == [third]
    assert found(field="contractor", q="株式会社") == [third, second, first]
    assert found(field="all", q="whatever") == [third, second, first]

    for params, field in (({"field": "contract_number", "q": "2070"}, "q"), ({"field": "obligee", "q": "x"}, "field"),
                          ({"field": "project_name", "q": "x" * 101}, "q")):
        response = api.get(f"/v1/verifications?{urlencode(params)}", user=OWNER)
        assert response.status_code == 400 and response.json_body["errors"][0]["field"] == field, response.json_body

    # Paged searches keep their search; a cursor of one search is refused by another.
    search = {"field": "contractor", "q": "株式会社", "limit": "2"}
    page1 = listed(api, f"?{urlencode(search)}")
    assert [i["contract_number"] for i in page1["items"]] == [third, second]
    page2 = listed(api, f"?{urlencode({**search, 'cursor': page1['next_cursor']})}")
    assert [i["contract_number"] for i in page2["items"]] == [first] and page2["next_cursor"] is None
    other = {"field": "project_name", "q": "境港市", "limit": "2", "cursor": page1["next_cursor"]}
    refused = api.get(f"/v1/verifications?{urlencode(other)}", user=OWNER)
    assert refused.status_code == 400 and refused.json_body["code"] == "invalid_cursor"

    # The portal's search form: the same rules, a refused search shown on its field.
    browser = signed_in(api, OWNER)
    page = browser.get("/verifications?field=project_name&q=%E8%88%97%E8%A3%85")  # 舗装
    assert f'href="/verifications/{second}"' in page.text and f'href="/verifications/{first}"' not in page.text
    bad = browser.get("/verifications?field=contract_number&q=12")
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.text and "10桁" in bad.visible_text


def test_a_page_of_100_is_one_query_of_the_owners_rows(api):
    """101 verified rows (the 100 beyond the first written as the store writes them): a page of 100 is one Query
    reading 101 rows and nothing else; the next page holds the one left."""
    from chalicelib.store import verifications
    from chalicelib.store.connection import transact
    from chalicelib.store.guarantees import latest_version

    number = verified(api)
    latest = latest_version(number)
    first = row(number)
    assert latest is not None and first is not None
    for i in range(100):
        earlier = first.verified_at - timedelta(minutes=i + 1)
        entry = replace(first, contract_number=f"20790{i:05d}", verified_at=earlier)
        transact(lambda tx, e=entry: verifications.save_in(tx, e, latest))

    api.token(OWNER)
    with dynamodb_calls() as calls:
        page = listed(api, "?limit=100")
    assert len(page["items"]) == 100 and page["items"][0]["contract_number"] == number
    assert calls.tables == [("Query", "verifications")], calls.tables
    assert calls.query_scanned_counts == [101]
    rest = listed(api, f"?limit=100&cursor={page['next_cursor']}")
    assert [i["contract_number"] for i in rest["items"]] == ["2079000099"] and rest["next_cursor"] is None


def test_the_reopen_link_is_this_owners_only_and_audited(api):
    number = verified(api)
    pref = verified(api, obligee_id="pref-demo", project_name="○○県の工事")
    unverified = issue(api, project_name="確認していない工事")
    verified_at = listed(api)["items"][0]["verified_at"]

    reopened = api.get(f"/v1/verifications/{number}", user=OWNER)
    assert reopened.status_code == 200, reopened.json_body
    assert reopened.json_body["verified_at"] == verified_at
    assert reopened.json_body["certificate"]["contract_number"] == number
    assert reopened.json_body["pdf_url"].startswith("http")
    trail = events_of(api, number, "verification_reopened")
    assert len(trail) == 1 and (trail[0]["actor"], trail[0]["org_id"]) == (OWNER, "sakaiminato")
    assert trail[0]["detail"] == {"version": 1, "verified_version": 1}

    # Another owner's, one not verified, an unknown number: the one 404 of a failed verification.
    unknown = api.get(f"/v1/verifications/{UNKNOWN_NUMBER}", user=OWNER)
    assert unknown.status_code == 404 and unknown.json_body["code"] == "verification_failed"
    for user, other in ((OWNER, pref), (OWNER, unverified), (OTHER_OWNER, number), (OTHER_OWNER, unverified)):
        refused = api.get(f"/v1/verifications/{other}", user=user)
        assert (refused.status_code, refused.json_body) == (404, unknown.json_body), (user, other)
    # Other roles are refused by role, alike for every number (nothing about the number shows).
    for user in (CONTRACTOR, SURETY):
        known = api.get(f"/v1/verifications/{number}", user=user)
        assert known.status_code == 403 and known.json_body == api.get(f"/v1/verifications/{UNKNOWN_NUMBER}",
                                                                       user=user).json_body
    assert events_of(api, pref, "verification_reopened") == []

    # The portal's link: the certificate again for this owner, the same 404 page for anyone else.
    page = signed_in(api, OWNER).get(f"/verifications/{number}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "確認済みの保証証書です" in page.visible_text and "境港市道 渡町線 道路改良工事" in page.visible_text
    assert "PDFをダウンロード" in page.visible_text
    other_owner = signed_in(api, OTHER_OWNER)
    refused_page, unknown_page = other_owner.get(f"/verifications/{number}"), other_owner.get(
        f"/verifications/{UNKNOWN_NUMBER}")
    assert refused_page.status_code == unknown_page.status_code == 404
    assert refused_page.visible_text == unknown_page.visible_text
    assert signed_in(api, C1).get(f"/verifications/{number}").status_code == 403
    assert len(events_of(api, number, "verification_reopened")) == 2


def test_a_verification_racing_a_change_never_misses_it(api, monkeypatch):
    """Both orders of the race, made to happen: a change commits between a verification's read and its commit
    (the verification is refused, reads again and records the changed guarantee), and an owner verifies between
    a change's read of the row and its commit (the change is refused and tried again with the row)."""
    from chalicelib.domain.principal import Principal
    from chalicelib.services import amendments
    from chalicelib.services.amendments import amend as amend_directly
    from chalicelib.services.verification import verify as verify_directly
    from chalicelib.store import auth_keys, verifications

    surety, owner = Principal(SURETY, "surety", "surety"), Principal(OWNER, "obligee", "sakaiminato")

    # 1. The change wins the race: the verification records version 2, never version 1 with a stale state.
    number = issue(api)
    key = show_key(api, number)
    real_record = auth_keys.record_success
    tries = []

    def amended_meanwhile(*args: Any, **kwargs: Any) -> Any:
        if not tries:
            amend_directly(surety, number, {"expected_version": 1, "expected_revision": 1,
                                            "guarantee_amount": 30_000_000}, "race-1", "r1")
        tries.append(args[3].version)
        return real_record(*args, **kwargs)

    monkeypatch.setattr(auth_keys, "record_success", amended_meanwhile)
    answer = verify(api, number, key)
    monkeypatch.setattr(auth_keys, "record_success", real_record)
    assert answer.status_code == 200, answer.json_body
    assert tries == [1, 2] and answer.json_body["certificate"]["version"] == 2
    assert (row(number).verified_version, row(number).state) == (2, current(number))
    assert listed(api)["items"][0]["changed_since_verified"] is False

    # 2. The verification wins: the change, which read no row, is refused, reads the row and keeps it current.
    number = issue(api, project_name="確認と変更が重なる工事")
    key = show_key(api, number)
    real_get = verifications.get
    looked: list[bool] = []

    def verified_meanwhile(obligee_id: str, contract_number: str, **kwargs: Any) -> Any:
        found = real_get(obligee_id, contract_number, **kwargs)
        if contract_number == number and not looked and not kwargs.get("consistent_read"):
            verify_directly(owner, {"contract_number": number, "auth_key": key}, "race-2")
        looked.append(found is not None)
        return found

    monkeypatch.setattr(amendments.verification_store, "get", verified_meanwhile)
    status, body = amend_directly(surety, number, {"expected_version": 1, "expected_revision": 1,
                                                   "guarantee_amount": 25_000_000},
                                  "race-2", "r2")
    monkeypatch.setattr(amendments.verification_store, "get", real_get)
    assert (status, body["version"]) == (201, 2)
    assert looked[0] is False and looked[-1] is True  # refused once for the row, then done with it
    assert row(number).state == current(number) and row(number).state.guarantee_amount == 25_000_000
    assert (row(number).verified_version, listed(api)["items"][0]["changed_since_verified"]) == (1, True)
    # The owner who verified meanwhile is told of the change (it read the row on its second try).
    assert len(events_of(api, number, "amended")) == 1


def test_concurrent_verifications_and_changes_leave_every_row_current(api):
    """Verifications and changes of the same guarantees at once, in threads (DynamoDB's atomicity per request
    emulated): whatever wins, nothing fails but a change that lost to another change, and every row ends with the
    state of its guarantee's latest version. (Which interleavings occur is up to the scheduler; the two that
    would lose a change are forced in test_a_verification_racing_a_change_never_misses_it.)"""
    from chalicelib.domain.principal import Principal
    from chalicelib.errors import Conflict
    from chalicelib.services.amendments import amend as amend_directly
    from chalicelib.services.amendments import cancel as cancel_directly
    from chalicelib.services.tables import use_tables
    from chalicelib.services.verification import verify as verify_directly

    numbers = [issue(api, project_name=f"同時工事{i}") for i in range(3)]
    keys = {n: show_key(api, n) for n in numbers}
    use_tables()
    surety, owner = Principal(SURETY, "surety", "surety"), Principal(OWNER, "obligee", "sakaiminato")
    jobs = []
    for i, n in enumerate(numbers):
        jobs.append(lambda n=n: verify_directly(owner, {"contract_number": n, "auth_key": keys[n]}, "v"))
        jobs.append(lambda n=n, i=i: amend_directly(surety, n, {"expected_version": 1, "expected_revision": 1,
                                                                              "guarantee_amount": 31_000_000},
                                                    f"amend-{n}", "a"))
        jobs.append(lambda n=n: amend_directly(surety, n, {"expected_version": 1, "expected_revision": 1,
                                                                  "completion_date": "2025-05-31"},
                                               f"record-{n}", "r"))
        jobs.append(lambda n=n: verify_directly(owner, {"contract_number": n, "auth_key": keys[n]}, "v2"))
        if i == 2:
            jobs.append(lambda n=n: cancel_directly(surety, n, {"reason": "工事中止"}, f"cancel-{n}", "c"))
    barrier = threading.Barrier(len(jobs))
    failures: list[Any] = []

    def run(job: Any) -> None:
        barrier.wait()
        try:
            job()
        except Conflict:
            pass  # a change that lost to another change of the same version
        except Exception as exc:  # judged below
            failures.append(exc)

    with atomic_dynamodb():
        threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert failures == []
    for n in numbers:
        assert row(n) is not None and row(n).state == current(n), n


def test_a_fault_at_any_call_of_a_verification_leaves_no_half_row(api):
    """Each DynamoDB call of a verification fails in turn (before, or after taking effect): the row is either not
    there or whole and current, and a retry records it."""
    number = issue(api)
    key = show_key(api, number)
    api.token(OWNER)
    with dynamodb_fault(0, after=False) as calls:
        assert verify(api, number, key).status_code == 200
    operations = list(calls)
    assert "TransactWriteItems" in operations, operations
    for at in range(1, len(operations) + 1):
        for after in (False, True):
            number = issue(api, project_name=f"障害{at}{after}")
            key = show_key(api, number)
            with dynamodb_fault(at, after):
                answer = verify(api, number, key)
            assert answer.status_code in (200, 404, 500), (at, after, answer.json_body)
            found = row(number)
            assert found is None or found.state == current(number), (at, after)
            assert verify(api, number, key).status_code == 200, (at, after)
            assert row(number).state == current(number)


SEEN_FIRST = {"expected_version": 1, "expected_revision": 1}  # given, so the helper reads nothing under a fault


def test_a_fault_in_a_change_keeps_the_row_with_the_guarantee(api):
    number = verified(api)
    with dynamodb_fault(0, after=False) as calls:
        assert amend(api, number, {**SEEN_FIRST, "guarantee_amount": 30_000_000}).status_code == 201
    at = list(calls).index("TransactWriteItems") + 1
    for after in (False, True):
        number = verified(api, project_name=f"変更の障害{after}")
        with dynamodb_fault(at, after):
            response = amend(api, number, {**SEEN_FIRST, "guarantee_amount": 30_000_000}, key=f"f{after}")
        assert response.status_code == 500
        assert row(number).state == current(number)
        assert row(number).state.version == (2 if after else 1)


def test_a_partial_search_reads_only_the_owners_rows_in_one_call(api):
    numbers = [verified(api, project_name=f"検索工事{i}") for i in range(3)]
    verified(api, obligee_id="pref-demo", project_name="検索工事 県")
    api.token(OWNER)
    for field, q, expected in (("project_name", "検索工事1", [numbers[1]]), ("contractor", "○○建設", numbers[::-1])):
        with dynamodb_calls() as calls:
            found = listed(api, f"?{urlencode({'field': field, 'q': q})}")
        assert [i["contract_number"] for i in found["items"]] == expected
        assert calls.tables == [("Query", "verifications")] and calls.query_scanned_counts == [3]
        assert json.dumps(found, ensure_ascii=False).count("県") == 0
