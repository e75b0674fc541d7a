"""Defects an outside attacker found (D1–D15 of the hardening issue), each reproduced as it was found, and the
limits of chalicelib.domain.limits enforced at the edge."""

from __future__ import annotations

import base64
import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest

from tests.support.api import assert_error, events_of, issue, reissue, show_key, verify, wrong_key_for
from tests.support.clock import frozen
from tests.support.stored import atomic_dynamodb, stored_key
from tests.support.world import issue_body

SURETY, CONTRACTOR, OWNER = "demo-surety", "demo-contractor-1", "demo-sakaiminato"
OTHER_CONTRACTOR = "demo-contractor-2"
DEEP = "[" * 5000 + "]" * 5000


def _post_raw(api, path: str, raw: str, user: str | None = None, headers: dict[str, str] | None = None) -> Any:
    return api.request("POST", path, user=user, raw_body=raw, headers=headers)


# --- D1: nested JSON -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "user"), [("/v1/auth/login", None), ("/v1/verifications", OWNER),
                                            ("/v1/guarantees", SURETY)])
def test_d1_deeply_nested_json_is_a_400(api, path, user):
    for raw in (DEEP, '{"a":' * 2000 + "1" + "}" * 2000):
        response = _post_raw(api, path, raw, user=user, headers={"Idempotency-Key": "deep"})
        assert_error(response, 400, "invalid_json", context=(path, raw[:10]))


def test_d1_nesting_and_size_have_stated_bounds(api):
    from chalicelib.domain.limits import MAX_BODY_BYTES, MAX_JSON_DEPTH

    within = {"username": "x", "password": "y", "n": [[[[[1]]]]]}  # depth 6: read, then judged as a login
    assert MAX_JSON_DEPTH == 6
    assert_error(api.post("/v1/auth/login", within), 401, "invalid_credentials")
    deeper = {"username": "x", "password": "y", "n": [[[[[[1]]]]]]}
    assert_error(api.post("/v1/auth/login", deeper), 400, "invalid_json")
    big = json.dumps({"username": "x" * MAX_BODY_BYTES, "password": "y"})
    assert_error(_post_raw(api, "/v1/auth/login", big), 413, "payload_too_large")


def test_a_lone_surrogate_in_a_body_is_a_400_naming_its_field_and_nothing_is_written(api):
    """JSON may spell a half of a UTF-16 pair (\\udc00) that no UTF-8 text can hold: it is refused where the body
    is read, not met later as a 500 by the table, the log or the answer."""
    before = api.get("/v1/certificates", user=CONTRACTOR).json_body["total"]
    raw = json.dumps(issue_body(project_name="道路\udc00改良工事"))  # json.dumps escapes it as JSON would carry it
    response = _post_raw(api, "/v1/guarantees", raw, user=SURETY, headers={"Idempotency-Key": "lone-surrogate"})
    assert_error(response, 400, "invalid_json", fields={"project_name"})
    assert "project_name" in response.json_body["message"]
    assert api.get("/v1/certificates", user=CONTRACTOR).json_body["total"] == before
    login = _post_raw(api, "/v1/auth/login", '{"username": "demo-surety\\ud800", "password": "x"}')
    assert_error(login, 400, "invalid_json", fields={"username"})
    retried = _post_raw(api, "/v1/guarantees", json.dumps(issue_body()), user=SURETY,
                        headers={"Idempotency-Key": "lone-surrogate"})
    assert retried.status_code == 201, retried.json_body  # the refused attempt claimed no idempotency key


# --- D2: cursors checked before they are parsed --------------------------------------------------------------


def test_d2_a_forged_cursor_of_nested_brackets_is_a_400_everywhere(api):
    number = issue(api)
    verify(api, number, show_key(api, number))
    payload = base64.urlsafe_b64encode(DEEP.encode()).decode().rstrip("=")
    cursor = f"{payload}.{'A' * 22}=="
    for path, user in ((f"/v1/certificates?cursor={cursor}", CONTRACTOR),
                       (f"/v1/certificates/{number}/events?cursor={cursor}", SURETY),
                       (f"/v1/verifications?cursor={cursor}", OWNER)):
        assert_error(api.get(path, user=user), 400, "invalid_cursor", context=path)


# --- D3: parallel reissue --------------------------------------------------------------------------------------


def test_d3_parallel_reissues_one_wins_the_others_get_409(api):
    from chalicelib.domain.principal import Principal
    from chalicelib.errors import Conflict
    from chalicelib.services.auth_keys import reissue_auth_key
    from chalicelib.services.tables import use_tables
    from chalicelib.store import auth_keys as auth_key_store

    number = issue(api)
    old_key = show_key(api, number)
    use_tables()
    contractor = Principal(CONTRACTOR, "contractor", "contractor-1")
    # All five read the key before any writes (as five requests arriving together do); only the order changes.
    read_together = threading.Barrier(5)
    real_get = auth_key_store.get_auth_key

    def get_then_wait(contract_number: str) -> Any:
        state = real_get(contract_number)
        read_together.wait()
        return state

    def run(i: int) -> Any:
        try:
            return reissue_auth_key(contractor, number, f"r{i}")
        except Conflict as exc:
            return exc

    with (atomic_dynamodb(), mock.patch.object(auth_key_store, "get_auth_key", get_then_wait),
          ThreadPoolExecutor(max_workers=5) as pool):
        results = list(pool.map(run, range(5)))
    winners = [r for r in results if isinstance(r, dict)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 4, results
    assert {exc.code for exc in losers} == {"auth_key_conflict"}
    assert int(stored_key(number).generation) == 2
    assert verify(api, number, winners[0]["auth_key"]).status_code == 200
    assert verify(api, number, old_key).status_code == 404


# --- D4: a throttled account's right key does not count against the contract ----------------------------------


def test_d4_right_key_refused_for_the_account_limit_does_not_count_against_the_contract(api):
    from chalicelib.domain.principal import Principal
    from chalicelib.errors import NotFound
    from chalicelib.services.verification import verify as verify_directly

    start = (datetime.now(UTC) + timedelta(hours=1)).replace(minute=5, second=0, microsecond=0)
    pref = Principal(username="demo-pref", role="obligee", org_id="pref-demo")
    with frozen(api, start):
        number = issue(api, obligee_id="pref-demo", project_name="○○県道 改良工事")
        key = show_key(api, number)
        for i in range(100):  # the account's hour is used up on numbers nobody issued
            with pytest.raises(NotFound):
                verify_directly(pref, {"contract_number": str(2079000000 + i), "auth_key": "ABCDE-FGHJK"}, f"r{i}")
        for _ in range(25):  # more than would disable the key, were they counted
            assert verify(api, number, key, user="demo-pref").json_body["code"] == "account_throttled"
        state = stored_key(number)
        assert (int(state.consecutive_failures), int(state.total_failures), bool(state.disabled)) == (0, 0, False)


# --- D5: dates that cannot print -------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["contract_date", "completion_date", "guarantee_period_end"])
def test_d5_dates_before_meiji_are_refused_with_a_japanese_message(api, field):
    overrides = {"contract_date": "1867-01-01", "completion_date": "1867-06-30", "guarantee_period_end": None}
    if field != "contract_date":
        overrides = {field: "1867-12-31"}
    response = api.issue(delivery="paper", **overrides)
    assert_error(response, 400, "validation_error", context=field)
    messages = {e["field"]: e["message"] for e in response.json_body["errors"]}
    assert "明治元年10月23日から令和82年12月31日まで" in messages[field]


def test_d5_the_first_day_of_meiji_prints(api):
    # Registered long after the contract: a surety records why (late_registration_reason); the period runs.
    response = api.issue(delivery="paper", contract_date="1868-10-23", completion_date="2024-12-31",
                         late_registration_reason="古い契約の記録の移行")
    assert response.status_code == 201, response.json_body
    number = response.json_body["contract_number"]
    link = api.get(f"/v1/certificates/{number}/pdf", user=SURETY)
    assert link.status_code == 200, link.json_body


def test_d5_an_owner_adoption_date_out_of_range_is_refused(api):
    from scripts.demo_data import OBLIGEES

    body = {**OBLIGEES["sakaiminato"], "e_guarantee_start_date": "1800-01-01"}
    response = api.put("/v1/obligees/sakaiminato", body, user=SURETY)
    assert_error(response, 400, "validation_error")
    assert response.json_body["errors"][0]["field"] == "e_guarantee_start_date"


# --- D6: numbers past their bounds ------------------------------------------------------------------------------


def test_d6_odd_digits_and_huge_numbers_in_the_query_are_400s(api):
    number = issue(api)
    verify(api, number, show_key(api, number))
    nines = "9" * 5000
    cases = [(f"/v1/certificates/{number}?version=²", CONTRACTOR),
             (f"/v1/certificates/{number}?version={nines}", CONTRACTOR),
             (f"/v1/certificates/{number}/pdf?version=²", CONTRACTOR), (f"/v1/certificates?limit={nines}", CONTRACTOR),
             (f"/v1/certificates/{number}/events?limit={nines}", SURETY),
             (f"/v1/verifications?limit={nines}", OWNER), (f"/v1/certificates/{number}?version=0", CONTRACTOR)]
    for path, user in cases:
        response = api.get(path, user=user)
        assert_error(response, 400, "validation_error", context=path[:60])


# --- D7: the same amendment retried in parallel ----------------------------------------------------------------


def test_d7_an_amendment_retried_in_parallel_answers_every_retry_with_the_first_answer(api):
    from chalicelib.domain.principal import Principal
    from chalicelib.services.amendments import amend
    from chalicelib.services.tables import use_tables

    number = issue(api)
    use_tables()
    surety = Principal(SURETY, "surety", "surety")
    body = {"expected_version": 1, "expected_revision": 1, "guarantee_amount": 30_000_000}
    barrier = threading.Barrier(10)

    def run(_: int) -> tuple[int, dict[str, Any]]:
        barrier.wait()
        return amend(surety, number, dict(body), "same-key", f"r{_}")

    with atomic_dynamodb(), ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(run, range(10)))
    assert {status for status, _ in results} == {201}
    assert len({json.dumps(answer, sort_keys=True) for _, answer in results}) == 1
    assert [v["version"] for v in api.get(f"/v1/certificates/{number}", user=SURETY).json_body["versions"]] == [2, 1]


# --- D8: lost update on recorded changes -----------------------------------------------------------------------


def test_d8_expected_revision_catches_a_recorded_change_made_since_it_was_read(api):
    number = issue(api)
    read = api.get(f"/v1/certificates/{number}", user=SURETY).json_body
    assert (read["version"], read["revision"]) == (1, 1)
    seen = {"expected_version": read["version"], "expected_revision": read["revision"]}
    first = api.post(f"/v1/guarantees/{number}/amendments", {**seen, "contract_amount_total": 110_000_000},
                     user=SURETY, headers={"Idempotency-Key": "clerk-a"})
    assert first.status_code == 200 and first.json_body["revision"] == 2, first.json_body
    second = api.post(f"/v1/guarantees/{number}/amendments", {**seen, "contract_amount_total": 105_000_000},
                      user=SURETY, headers={"Idempotency-Key": "clerk-b"})
    assert_error(second, 409, "version_conflict")
    now = api.get(f"/v1/certificates/{number}", user=SURETY).json_body
    assert (now["contract_amount_total"], now["revision"]) == (110_000_000, 2)  # A's change stands
    again = api.post(f"/v1/guarantees/{number}/amendments",
                     {"expected_version": 1, "expected_revision": 2, "contract_amount_total": 105_000_000},
                     user=SURETY, headers={"Idempotency-Key": "clerk-b-after-reading"})
    assert again.status_code == 200 and again.json_body["revision"] == 3


def test_d8_the_pdf_flag_is_not_a_change(api):
    number = issue(api)
    assert api.get(f"/v1/certificates/{number}/pdf", user=CONTRACTOR).status_code == 200
    assert api.get(f"/v1/certificates/{number}", user=SURETY).json_body["revision"] == 1


# --- D9: refused attempts cannot flood a trail ------------------------------------------------------------------


def test_d9_attempts_on_a_locked_contract_stop_writing_events_at_the_account_limit(api):
    start = (datetime.now(UTC) + timedelta(hours=1)).replace(minute=5, second=0, microsecond=0)
    with frozen(api, start):
        number = issue(api)
        wrong = wrong_key_for(show_key(api, number))
        statuses = Counter(verify(api, number, wrong).status_code for _ in range(130))
        assert statuses[404] == 5 and statuses[429] == 125
        types = Counter(e["type"] for e in events_of(api, number))
    assert types["verification_failed"] == 5
    assert types["verification_locked"] == 95  # 100 refusals this hour are kept, one by one
    assert types["account_throttled"] == 1  # then one event marks the crossing, and only a counter grows


def test_d9_an_unknown_number_cannot_be_flooded_either(api):
    from chalicelib.store.models import AuditEvent

    start = (datetime.now(UTC) + timedelta(hours=1)).replace(minute=5, second=0, microsecond=0)
    with frozen(api, start):
        for _ in range(120):
            verify(api, "2079999999", "ABCDE-FGHJK")
    assert sum(1 for _ in AuditEvent.query("2079999999")) == 101


# --- D10: the same work for "not yours" and "does not exist" -----------------------------------------------------


def test_d10_another_contractors_number_reads_nothing_from_dynamodb(api):
    from tests.support.stored import aws_calls

    number = issue(api)
    api.token(OTHER_CONTRACTOR)
    decoded: list[int] = []
    from chalicelib.adapters import aws

    def on_query(parsed: dict[str, Any], **_: Any) -> None:
        decoded.append(len(parsed.get("Items", [])))

    session = aws.session()._session
    session.register("after-call.dynamodb.Query", on_query, unique_id="test-d10")
    try:
        with aws_calls() as calls:
            theirs = api.get(f"/v1/certificates/{number}", user=OTHER_CONTRACTOR)
            unknown = api.get("/v1/certificates/2079999999", user=OTHER_CONTRACTOR)
    finally:
        session.unregister("after-call.dynamodb.Query", unique_id="test-d10")
    assert theirs.status_code == unknown.status_code == 404 and theirs.body == unknown.body
    assert calls["dynamodb"] == 2 and decoded == [0, 0]  # one Query each, nothing returned for either


# --- D11: what prints ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["\u200b\u200b", "境港市道\u0000改良", "工事\u001b[31m", "工事\u202e名",
                                  "工事\r\nBcc: x@example.jp", "\ufeff工事", "工事\ue000"])
def test_d11_printed_fields_refuse_control_and_format_characters(api, text):
    for field in ("project_name", "deposit_bank"):
        response = api.issue(**{field: text})
        assert_error(response, 400, "validation_error", context=(field, text))
        message = {e["field"]: e["message"] for e in response.json_body["errors"]}[field]
        assert "使用できない文字" in message or "入力してください" in message, message


@pytest.mark.parametrize(("path", "body"), [
    ("/v1/contractors/c9", {"name": "株式会社\u0007建設", "address": "境港市", "email": "a@example.jp"}),
    ("/v1/contractors/c9", {"name": "株式会社建設", "address": "境港市\u202e", "email": "a@example.jp"}),
    ("/v1/contractors/c9", {"name": "株式会社建設", "address": "境港市", "email": "a\u0000b@example.jp"}),
    ("/v1/contractors/c9", {"name": "株式会社建設", "address": "境港市", "email": "a\u0007@example.jp"}),
])
def test_d11_registry_fields_and_emails_refuse_them_too(api, path, body):
    assert_error(api.put(path, body, user=SURETY), 400, "validation_error", context=body)


def test_d11_a_cancel_reason_must_print(api):
    number = issue(api)
    response = api.post(f"/v1/guarantees/{number}/cancel", {"reason": "解約\u202e"}, user=SURETY,
                        headers={"Idempotency-Key": "c1"})
    assert_error(response, 400, "validation_error")


# --- D12, D14, D15 ---------------------------------------------------------------------------------------------


def test_d12_a_disabled_key_promises_no_retry(api):
    number = issue(api)
    key = show_key(api, number)
    wrong = wrong_key_for(key)
    with frozen(api, datetime.now(UTC) + timedelta(minutes=1)) as clock:
        for _ in range(4):
            for _ in range(5):
                verify(api, number, wrong)
            clock.move(timedelta(minutes=16))
        disabled = verify(api, number, key)
    assert disabled.json_body["code"] == "auth_key_disabled"
    assert "Retry-After" not in disabled.headers


def _mint_token(api, **claims: Any) -> str:
    """An ID token signed with the emulated pool's own key, as Cognito would sign it, with chosen claims."""
    from moto.cognitoidp.models import cognitoidp_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    identity = api.account.identity
    pool = cognitoidp_backends[DEFAULT_ACCOUNT_ID]["ap-northeast-1"].user_pools[identity.user_pool_id]
    token, _ = pool.create_jwt(identity.client_id, SURETY, "id", extra_data=claims)
    return token


@pytest.mark.parametrize("claims", [{"cognito:groups": "surety"}, {"cognito:groups": {"surety": 1}},
                                    {"cognito:groups": [["surety"]]},
                                    {"cognito:groups": ["surety"], "custom:org_id": 7},
                                    {"cognito:groups": ["surety"], "cognito:username": ["x"]}])
def test_d14_a_validly_signed_token_with_malformed_claims_is_a_401(api, claims):
    token = _mint_token(api, **claims)
    response = api.get("/v1/certificates?contractor_id=contractor-1",
                       headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 401, "unauthorized", context=claims)


def test_d14_the_same_signing_path_accepts_a_well_formed_token(api):
    token = _mint_token(api, **{"cognito:groups": ["surety"], "custom:org_id": "surety"})
    response = api.get("/v1/certificates?contractor_id=contractor-1", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.json_body


def test_d15_answers_with_a_key_or_a_link_are_never_cached(api):
    number = issue(api)
    key = show_key(api, number)
    answers = [
        api.get(f"/v1/certificates/{number}/auth-key", user=CONTRACTOR),
        api.post(f"/v1/certificates/{number}/auth-key/reissue", user=CONTRACTOR),
        api.get(f"/v1/certificates/{number}/pdf", user=CONTRACTOR),
        api.get(f"/v1/certificates/{number}", user=CONTRACTOR),
        api.post("/v1/verifications", {"contract_number": number, "auth_key": reissue(api, number)}, user=OWNER),
        verify(api, number, key),  # an error answer too
    ]
    for response in answers:
        assert response.headers.get("Cache-Control") == "no-store", (response.status_code, response.headers)


# --- D13: left as designed --------------------------------------------------------------------------------------


def test_d13_parallel_issues_with_one_key_issue_one_guarantee(api):
    """Numbers may be skipped (the design allows it), but one Idempotency-Key is one guarantee."""
    from chalicelib.domain.principal import Principal
    from chalicelib.services.issuance import issue_guarantee
    from chalicelib.services.tables import use_tables

    use_tables()
    surety = Principal(SURETY, "surety", "surety")
    barrier = threading.Barrier(5)

    def run(i: int) -> str:
        barrier.wait()
        return issue_guarantee(surety, issue_body(), "one-key", f"r{i}")[1]["contract_number"]

    with atomic_dynamodb(), ThreadPoolExecutor(max_workers=5) as pool:
        numbers = set(pool.map(run, range(5)))
    assert len(numbers) == 1
    listed = api.get("/v1/certificates", user=CONTRACTOR).json_body
    assert [i["contract_number"] for i in listed["items"]] == list(numbers)


def test_d9_a_refused_attempt_still_costs_at_most_three_dynamodb_calls_and_no_kms(api):
    from tests.support.stored import aws_calls

    number = issue(api)
    wrong = wrong_key_for(show_key(api, number))
    for _ in range(5):
        assert verify(api, number, wrong).status_code == 404
    api.token(OWNER)
    with aws_calls() as calls:
        assert verify(api, number, wrong).json_body["code"] == "verification_locked"
    assert calls["dynamodb"] <= 3 and calls["kms"] == 0, calls
