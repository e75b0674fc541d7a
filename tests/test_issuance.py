"""POST /v1/guarantees: issuing version 1 of a guarantee.

Every refusal names the field and writes nothing: no certificate, no audit event, no idempotency record,
no email, no contract number used up.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from botocore.exceptions import ClientError
from pynamodb.connection.base import Connection
from pynamodb.exceptions import TransactWriteError

from scripts.demo_data import CONTRACTORS, OBLIGEES
from tests.support.api import FIELD_NAMES, JAPANESE, SURETY, amend, assert_error
from tests.support.stored import atomic_dynamodb as serialised_dynamodb
from tests.support.world import DROP, issue_body, sent_emails

FIRST_NUMBER = "2070500001"  # APP_CONTRACT_NUMBER_BASE + 1 (.chalice/config.json)
SUBJECT = "電子証書・認証キー登録のお知らせ"


def stored() -> dict[str, int]:
    """What the service has written so far (test code may Scan)."""
    from chalicelib.store.models import AuditEvent, GuaranteeVersion, IdempotencyRecord

    return {
        "versions": sum(1 for _ in GuaranteeVersion.scan()),
        "events": sum(1 for _ in AuditEvent.scan()),
        "idempotency": sum(1 for _ in IdempotencyRecord.scan()),
        "emails": len(sent_emails()),
    }


def assert_field_errors(response, fields: set[str], context: object) -> None:
    assert_error(response, 400, "validation_error", context=context)
    errors = response.json_body.get("errors") or []
    assert {e["field"] for e in errors} == fields, (context, response.json_body)
    for e in errors:
        assert JAPANESE.search(e["message"]), (context, e)
        assert FIELD_NAMES.get(e["field"], e["field"]) in e["message"], (context, e)


def surety_principal() -> Any:
    from chalicelib.domain.principal import Principal

    return Principal(username=SURETY, role="surety", org_id="surety")


@pytest.fixture
def atomic_dynamodb():
    """moto's DynamoDB serialised per request for the whole test (tests.support.stored.atomic_dynamodb)."""
    with serialised_dynamodb():
        yield


def run_in_threads(count: int, target) -> list[Any]:
    """Call target(i) from `count` threads released at once; returns results (or exceptions) by index."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = target(i)
        except Exception as exc:  # reported by the test's assertions
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_issue_returns_the_certificate_dated_in_japan(api):
    # 2024-03-31 15:30 UTC is already 2024-04-01 in Japan: the 証書発行日 is the Japan date.
    with time_machine.travel(datetime(2024, 3, 31, 15, 30, tzinfo=UTC), tick=True):
        api.tokens.clear()  # tokens must be issued "now" in the travelled time
        response = api.issue(contract_date="2024-03-29", completion_date="2025-03-31")
        read = api.get(f"/v1/certificates/{response.json_body.get('contract_number')}", user="demo-contractor-1")
    api.tokens.clear()
    assert response.status_code == 201, response.json_body
    body = response.json_body
    assert re.fullmatch(r"[0-9]{10}", body["contract_number"]), body
    assert body["contract_number"] == FIRST_NUMBER
    assert body["version"] == 1
    assert body["issued_on"] == "2024-04-01"
    assert body["delivery"] == "electronic"
    assert body["guarantee_type"] == "advance_payment" and body["label"] == "前払"
    assert body["guarantee_amount"] == 40_000_000
    assert body["contract_amount_total"] == 100_000_000
    assert body["contract_amount_covered"] == 100_000_000  # defaults to the total
    assert body["guarantee_period_end"] == "2025-03-31"  # defaults to the completion date
    assert body["contractor"] == {"contractor_id": "contractor-1", **{
        k: CONTRACTORS["contractor-1"][k] for k in ("name", "address")}}
    assert body["obligee"] == {"obligee_id": "sakaiminato", "name": "境港市長"}
    assert body["deposit_bank"] == "山陰銀行 境港支店"
    assert read.status_code == 200, read.json_body
    assert read.json_body["issued_on"] == "2024-04-01"
    assert stored() == {"versions": 1, "events": 1, "idempotency": 1, "emails": 1}

    second = api.issue(project_name="境港市 第2期工事")
    assert second.status_code == 201, second.json_body
    assert int(second.json_body["contract_number"]) == int(FIRST_NUMBER) + 1


def test_every_validation_rule_names_its_field_and_writes_nothing(api):
    required = ["guarantee_type", "contractor_id", "obligee_id", "work_category", "project_name",
                "contract_date", "completion_date", "contract_amount_total", "guarantee_amount", "delivery"]
    cases: list[tuple[dict[str, Any], set[str]]] = [({f: DROP}, {f}) for f in required]
    for field in ("contract_amount_total", "guarantee_amount", "contract_amount_covered"):
        for bad in (40_000_000.0, 1.5, "40000000", "40,000,000", "１０００", True, False, 0, -1, 10**14, [1], {}):
            cases.append(({field: bad}, {field}))
    cases += [
        ({"guarantee_amount": None}, {"guarantee_amount"}),
        ({"contract_date": "2023-02-30"}, {"contract_date"}),
        ({"contract_date": "2024/04/01"}, {"contract_date"}),
        ({"contract_date": "20240401"}, {"contract_date"}),
        ({"contract_date": "2024-4-1"}, {"contract_date"}),
        ({"contract_date": 20240401}, {"contract_date"}),
        ({"completion_date": "2025-02-29"}, {"completion_date"}),
        ({"completion_date": "2024-03-31"}, {"completion_date"}),  # before the contract date
        ({"guarantee_period_end": "2024-03-01"}, {"guarantee_period_end"}),
        ({"guarantee_amount": 100_000_001}, {"guarantee_amount"}),  # more than the amount covered
        ({"contract_amount_covered": 100_000_001}, {"contract_amount_covered"}),  # covered > total
        ({"deposit_bank": DROP}, {"deposit_bank"}),
        ({"deposit_bank": "  "}, {"deposit_bank"}),
        ({"deposit_bank": None}, {"deposit_bank"}),
        ({"guarantee_type": "intermediate_advance_payment", "guarantee_amount": 20_000_000, "deposit_bank": DROP},
         {"deposit_bank"}),
        ({"guarantee_type": "performance", "guarantee_amount": 10_000_000}, {"deposit_bank"}),
        ({"surety_fee": 1000}, {"surety_fee"}),
        ({"auth_key": "ABCDE-FGHJK"}, {"auth_key"}),
        ({"guarantee_type": "bid_bond"}, {"guarantee_type"}),
        ({"delivery": "fax"}, {"delivery"}),
        ({"delivery": "Electronic"}, {"delivery"}),
        ({"work_category": "building"}, {"work_category"}),
        ({"contractor_id": "contractor 1"}, {"contractor_id"}),
        ({"obligee_id": ""}, {"obligee_id"}),
        ({"obligee_id": 123}, {"obligee_id"}),
        ({"project_name": "   "}, {"project_name"}),
        ({"project_name": "工" * 201}, {"project_name"}),
        ({"guarantee_type": "bid_bond", "contract_date": "2023-02-30", "surety_fee": 1},
         {"guarantee_type", "contract_date", "surety_fee"}),
    ]
    for i, (overrides, fields) in enumerate(cases):
        response = api.issue(idempotency_key=f"invalid-{i}", **overrides)
        assert_field_errors(response, fields, context=overrides)

    for raw, code in (("", "body_required"), ("[]", "invalid_json"), ("{", "invalid_json"), ('"x"', "invalid_json")):
        response = api.post("/v1/guarantees", user=SURETY, raw_body=raw, headers={"Idempotency-Key": f"raw-{raw}"})
        assert_error(response, 400, code, context=raw)

    assert stored() == {"versions": 0, "events": 0, "idempotency": 0, "emails": 0}
    # No contract number was used up by the refusals.
    first = api.issue()
    assert first.status_code == 201, first.json_body
    assert first.json_body["contract_number"] == FIRST_NUMBER


def test_amount_ratio_limits_are_exact_to_the_yen(api):
    assert api.put("/v1/obligees/town-x", {**OBLIGEES["sakaiminato"], "name": "○○町長",
                                            "ratio_rules": {"advance_payment": {"kind": "max", "percent": 30}}},
                   user=SURETY).status_code == 201
    intermediate = {"guarantee_type": "intermediate_advance_payment"}
    performance = {"guarantee_type": "performance", "deposit_bank": DROP}
    cases = [
        # (overrides, accepted, text the refusal must contain)
        ({"guarantee_amount": 40_000_000}, True, ""),
        ({"guarantee_amount": 40_000_001}, False, "40%以下"),
        ({**intermediate, "guarantee_amount": 20_000_000}, True, ""),
        ({**intermediate, "guarantee_amount": 20_000_001}, False, "20%以下"),
        ({**performance, "guarantee_amount": 10_000_000}, True, ""),
        ({**performance, "guarantee_amount": 9_999_999}, False, "10%以上"),
        # The ratio is of the amount covered (対象額), not of the total.
        ({"contract_amount_total": 200_000_000, "contract_amount_covered": 100_000_000,
          "guarantee_amount": 40_000_000}, True, ""),
        ({"contract_amount_total": 200_000_000, "contract_amount_covered": 100_000_000,
          "guarantee_amount": 40_000_001}, False, "上限 40,000,000円"),
        # 40% of 100,000,001 is 40,000,000.4: the largest whole yen within is 40,000,000.
        ({"contract_amount_total": 100_000_001, "guarantee_amount": 40_000_000}, True, ""),
        ({"contract_amount_total": 100_000_001, "guarantee_amount": 40_000_001}, False, "上限 40,000,000円"),
        # 10% of 100,000,001 is 10,000,000.1: the smallest whole yen that meets it is 10,000,001.
        ({**performance, "contract_amount_total": 100_000_001, "guarantee_amount": 10_000_001}, True, ""),
        ({**performance, "contract_amount_total": 100_000_001, "guarantee_amount": 10_000_000}, False,
         "下限 10,000,001円"),
        # An owner's own rule replaces the default.
        ({"obligee_id": "town-x", "guarantee_amount": 30_000_000}, True, ""),
        ({"obligee_id": "town-x", "guarantee_amount": 30_000_001}, False, "30%以下"),
    ]
    accepted = 0
    for overrides, ok, text in cases:
        response = api.issue(**overrides)
        if ok:
            assert response.status_code == 201, (overrides, response.json_body)
            assert response.json_body["guarantee_amount"] == overrides["guarantee_amount"]
            accepted += 1
        else:
            assert_field_errors(response, {"guarantee_amount"}, context=overrides)
            assert text in response.json_body["errors"][0]["message"], (overrides, response.json_body)
    assert stored() == {"versions": accepted, "events": accepted, "idempotency": accepted, "emails": accepted}


def test_unknown_contractor_or_obligee_is_422_naming_it(api):
    cases = [
        ({"contractor_id": "contractor-9"}, ["contractor_id"]),
        ({"obligee_id": "nowhere-city"}, ["obligee_id"]),
        ({"contractor_id": "contractor-9", "obligee_id": "nowhere-city"}, ["contractor_id", "obligee_id"]),
    ]
    for overrides, fields in cases:
        response = api.issue(**overrides)
        assert_error(response, 422, "unknown_reference", context=overrides)
        assert [e["field"] for e in response.json_body["errors"]] == fields, overrides
    assert stored() == {"versions": 0, "events": 0, "idempotency": 0, "emails": 0}


def test_electronic_delivery_only_where_the_owner_adopted_it(api):
    assert api.put("/v1/obligees/town-paper", {"name": "△△町長", "submission_method": "email",
                                                "contact_email": "keiyaku@town.example.jp"},
                   user=SURETY).status_code == 201
    cases = [
        # (overrides, refusal text for electronic delivery, or None when it is accepted)
        ({"contract_date": "2023-12-31"}, ("2024年1月1日", "令和6年1月1日")),
        ({"contract_date": "2024-01-01"}, None),
        ({"work_category": "goods"}, ("物品",)),
        ({"work_category": "survey", "guarantee_amount": 30_000_000}, None),  # 測量等業務: 30 % (domain/policy)
        ({"obligee_id": "pref-demo", "work_category": "survey", "guarantee_amount": 30_000_000}, ("測量等業務",)),
        ({"obligee_id": "town-paper"}, ("導入していない",)),
    ]
    electronic_ok = 0
    for overrides, refusal in cases:
        response = api.issue(**overrides)
        if refusal is None:
            assert response.status_code == 201, (overrides, response.json_body)
            electronic_ok += 1
        else:
            assert_error(response, 422, "not_eligible_for_electronic", context=overrides)
            assert any(t in response.json_body["message"] for t in refusal), (overrides, response.json_body)
            assert [e["field"] for e in response.json_body["errors"]] == ["delivery"], overrides
            before = stored()
            paper = api.issue(delivery="paper", **overrides)
            assert paper.status_code == 201, (overrides, paper.json_body)
            assert paper.json_body["delivery"] == "paper"
            assert stored() == {**before, "versions": before["versions"] + 1, "events": before["events"] + 1,
                                "idempotency": before["idempotency"] + 1}, overrides  # and no email
    refused = sum(1 for _, r in cases if r is not None)
    assert stored()["versions"] == electronic_ok + refused
    assert stored()["emails"] == electronic_ok


def test_rates_by_kind_of_work_and_no_intermediate_advance_for_survey(api):
    """測量等業務 takes its own rate (30 %) and no 中間前払金保証 (domain/policy.DEFAULT_RULES_BY_CATEGORY); an owner
    may set its own by kind of work, which GET /v1/obligees/{id} shows; nothing is written for a refusal."""
    before = stored()
    over = api.issue(work_category="survey", guarantee_amount=30_000_001)
    assert_error(over, 400, "validation_error", fields={"guarantee_amount"})
    assert "30%以下" in over.json_body["errors"][0]["message"]
    assert api.issue(work_category="survey", guarantee_amount=30_000_000).status_code == 201
    none = api.issue(work_category="survey", guarantee_type="intermediate_advance_payment",
                     guarantee_amount=10_000_000)
    assert_error(none, 400, "validation_error", fields={"guarantee_type"})
    assert "保証区分" in none.json_body["errors"][0]["message"]
    assert "測量等業務" in none.json_body["errors"][0]["message"]
    assert stored()["versions"] == before["versions"] + 1
    shown = api.get("/v1/obligees/sakaiminato", user=SURETY).json_body["amount_rules"]
    assert shown["survey"] == {"advance_payment": {"kind": "max", "percent": 30},
                               "intermediate_advance_payment": None,
                               "performance": {"kind": "min", "percent": 10}}
    assert shown["construction"]["advance_payment"] == {"kind": "max", "percent": 40}
    # An owner that pays 40 % for survey too says so for that kind of work.
    owner = {**OBLIGEES["sakaiminato"], "ratio_rules": {"survey": {"advance_payment": {"kind": "max", "percent": 40}}}}
    assert api.put("/v1/obligees/sakaiminato", owner, user=SURETY).status_code == 200
    assert api.issue(work_category="survey", guarantee_amount=40_000_000).status_code == 201


def test_a_contract_dated_after_today_is_refused(api):
    """A guarantee follows a signed contract: a 契約日 after today (JST) is a 400 naming contract_date, nothing
    written; today itself is accepted."""
    from datetime import timedelta

    from chalicelib.domain.clock import japan_today

    today = japan_today()
    before = stored()
    tomorrow = api.issue(contract_date=(today + timedelta(days=1)).isoformat(),
                         completion_date=(today + timedelta(days=200)).isoformat())
    assert_error(tomorrow, 400, "validation_error", fields={"contract_date"})
    message = tomorrow.json_body["errors"][0]["message"]
    assert "契約日" in message and "本日" in message
    assert stored() == before
    on_the_day = api.issue(contract_date=today.isoformat(), completion_date=(today + timedelta(days=200)).isoformat())
    assert on_the_day.status_code == 201, on_the_day.json_body
    # An amendment cannot carry a 契約日 at all (it is not amendable): refused naming the field.
    number = on_the_day.json_body["contract_number"]
    moved = amend(api, number, {"expected_version": 1, "contract_date": (today + timedelta(days=3)).isoformat()})
    assert_error(moved, 400, "validation_error", fields={"contract_date"})


def test_retry_with_the_same_idempotency_key_returns_the_first_answer(api):
    first = api.issue(idempotency_key="order-0001")
    assert first.status_code == 201, first.json_body
    again = api.issue(idempotency_key="order-0001")
    reordered = api.post("/v1/guarantees", dict(reversed(list(issue_body().items()))), user=SURETY,
                         headers={"Idempotency-Key": "order-0001"})
    for retry in (again, reordered):
        assert retry.status_code == first.status_code
        assert retry.json_body == first.json_body
    assert stored() == {"versions": 1, "events": 1, "idempotency": 1, "emails": 1}
    assert api.get("/v1/certificates", user="demo-contractor-1").json_body["total"] == 1

    other_body = api.issue(idempotency_key="order-0001", guarantee_amount=30_000_000)
    assert_error(other_body, 422, "idempotency_key_reused")
    assert stored() == {"versions": 1, "events": 1, "idempotency": 1, "emails": 1}

    # A new key is a new guarantee.
    second = api.issue(idempotency_key="order-0002")
    assert second.status_code == 201
    assert second.json_body["contract_number"] != first.json_body["contract_number"]
    assert stored()["versions"] == 2


def test_idempotency_key_header_is_required(api):
    for headers in ({}, {"Idempotency-Key": ""}, {"Idempotency-Key": "   "}):
        response = api.post("/v1/guarantees", issue_body(), user=SURETY, headers=headers)
        assert_error(response, 400, "idempotency_key_required", context=headers)
        assert [e["field"] for e in response.json_body["errors"]] == ["Idempotency-Key"], headers
        assert "Idempotency-Key" in response.json_body["message"]
    too_long = api.issue(idempotency_key="k" * 129)
    assert_error(too_long, 400, "idempotency_key_invalid")
    assert [e["field"] for e in too_long.json_body["errors"]] == ["Idempotency-Key"]
    assert stored() == {"versions": 0, "events": 0, "idempotency": 0, "emails": 0}


def test_concurrent_issues_get_distinct_numbers(api, atomic_dynamodb):
    from chalicelib.services.issuance import issue_guarantee

    surety = surety_principal()
    results = run_in_threads(10, lambda i: issue_guarantee(surety, issue_body(project_name=f"並行工事 {i}"),
                                                           f"parallel-{i}", f"req-{i}"))
    assert all(isinstance(r, tuple) and r[0] == 201 for r in results), results
    numbers = [body["contract_number"] for _, body in results]
    assert len(set(numbers)) == 10, numbers
    assert sorted(numbers) == [str(int(FIRST_NUMBER) + i) for i in range(10)]
    assert stored() == {"versions": 10, "events": 10, "idempotency": 10, "emails": 10}
    listed = api.get("/v1/certificates?limit=100", user="demo-contractor-1").json_body
    assert listed["total"] == 10
    assert sorted(i["contract_number"] for i in listed["items"]) == sorted(numbers)


def test_concurrent_retries_with_one_key_issue_once(api, atomic_dynamodb):
    from chalicelib.services.issuance import issue_guarantee

    surety = surety_principal()
    body = issue_body()
    results = run_in_threads(10, lambda i: issue_guarantee(surety, dict(body), "same-key", f"req-{i}"))
    assert all(isinstance(r, tuple) and r[0] == 201 for r in results), results
    assert all(r[1] == results[0][1] for r in results), results
    assert stored() == {"versions": 1, "events": 1, "idempotency": 1, "emails": 1}
    listed = api.get("/v1/certificates", user="demo-contractor-1").json_body
    assert listed["total"] == 1
    assert [i["contract_number"] for i in listed["items"]] == [results[0][1]["contract_number"]]


def test_notice_email_for_electronic_delivery_only(api):
    token = api.token("demo-contractor-1")
    electronic = api.issue()
    assert electronic.status_code == 201
    number = electronic.json_body["contract_number"]
    emails = sent_emails()
    assert len(emails) == 1
    email = emails[0]
    assert email.destinations["ToAddresses"] == [CONTRACTORS["contractor-1"]["email"]]
    assert email.subject == SUBJECT
    assert email.source == api.account.settings.sender_email
    assert number in email.body
    assert "境港市道 渡町線 道路改良工事" in email.body and "境港市長" in email.body
    # The flyer's advice from the owner's registry entry (issue 21 item 6): by email, with the 前払金請求書, the
    # address confirmed with the 契約窓口; and the key notice, not the certificate's PDF.
    flat = email.body.replace("\n", "")
    assert "「認証キー等のお知らせ」(PDF)は、前払金請求書とあわせて電子メールに添付して発注者へご提出ください。" in flat
    assert f"契約窓口({OBLIGEES['sakaiminato']['contact_email']})にご確認ください" in flat
    assert "保証証書のPDFではなく" in flat
    # The one link is the portal's list, behind its login (APP_PORTAL_URL): no presigned URL, no token.
    assert re.findall(r"https?://\S+", email.body) == [f"{api.account.settings.portal_url}/certificates"]
    for text in (email.subject, email.body):
        assert "X-Amz" not in text
        assert token not in text
        assert not re.search(r"\b[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}\b", text), text
        assert not re.search(r"\b(?=[0-9A-Z]*[A-Z])[0-9A-HJKMNP-TV-Z]{10}\b", text), text

    paper = api.issue(delivery="paper")
    assert paper.status_code == 201
    assert len(sent_emails()) == 1

    other = api.issue(contractor_id="contractor-2")
    assert other.status_code == 201
    emails = sent_emails()
    assert len(emails) == 2
    assert emails[1].destinations["ToAddresses"] == [CONTRACTORS["contractor-2"]["email"]]
    assert other.json_body["contract_number"] in emails[1].body
    assert CONTRACTORS["contractor-2"]["name"] in emails[1].body


def test_storage_fault_mid_issue_leaves_nothing_and_the_retry_gets_a_new_number(api, monkeypatch):
    original = Connection.transact_write_items
    failed_numbers: list[str] = []

    def fail_once(self, condition_check_items, delete_items, put_items, update_items, *args, **kwargs):
        if not failed_numbers:
            failed_numbers.append(put_items[0]["Item"]["contract_number"]["S"])
            cause = ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}},
                                "TransactWriteItems")
            raise TransactWriteError("Failed to write transaction items", cause)
        return original(self, condition_check_items, delete_items, put_items, update_items, *args, **kwargs)

    monkeypatch.setattr(Connection, "transact_write_items", fail_once)
    failed = api.issue(idempotency_key="fault-1")
    assert_error(failed, 500, "internal_error")
    assert failed.json_body == {"code": "internal_error",
                                "message": "内部エラーが発生しました。時間をおいて再度お試しください。"}
    assert failed_numbers == [FIRST_NUMBER]
    assert stored() == {"versions": 0, "events": 0, "idempotency": 0, "emails": 0}
    assert api.get("/v1/certificates", user="demo-contractor-1").json_body["total"] == 0
    assert api.get(f"/v1/certificates/{FIRST_NUMBER}", user=SURETY).status_code == 404

    retry = api.issue(idempotency_key="fault-1")
    assert retry.status_code == 201, retry.json_body
    assert retry.json_body["contract_number"] != FIRST_NUMBER  # a number once handed out is never reused
    assert int(retry.json_body["contract_number"]) == int(FIRST_NUMBER) + 1
    assert stored() == {"versions": 1, "events": 1, "idempotency": 1, "emails": 1}
    assert api.get("/v1/certificates", user="demo-contractor-1").json_body["total"] == 1
