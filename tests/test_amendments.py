"""変更契約 (amendments) and 解約 (cancellation) through the API, as the surety, the contractor and the owner
see them, plus what is stored: versions, the list's marker, S3 objects, audit events, idempotency records
and the emails sent. The concurrency test calls the domain function directly from threads (the Chalice test
client is not thread-safe); the fault test fails DynamoDB calls underneath the API, at botocore."""

from __future__ import annotations

import io
import re
import threading
from datetime import UTC, datetime
from typing import Any

import requests
from pypdf import PdfReader

from scripts.demo_data import CONTRACTORS, OBLIGEES
from tests.support.api import (
    CONTRACTOR,
    CONTRACTOR_EMAIL,
    OWNER,
    OWNER_EMAIL,
    SURETY,
    UNKNOWN_NUMBER,
    amend,
    assert_error,
    cancel,
    events_of,
    issue,
    listed,
    read,
    show_key,
    verify,
)
from tests.support.clock import frozen
from tests.support.stored import atomic_dynamodb, bucket, dynamodb_calls, dynamodb_fault, pdf_text, s3_client
from tests.support.world import DROP, mails_about, recipients, sent_emails

PROJECT = "境港市道 渡町線 道路改良工事"
AMENDED_SUBJECT = "電子証書(変更)発行のお知らせ"
CANCELLED_SUBJECT = "保証契約解約のお知らせ"
KEY_PATTERN = re.compile(r"[0-9A-HJKMNP-TV-Z]{5}-?[0-9A-HJKMNP-TV-Z]{5}")


def verified_item(api: Any, number: str) -> dict[str, Any]:
    response = api.get("/v1/verifications", user=OWNER)
    assert response.status_code == 200, response.json_body
    (item,) = [i for i in response.json_body["items"] if i["contract_number"] == number]
    return item


# --- what is stored, as an auditor would look -------------------------------------------------------


def stored(number: str, key: str | None = None) -> dict[str, Any]:
    """Versions (with the list's marker), audit event types and idempotency records of one guarantee
    (all of them, or only the surety's amendment with Idempotency-Key `key`)."""
    from chalicelib.store.models import AuditEvent, GuaranteeVersion, IdempotencyRecord

    versions = list(GuaranteeVersion.query(number, consistent_read=True))
    if key is None:
        records = IdempotencyRecord.scan(IdempotencyRecord.key.contains(f":{number}#"), consistent_read=True)
    else:
        records = IdempotencyRecord.batch_get([f"{SURETY}#amend:{number}#{key}"], consistent_read=True)
    return {
        "versions": [int(v.version) for v in versions],
        "marked": [int(v.version) for v in versions if v.latest_contractor_id is not None],
        "events": sorted(e.type for e in AuditEvent.query(number, consistent_read=True)),
        "idempotency": sorted(r.key.split("#")[1] for r in records),
    }


def s3_objects(prefix: str) -> dict[str, str]:
    """Key -> VersionId of the current objects under the prefix, plus "key#VersionId" for any older version
    (the bucket is versioned: an overwritten certificate would show up here)."""
    listed_versions = s3_client().list_object_versions(Bucket=bucket(), Prefix=prefix)
    return {v["Key"]: v["VersionId"] for v in listed_versions.get("Versions", [])} | {
        f"{v['Key']}#{v['VersionId']}": v["VersionId"] for v in listed_versions.get("Versions", [])
        if not v["IsLatest"]
    }


def s3_pdf(key: str) -> tuple[str, bytes]:
    got = s3_client().get_object(Bucket=bucket(), Key=key)
    return got["VersionId"], got["Body"].read()


def pdf_title(data: bytes) -> str:
    return PdfReader(io.BytesIO(data)).metadata.title


# --- a new certificate version -----------------------------------------------------------------------


def test_guarantee_amount_change_issues_version_2_and_keeps_version_1(api):
    from chalicelib.domain.clock import japan_today

    number = issue(api)
    key = show_key(api, number)
    assert verify(api, number, key).status_code == 200
    v1_key = f"certificates/{number}/v1.pdf"
    v1_version_id, v1_bytes = s3_pdf(v1_key)

    change = {"expected_version": 1, "guarantee_amount": 30_000_000}  # 減額
    response = amend(api, number, change, key="amend-v2")
    body = response.json_body
    assert response.status_code == 201, body
    assert body["contract_number"] == number
    assert body["version"] == 2 and body["amended"] is True and body["certificate_issued"] is True
    assert body["guarantee_amount"] == 30_000_000
    assert body["changes"] == ["保証金額: 40,000,000円 → 30,000,000円"]
    assert body["issued_on"] == japan_today().isoformat()
    assert body["status"] == "active"
    # What did not change is carried over.
    assert body["project_name"] == PROJECT and body["contract_amount_total"] == 100_000_000
    assert body["deposit_bank"] == "山陰銀行 境港支店" and body["obligee"]["obligee_id"] == "sakaiminato"
    assert stored(number) == {"versions": [1, 2], "marked": [2],
                              "events": ["amended", "issued", "key_shown", "verification_succeeded"],
                              "idempotency": [f"amend:{number}"]}
    (event,) = events_of(api, number, "amended")
    assert event["actor"] == SURETY and event["role"] == "surety"
    assert event["detail"] == {"version": 2, "changed": {"guarantee_amount": [40_000_000, 30_000_000]}}

    # A new certificate document for version 2; version 1's object is untouched (same S3 version).
    assert set(s3_objects(f"certificates/{number}/")) == {v1_key, f"certificates/{number}/v2.pdf"}
    assert s3_pdf(v1_key) == (v1_version_id, v1_bytes)
    v2_bytes = s3_pdf(f"certificates/{number}/v2.pdf")[1]
    assert pdf_title(v2_bytes) == f"保証証書 (前払金保証) {number} (変更)"
    assert pdf_title(v1_bytes) == f"保証証書 (前払金保証) {number}"
    assert "30,000,000" in pdf_text(v2_bytes) and "40,000,000" not in pdf_text(v2_bytes)
    assert "40,000,000" in pdf_text(v1_bytes)

    # The retry answers the same and writes nothing; the same key with another body is refused.
    again = amend(api, number, change, key="amend-v2")
    assert again.status_code == 201 and again.json_body == body
    reused = amend(api, number, {"expected_version": 1, "guarantee_amount": 20_000_000}, key="amend-v2")
    assert_error(reused, 422, "idempotency_key_reused")
    # An amendment of the old version is refused and says which version is current.
    stale = amend(api, number, {"expected_version": 1, "guarantee_amount": 20_000_000})
    assert_error(stale, 409, "version_conflict")
    assert stale.json_body["current_version"] == 2
    ahead = amend(api, number, {"expected_version": 3, "guarantee_amount": 20_000_000})
    assert_error(ahead, 409, "version_conflict")
    assert ahead.json_body["current_version"] == 2
    assert stored(number)["versions"] == [1, 2] and stored(number)["events"].count("amended") == 1
    assert set(s3_objects(f"certificates/{number}/")) == {v1_key, f"certificates/{number}/v2.pdf"}

    # The portal: the latest version in full with the history; ?version=k shows an older one.
    latest = read(api, number)
    assert latest.status_code == 200, latest.json_body
    assert latest.json_body["version"] == 2 and latest.json_body["latest_version"] == 2
    assert latest.json_body["guarantee_amount"] == 30_000_000 and latest.json_body["amended"] is True
    assert [v["version"] for v in latest.json_body["versions"]] == [2, 1]
    assert latest.json_body["versions"][0]["changes"] == body["changes"]
    assert latest.json_body["versions"][1]["amended"] is False
    old = read(api, number, "?version=1")
    assert old.status_code == 200, old.json_body
    assert old.json_body["version"] == 1 and old.json_body["latest_version"] == 2
    assert old.json_body["guarantee_amount"] == 40_000_000 and old.json_body["amended"] is False
    assert old.json_body["changes"] == []
    assert read(api, number, "?version=2", user=SURETY).json_body == latest.json_body
    assert_error(read(api, number, "?version=9"), 404, "version_not_found")
    assert_error(read(api, number, "?version=x"), 400, fields={"version"})
    assert_error(read(api, number, "?version=1", user="demo-contractor-2"), 404)

    old_pdf = api.get(f"/v1/certificates/{number}/pdf?version=1", user=CONTRACTOR)
    assert old_pdf.status_code == 200, old_pdf.json_body
    assert old_pdf.json_body["version"] == 1
    assert requests.get(old_pdf.json_body["url"], timeout=10).content == v1_bytes
    new_pdf = api.get(f"/v1/certificates/{number}/pdf", user=CONTRACTOR)
    assert new_pdf.json_body["version"] == 2
    assert requests.get(new_pdf.json_body["url"], timeout=10).content == v2_bytes
    assert_error(api.get(f"/v1/certificates/{number}/pdf?version=9", user=CONTRACTOR), 404, "version_not_found")
    assert_error(api.get(f"/v1/certificates/{number}/pdf?version=x", user=CONTRACTOR), 400, fields={"version"})

    # The 認証キー stays the same: the owner verifies version 2 with the key it was given.
    assert show_key(api, number) == key
    assert verified_item(api, number)["changed_since_verified"] is True
    verified = verify(api, number, key)
    assert verified.status_code == 200, verified.json_body
    certificate = verified.json_body["certificate"]
    assert certificate["version"] == 2 and certificate["amended"] is True
    assert certificate["guarantee_amount"] == 30_000_000
    assert [v["version"] for v in certificate["versions"]] == [2, 1]
    assert "/v2.pdf" in verified.json_body["pdf_url"]
    item = verified_item(api, number)
    assert item["changed_since_verified"] is False and item["version"] == 2 and item["verified_version"] == 2


def test_amendment_ratio_rule_and_validation_write_nothing(api):
    number = issue(api)  # 40,000,000 of 100,000,000: at 境港市's 40% limit for an advance payment
    before = stored(number)
    emails_before = len(sent_emails())

    refusals = [
        # 増額 beyond 40% of the amount covered.
        ({"guarantee_amount": 40_000_001}, {"guarantee_amount"}),
        # A larger 保証金額 with a smaller price: the cap binds a guarantee that grows (40% of 90,000,000).
        ({"contract_amount_covered": 90_000_000, "guarantee_amount": 40_000_001}, {"guarantee_amount"}),
        ({"guarantee_amount": 100_000_001}, {"guarantee_amount"}),
        ({"completion_date": "2024-03-31"}, {"completion_date"}),  # before the contract date (2024-04-01)
        ({"guarantee_amount": 30_000_000, "obligee_id": "pref-demo"}, {"obligee_id"}),
        ({}, {"body"}),
        ({"guarantee_amount": 40_000_000}, {"body"}),  # no change
    ]
    for change, fields in refusals:
        response = amend(api, number, {"expected_version": 1, **change})
        assert_error(response, 400, "validation_error", fields=fields)
    limit = amend(api, number, {"expected_version": 1, "guarantee_amount": 40_000_001})
    assert "40%以下" in limit.json_body["errors"][0]["message"]
    for expected in (None, 0, "1"):
        body = {"guarantee_amount": 30_000_000} | ({} if expected is None else {"expected_version": expected})
        assert_error(amend(api, number, body), 400, "validation_error", fields={"expected_version"})
    assert_error(amend(api, UNKNOWN_NUMBER, {"expected_version": 1, "guarantee_amount": 30_000_000}), 404)
    assert_error(api.post(f"/v1/guarantees/{number}/amendments", {"expected_version": 1, "guarantee_amount": 1},
                          user=SURETY), 400, "idempotency_key_required")
    assert_error(api.post(f"/v1/guarantees/{number}/amendments", user=SURETY, raw_body="[1]",
                          headers={"Idempotency-Key": "x"}), 400)
    assert_error(amend(api, "12345", {"expected_version": 1, "guarantee_amount": 30_000_000}), 400,
                 fields={"contract_number"})
    assert stored(number) == before
    assert len(sent_emails()) == emails_before

    # 増額 within the rule when the amount covered grows with it: a new certificate listing both changes.
    mixed = amend(api, number, {"expected_version": 1, "guarantee_amount": 48_000_000,
                                "contract_amount_total": 120_000_000, "contract_amount_covered": 120_000_000})
    assert mixed.status_code == 201, mixed.json_body
    assert mixed.json_body["version"] == 2
    assert mixed.json_body["changes"] == [
        "保証金額: 40,000,000円 → 48,000,000円",
        "請負金額(総額): 100,000,000円 → 120,000,000円",
        "請負金額(対象額): 100,000,000円 → 120,000,000円",
    ]
    # A change of the project name or the deposit bank also issues a certificate.
    renamed = amend(api, number, {"expected_version": 2, "project_name": f"{PROJECT}(その2)",
                                  "deposit_bank": "鳥取銀行 境港支店"})
    assert renamed.status_code == 201, renamed.json_body
    assert renamed.json_body["version"] == 3 and renamed.json_body["project_name"] == f"{PROJECT}(その2)"
    assert renamed.json_body["deposit_bank"] == "鳥取銀行 境港支店"
    assert stored(number)["versions"] == [1, 2, 3] and stored(number)["marked"] == [3]
    # The list's name search finds the guarantee under its new name only.
    assert [i["contract_number"] for i in listed(api, "?field=project_name&q=その2")["items"]] == [number]


def test_a_price_decrease_is_recorded_with_the_advance_repayment_it_owes(api):
    """公共工事標準請負契約約款, 前金払の条 (domain/advance.py): a smaller 請負金額 is recorded (注3) even when it
    leaves the advance above the owner's 40 %, and the answer says what is repaid: the advance above 5/10 of the new
    price, or 6/10 where an intermediate advance of the same works was paid; the history says it too."""
    number = issue(api)  # 前払金 40,000,000 of 100,000,000
    exact = amend(api, number, {"expected_version": 1, "contract_amount_total": 80_000_000})
    assert exact.status_code == 200, exact.json_body
    assert exact.json_body["certificate_issued"] is False
    assert exact.json_body["advance_repayment"] == {
        "owed": False, "amount": 0, "advance": 40_000_000, "intermediate_advance": 0, "keep_tenths": 5,
        "may_keep": 40_000_000, "price_before": 100_000_000, "price_after": 80_000_000}
    over = amend(api, number, {"expected_version": 1, "contract_amount_total": 60_000_000})
    assert over.status_code == 200, over.json_body
    assert (over.json_body["advance_repayment"]["owed"], over.json_body["advance_repayment"]["amount"]) == (
        True, 10_000_000)
    assert over.json_body["changes"][-1] == (
        "前払金の返還: 10,000,000円(受領済みの前払金 40,000,000円 − 減額後の請負金額の5/10 30,000,000円)")
    shown = read(api, number, user=SURETY).json_body
    assert shown["contract_amount_covered"] == 60_000_000 and shown["version"] == 1  # no new certificate
    assert shown["versions"][0]["recorded_changes"][-1]["changes"] == over.json_body["changes"]
    (event, _) = events_of(api, number, "change_recorded")
    assert event["detail"]["advance_repayment"]["amount"] == 10_000_000
    # An increase owes nothing to judge; a larger 保証金額 still obeys the cap against the price.
    up = amend(api, number, {"expected_version": 1, "contract_amount_total": 70_000_000})
    assert up.status_code == 200 and up.json_body["advance_repayment"] is None
    assert_error(amend(api, number, {"expected_version": 1, "guarantee_amount": 40_000_001}), 400,
                 "validation_error", fields={"guarantee_amount"})

    # With an intermediate advance of the same works: 6/10 of the new price, both advances counted.
    works = "境港市道 中間前払の工事"
    advance = issue(api, project_name=works, contract_amount_total=120_000_000)
    intermediate = issue(api, project_name=works, contract_amount_total=120_000_000,
                         guarantee_type="intermediate_advance_payment", guarantee_amount=20_000_000)
    kept = amend(api, advance, {"expected_version": 1, "contract_amount_total": 100_000_000})
    assert kept.json_body["advance_repayment"] == {
        "owed": False, "amount": 0, "advance": 40_000_000, "intermediate_advance": 20_000_000, "keep_tenths": 6,
        "may_keep": 60_000_000, "price_before": 120_000_000, "price_after": 100_000_000}
    owed = amend(api, intermediate, {"expected_version": 1, "contract_amount_total": 99_999_999})
    assert owed.json_body["advance_repayment"]["amount"] == 60_000_000 - 99_999_999 * 6 // 10
    # A 契約保証 repays no advance.
    performance = issue(api, project_name="契約保証の工事", guarantee_type="performance", guarantee_amount=10_000_000,
                        deposit_bank=DROP)
    cut = amend(api, performance, {"expected_version": 1, "contract_amount_total": 90_000_000})
    assert cut.status_code == 200 and cut.json_body["advance_repayment"] is None


def test_expected_revision_is_required(api):
    number = issue(api)
    before = stored(number)
    missing = amend(api, number, {"expected_version": 1, "expected_revision": None, "guarantee_amount": 30_000_000})
    assert_error(missing, 400, "validation_error", fields={"expected_revision"})
    assert "expected_revision" in missing.json_body["errors"][0]["message"]
    assert stored(number) == before


def test_contract_amount_or_completion_date_alone_is_recorded_without_a_certificate(api):
    number = issue(api)
    prefix = f"certificates/{number}/"
    pdfs = s3_objects(prefix)
    emails_before = len(sent_emails())

    response = amend(api, number, {"expected_version": 1, "expected_revision": 1,
                                   "contract_amount_total": 120_000_000, "contract_amount_covered": 110_000_000},
                     key="record-1")
    assert response.status_code == 200, response.json_body
    assert response.json_body["certificate_issued"] is False
    assert response.json_body["contract_number"] == number and response.json_body["version"] == 1
    assert response.json_body["changes"] == ["請負金額(総額): 100,000,000円 → 120,000,000円",
                                             "請負金額(対象額): 100,000,000円 → 110,000,000円"]
    shown = read(api, number).json_body
    assert shown["contract_amount_total"] == 120_000_000 and shown["contract_amount_covered"] == 110_000_000
    assert shown["version"] == 1 and shown["amended"] is False and [v["version"] for v in shown["versions"]] == [1]
    assert shown["guarantee_amount"] == 40_000_000
    (row,) = listed(api)["items"]
    assert row["contract_amount_total"] == 120_000_000 and row["version"] == 1 and row["amended"] is False
    assert stored(number) == {"versions": [1], "marked": [1], "events": ["change_recorded", "issued"],
                              "idempotency": [f"amend:{number}"]}
    (event,) = events_of(api, number, "change_recorded")
    assert event["detail"]["changed"]["contract_amount_total"] == [100_000_000, 120_000_000]
    # No new certificate: the version's PDF is made again for the recorded state (it prints 請負金額(総額)).
    assert set(s3_objects(prefix)) == set(pdfs) | {f"{prefix}v1-c1.pdf"}
    assert len(sent_emails()) == emails_before  # a contract amount is nothing the owner relies on
    retried = amend(api, number, {"expected_version": 1, "expected_revision": 1,
                                  "contract_amount_total": 120_000_000, "contract_amount_covered": 110_000_000},
                    key="record-1")
    assert retried.status_code == 200 and retried.json_body == response.json_body
    assert stored(number)["events"].count("change_recorded") == 1

    # The completion date moves the guarantee period with it, still without a certificate.
    later = amend(api, number, {"expected_version": 1, "completion_date": "2025-09-30"})
    assert later.status_code == 200, later.json_body
    assert later.json_body["certificate_issued"] is False
    shown = read(api, number).json_body
    assert shown["completion_date"] == "2025-09-30" and shown["guarantee_period_end"] == "2025-09-30"
    assert shown["version"] == 1 and shown["contract_amount_total"] == 120_000_000  # the earlier change stays
    assert stored(number)["versions"] == [1] and stored(number)["events"].count("change_recorded") == 2
    assert [r["changes"] for r in shown["versions"][0]["recorded_changes"]] == [
        response.json_body["changes"], later.json_body["changes"]]

    # A period change by itself issues no certificate either (注2).
    period = amend(api, number, {"expected_version": 1, "guarantee_period_end": "2025-12-31"})
    assert period.status_code == 200, period.json_body
    assert period.json_body["changes"] == ["保証期間の末日: 令和7年9月30日 → 令和7年12月31日(保証期間の変更)"]
    # A certificate issued after recorded changes prints them.
    printed = amend(api, number, {"expected_version": 1, "guarantee_amount": 44_000_000})
    assert printed.status_code == 201, printed.json_body
    v2 = read(api, number).json_body
    assert (v2["version"], v2["contract_amount_total"], v2["contract_amount_covered"]) == (2, 120_000_000, 110_000_000)
    assert (v2["completion_date"], v2["guarantee_period_end"]) == ("2025-09-30", "2025-12-31")
    # The recorded changes stay in the history of version 1; version 2 starts with none (and its own PDF).
    assert [len(v["recorded_changes"]) for v in v2["versions"]] == [0, 3]
    assert f"{prefix}v2.pdf" in s3_objects(prefix)


def test_the_list_shows_the_amendment_and_sorts_by_the_latest_issue_date(api):
    with frozen(api, datetime(2024, 5, 10, 3, 0, tzinfo=UTC)) as clock:
        first = issue(api)  # 2024-05-10 in Japan
        clock.move_to(datetime(2024, 5, 11, 3, 0, tzinfo=UTC))
        second = issue(api, project_name="境港市 第2期工事")  # 2024-05-11
        assert [i["contract_number"] for i in listed(api)["items"]] == [second, first]
        # 15:30 UTC on the 11th is already the 12th in Japan: the amended certificate is dated the 12th
        # (by the UTC date it would tie with the second guarantee and sort below it).
        clock.move_to(datetime(2024, 5, 11, 15, 30, tzinfo=UTC))
        response = amend(api, first, {"expected_version": 1, "guarantee_amount": 35_000_000})
        assert response.status_code == 201, response.json_body
        assert response.json_body["issued_on"] == "2024-05-12"
        page = listed(api)
    assert page["total"] == 2 and page["next_cursor"] is None
    assert [i["contract_number"] for i in page["items"]] == [first, second]
    top = page["items"][0]
    assert (top["amended"], top["version"], top["issued_on"], top["guarantee_amount"]) == (
        True, 2, "2024-05-12", 35_000_000)
    assert page["items"][1]["amended"] is False and page["items"][1]["version"] == 1
    # Paging walks the same order, each guarantee once (only its latest version is in the index).
    one = listed(api, "?limit=1")
    assert [i["contract_number"] for i in one["items"]] == [first] and one["next_cursor"]
    rest = listed(api, f"?limit=1&cursor={one['next_cursor']}")
    assert [i["contract_number"] for i in rest["items"]] == [second] and rest["next_cursor"] is None
    # The surety's view of the contractor's list is the same.
    assert [i["contract_number"] for i in listed(api, "?contractor_id=contractor-1", user=SURETY)["items"]] == [
        first, second]
    versions = read(api, first).json_body["versions"]
    assert [(v["version"], v["issued_on"]) for v in versions] == [(2, "2024-05-12"), (1, "2024-05-10")]


# --- concurrency and faults --------------------------------------------------------------------------


def test_concurrent_amendments_of_one_version_one_wins(api):
    from chalicelib.domain.principal import Principal
    from chalicelib.errors import Conflict
    from chalicelib.services.amendments import amend as amend_directly
    from chalicelib.services.tables import use_tables

    number = issue(api)
    use_tables()
    surety = Principal(SURETY, "surety", "surety")
    count = 10
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = amend_directly(surety, number, {"expected_version": 1, "expected_revision": 1,
                                                         "guarantee_amount": 30_000_000 + i},
                                        f"concurrent-{i}", f"request-{i}")
        except Exception as exc:  # judged below
            results[i] = exc

    with atomic_dynamodb():
        threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)

    wins = [r for r in results if isinstance(r, tuple)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1 and len(conflicts) == count - 1, results
    status, body = wins[0]
    assert status == 201 and body["version"] == 2
    assert {c.STATUS_CODE for c in conflicts} == {409}
    assert {c.code for c in conflicts} == {"version_conflict"}
    assert {c.extra_body["current_version"] for c in conflicts} == {2}
    state = stored(number)
    assert state["versions"] == [1, 2] and state["marked"] == [2] and state["events"].count("amended") == 1
    assert state["idempotency"] == [f"amend:{number}"]
    latest = read(api, number).json_body
    assert latest["guarantee_amount"] == body["guarantee_amount"] and latest["version"] == 2
    assert recipients(mails_about(number, AMENDED_SUBJECT)) == [CONTRACTOR_EMAIL]


def test_a_fault_at_any_dynamodb_call_leaves_the_old_or_the_new_state(api):
    from chalicelib.domain.clock import utc_now
    from chalicelib.store.models import Verification

    change = {"expected_version": 1, "expected_revision": 1, "guarantee_amount": 30_000_000}  # nothing read first

    def guarantee_verified_by_the_owner() -> str:
        number = issue(api)
        Verification("sakaiminato", number, verified_version=1, verified_at=utc_now(), verified_by=OWNER).save()
        return number

    old_state = {"versions": [1], "marked": [1], "events": ["issued"], "idempotency": []}
    new_state = {"versions": [1, 2], "marked": [2], "events": ["amended", "issued"],
                 "idempotency": ["amend:{}"]}

    def expected(state: dict[str, Any], number: str) -> dict[str, Any]:
        return {**state, "idempotency": [i.format(number) for i in state["idempotency"]]}

    # Without a fault: how many DynamoDB calls one amendment makes.
    number = guarantee_verified_by_the_owner()
    api.token(SURETY)  # log in first: only the amendment's own calls are counted
    with dynamodb_fault(0, after=False) as calls:
        assert amend(api, number, change).status_code == 201
    operations = list(calls)
    reads = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
    assert set(operations) - reads, operations
    assert recipients(mails_about(number, AMENDED_SUBJECT)) == [CONTRACTOR_EMAIL, OWNER_EMAIL]

    # Every call fails in turn before it reaches DynamoDB; every write also fails after taking effect
    # (for a read, losing the answer is the same as failing before).
    cases = [(at, False) for at in range(1, len(operations) + 1)]
    cases += [(at, True) for at in range(1, len(operations) + 1) if operations[at - 1] not in reads]
    outcomes = []
    for at, after in cases:
        number = guarantee_verified_by_the_owner()
        key = f"fault-{at}-{after}"
        with dynamodb_fault(at, after) as calls:
            response = amend(api, number, change, key=key)
        case = (at, operations[at - 1], "after" if after else "before")
        assert calls[:at] == operations[:at], case
        assert response.status_code in (201, 500), (case, response.json_body)
        if response.status_code == 500:
            assert response.json_body["code"] == "internal_error", case
        state = stored(number, key)
        assert state in (expected(old_state, number), expected(new_state, number)), (case, state)
        outcomes.append((case, state["versions"]))

        # A retry with the same key converges on the new state, with one version 2.
        retried = amend(api, number, change, key=key)
        assert retried.status_code == 201, (case, retried.json_body)
        assert retried.json_body["version"] == 2 and retried.json_body["guarantee_amount"] == 30_000_000
        assert amend(api, number, change, key=key).json_body == retried.json_body
        assert stored(number, key) == expected(new_state, number), case
        # Emails exactly once: they were written to the outbox with the change, whichever call failed.
        sent = recipients(mails_about(number, AMENDED_SUBJECT))
        assert sent == [CONTRACTOR_EMAIL, OWNER_EMAIL], (case, sent)
        # The version 2 document is there (made on first download if the fault came before it).
        pdf = api.get(f"/v1/certificates/{number}/pdf", user=CONTRACTOR)
        assert pdf.status_code == 200 and pdf.json_body["version"] == 2, case
    # Both outcomes occurred: faults before the commit leave the old state, faults after it the new.
    assert {tuple(v) for _, v in outcomes} == {(1,), (1, 2)}, outcomes


# --- notifications ------------------------------------------------------------------------------------


def test_a_change_reads_the_owner_and_its_verification_once(api):
    """An amendment, a recorded change that tells the owner and a cancellation each read the owner and whether it
    verified the certificate once, for the amount rule, the emails and the webhooks alike."""
    number = issue(api)
    assert verify(api, number, show_key(api, number)).status_code == 200
    changes = [
        lambda: amend(api, number, {"expected_version": 1, "guarantee_amount": 32_000_000}),
        lambda: amend(api, number, {"expected_version": 2, "completion_date": "2025-06-30"}),
        lambda: cancel(api, number, {"reason": "工事中止"}),
    ]
    api.token(SURETY)  # logged in before counting
    for change in changes:
        with dynamodb_calls() as calls:
            assert change().status_code in (200, 201)
        assert (calls.reads_of("obligees"), calls.reads_of("verifications")) == (1, 1), calls.tables


def test_notifications_of_an_amendment(api):
    verified_number = issue(api)
    unverified_number = issue(api, project_name="境港市 第2期工事")
    key = show_key(api, verified_number)
    assert verify(api, verified_number, key).status_code == 200
    # Another owner's clerk cannot verify a certificate addressed to 境港市: it verified nothing.
    assert api.post("/v1/verifications", {"contract_number": unverified_number,
                                          "auth_key": show_key(api, unverified_number)},
                    user="demo-pref").status_code == 404

    change = {"expected_version": 1, "guarantee_amount": 32_000_000}
    first = amend(api, verified_number, change, key="notify-1")
    assert first.status_code == 201, first.json_body
    mails = mails_about(verified_number, AMENDED_SUBJECT)
    assert recipients(mails) == [CONTRACTOR_EMAIL, OWNER_EMAIL]
    for mail in mails:
        assert verified_number in mail.body and PROJECT in mail.body
        assert "第2版" in mail.body
        assert "保証金額: 40,000,000円 → 32,000,000円" in mail.body
        assert "保証契約番号" in mail.body and "工事名" in mail.body
        assert not KEY_PATTERN.search(mail.body.replace(verified_number, "")), mail.body
        assert key not in mail.body and key.replace("-", "") not in mail.body
        assert "X-Amz" not in mail.body and "token" not in mail.body.lower()
    (owner_mail,) = [m for m in mails if m.destinations["ToAddresses"] == [OWNER_EMAIL]]
    assert owner_mail.body.startswith(f"{OBLIGEES['sakaiminato']['name']} 様")
    (contractor_mail,) = [m for m in mails if m.destinations["ToAddresses"] == [CONTRACTOR_EMAIL]]
    assert contractor_mail.body.startswith(f"{CONTRACTORS['contractor-1']['name']} 様")

    # A retried request sends nothing more.
    assert amend(api, verified_number, change, key="notify-1").json_body == first.json_body
    assert recipients(mails_about(verified_number, AMENDED_SUBJECT)) == [CONTRACTOR_EMAIL, OWNER_EMAIL]
    # The next amendment notifies again, once each.
    second = amend(api, verified_number, {"expected_version": 2, "guarantee_amount": 33_000_000})
    assert second.status_code == 201, second.json_body
    assert recipients(mails_about(verified_number, AMENDED_SUBJECT)) == [CONTRACTOR_EMAIL, CONTRACTOR_EMAIL,
                                                                         OWNER_EMAIL, OWNER_EMAIL]
    assert sum("第3版" in m.body for m in mails_about(verified_number, AMENDED_SUBJECT)) == 2
    # A recorded change of the contract amount alone notifies no one.
    assert amend(api, verified_number, {"expected_version": 3, "contract_amount_total": 110_000_000}).status_code == 200
    assert len(mails_about(verified_number, AMENDED_SUBJECT)) == 4
    item = verified_item(api, verified_number)
    assert item["changed_since_verified"] is True and item["version"] == 3 and item["verified_version"] == 1
    assert verify(api, verified_number, key).status_code == 200
    item = verified_item(api, verified_number)
    assert item["changed_since_verified"] is False and item["verified_version"] == 3

    # An owner that did not verify gets nothing; the contractor is told.
    assert amend(api, unverified_number, {"expected_version": 1, "guarantee_amount": 20_000_000}).status_code == 201
    assert recipients(mails_about(unverified_number, AMENDED_SUBJECT)) == [CONTRACTOR_EMAIL]
    assert [i["contract_number"] for i in api.get("/v1/verifications", user=OWNER).json_body["items"]] == [
        verified_number]


# --- cancellation ---------------------------------------------------------------------------------------


def test_cancellation(api):
    number = issue(api)
    key = show_key(api, number)
    assert verify(api, number, key).status_code == 200
    assert amend(api, number, {"expected_version": 1, "guarantee_amount": 30_000_000}).status_code == 201

    assert_error(cancel(api, number, {}), 400, "validation_error", fields={"reason"})
    assert_error(cancel(api, number, {"reason": "   "}), 400, "validation_error", fields={"reason"})
    assert_error(cancel(api, number, {"reason": "工事中止", "refund": 1}), 400, "validation_error", fields={"refund"})
    assert_error(cancel(api, number, {"reason": "工事中止"}, user=CONTRACTOR), 403)
    assert_error(cancel(api, number, {"reason": "工事中止"}, user=OWNER), 403)
    assert_error(cancel(api, UNKNOWN_NUMBER, {"reason": "工事中止"}), 404)
    assert_error(api.post(f"/v1/guarantees/{number}/cancel", {"reason": "工事中止"}, user=SURETY), 400,
                 "idempotency_key_required")
    assert read(api, number).json_body["status"] == "active"

    # 15:10 UTC on 30 June is 1 July in Japan: the date of cancellation is the Japan date.
    with frozen(api, datetime(2024, 6, 30, 15, 10, tzinfo=UTC)):
        response = cancel(api, number, {"reason": " 工事中止による解約 "}, key="cancel-1")
        # The notices are delivered while that moment lasts (the outbox's consumer runs at it).
        cancelled_mails = mails_about(number, CANCELLED_SUBJECT)
    body = response.json_body
    assert response.status_code == 200, body
    assert body["status"] == "cancelled" and body["cancelled_on"] == "2024-07-01"
    assert body["cancel_reason"] == "工事中止による解約"
    assert body["contract_number"] == number and body["version"] == 2
    assert stored(number)["versions"] == [1, 2] and stored(number)["marked"] == [2]
    assert stored(number)["events"].count("cancelled") == 1
    assert recipients(cancelled_mails) == [CONTRACTOR_EMAIL, OWNER_EMAIL]
    assert all("令和6年7月1日" in m.body and key not in m.body for m in cancelled_mails)

    # The retry gets the same answer and changes and sends nothing.
    again = cancel(api, number, {"reason": " 工事中止による解約 "}, key="cancel-1")
    assert again.status_code == 200 and again.json_body == body
    assert stored(number)["events"].count("cancelled") == 1
    assert len(mails_about(number, CANCELLED_SUBJECT)) == 2
    # Cancelling again, or amending, is refused.
    twice = cancel(api, number, {"reason": "重複"})
    assert_error(twice, 409, "guarantee_cancelled")
    refused = amend(api, number, {"expected_version": 2, "guarantee_amount": 20_000_000})
    assert_error(refused, 409, "guarantee_cancelled")
    assert refused.json_body["current_version"] == 2
    assert_error(amend(api, number, {"expected_version": 2, "contract_amount_total": 90_000_000}), 409,
                 "guarantee_cancelled")
    assert stored(number)["versions"] == [1, 2]

    # Everyone still sees it, as cancelled: the portal, the list and the owner with its key.
    shown = read(api, number).json_body
    assert (shown["status"], shown["cancelled_on"], shown["version"]) == ("cancelled", "2024-07-01", 2)
    assert listed(api)["items"][0]["status"] == "cancelled"
    verified = verify(api, number, key)
    assert verified.status_code == 200, verified.json_body
    certificate = verified.json_body["certificate"]
    assert certificate["status"] == "cancelled" and certificate["cancelled_on"] == "2024-07-01"
    assert verified_item(api, number)["status"] == "cancelled"
    assert read(api, number, "?version=1").json_body["status"] == "active"  # the old version as it was


# --- who may amend --------------------------------------------------------------------------------------


def test_only_the_surety_amends(api):
    number = issue(api)
    change = {"expected_version": 1, "guarantee_amount": 30_000_000}
    for user in (CONTRACTOR, "demo-contractor-2", OWNER, "demo-pref"):
        assert_error(amend(api, number, change, user=user), 403, "forbidden")
    unauthenticated = api.post(f"/v1/guarantees/{number}/amendments", change, headers={"Idempotency-Key": "x"})
    assert_error(unauthenticated, 401)
    assert_error(amend(api, UNKNOWN_NUMBER, change), 404, "not_found")
    assert stored(number) == {"versions": [1], "marked": [1], "events": ["issued"], "idempotency": []}
    # The refused requests left nothing behind that stands in the surety's way.
    assert amend(api, number, change, key="x").status_code == 201
