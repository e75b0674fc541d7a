"""The owner's verification (POST/GET /v1/verifications) and the audit trail, through the API on moto.

Every failed verification looks the same from outside; guessing is bounded per contract (5 consecutive
failures lock it for 15 minutes, 20 disable the key) and per owner account (100 failures an hour).
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.api import CROCKFORD, UNKNOWN_NUMBER, events_of, issue, reissue, show_key, verify, wrong_key_for
from tests.support.clock import frozen
from tests.support.stored import atomic_dynamodb, aws_calls, stored_key
from tests.support.world import sent_emails

OWNER = "demo-sakaiminato"


def amend(api: Any, number: str, expected_version: int, **changes: Any) -> Any:
    response = api.post(f"/v1/guarantees/{number}/amendments", {"expected_version": expected_version,
                                                                "expected_revision": 1, **changes},
                        user="demo-surety", headers={"Idempotency-Key": f"amend-{number}-{expected_version}"})
    assert response.status_code == 201, response.json_body
    return response.json_body


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def assert_not_verified(response: Any, reference: Any) -> None:
    """The one 404 every failed verification gives (compared as whole bodies)."""
    assert response.status_code == 404, response.json_body
    assert response.json_body == reference.json_body
    assert response.json_body["code"] == "verification_failed"


# --- success and what people type ---------------------------------------------------------------------


def test_success_returns_the_latest_certificate_with_its_versions(api):
    number = issue(api)
    key = show_key(api, number)
    amend(api, number, 1, guarantee_amount=30_000_000)

    ok = verify(api, number, key)
    assert ok.status_code == 200, ok.json_body
    certificate = ok.json_body["certificate"]
    assert certificate == api.get(f"/v1/certificates/{number}", user="demo-surety").json_body
    assert certificate["contract_number"] == number
    assert certificate["version"] == 2 and certificate["amended"] is True
    assert certificate["guarantee_amount"] == 30_000_000
    assert certificate["obligee"]["obligee_id"] == "sakaiminato"
    assert [v["version"] for v in certificate["versions"]] == [2, 1]
    assert ok.json_body["pdf_url"]
    assert key not in json.dumps(ok.json_body) and key.replace("-", "") not in json.dumps(ok.json_body)


@pytest.fixture
def aliased_key(api):
    """An electronic guarantee whose key holds a '1' or a '0' (re-issued until it does: about half do)."""
    number = issue(api)
    key = show_key(api, number).replace("-", "")
    for _ in range(40):
        if "1" in key or "0" in key:
            break
        key = reissue(api, number).replace("-", "")
    assert "1" in key or "0" in key, key
    return api, number, key


# How people type a code: any mix of full-width characters, lower case, and spaces or hyphens of any width
# (NFKC-folded, removed); I and L for 1, O for 0.
SEPARATORS = ("", "", "", " ", "-", "\u3000", "\uff0d", "\u30fc", "\u2010")
ALIASES = {"1": ("1", "I", "L"), "0": ("0", "O")}


@st.composite
def typed(draw: Any, text: str, aliases: dict[str, tuple[str, ...]]) -> str:
    out = [draw(st.sampled_from(SEPARATORS))]
    for ch in text:
        c = draw(st.sampled_from(aliases.get(ch, (ch,))))
        if c.isalpha() and draw(st.booleans()):
            c = c.lower()
        if draw(st.booleans()):
            c = fullwidth(c)
        out += [c, draw(st.sampled_from(SEPARATORS))]
    return "".join(out)


@settings(max_examples=15, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_typed_forms_of_the_real_key_verify(aliased_key, data):
    api, number, key = aliased_key
    typed_number = data.draw(typed(number, {}), label="contract_number")
    typed_key = data.draw(typed(key, ALIASES), label="auth_key")
    response = verify(api, typed_number, typed_key)
    assert response.status_code == 200, (typed_number, typed_key, response.json_body)
    assert response.json_body["certificate"]["contract_number"] == number


def test_malformed_input_is_a_400_naming_the_field_and_never_a_guess(aliased_key):
    api, number, key = aliased_key
    cases = [
        ({"contract_number": number[:9], "auth_key": key}, {"contract_number"}),
        ({"contract_number": number + "1", "auth_key": key}, {"contract_number"}),
        ({"contract_number": number[:9] + "A", "auth_key": key}, {"contract_number"}),
        ({"contract_number": int(number), "auth_key": key}, {"contract_number"}),
        ({"contract_number": number, "auth_key": key + "A"}, {"auth_key"}),
        ({"contract_number": number, "auth_key": key[:9]}, {"auth_key"}),
        ({"contract_number": number, "auth_key": key[:9] + "U"}, {"auth_key"}),
        ({"contract_number": number, "auth_key": fullwidth(key[:9] + "u")}, {"auth_key"}),
        ({"contract_number": number, "auth_key": "\u0131" + key[1:]}, {"auth_key"}),  # dotless ı is no I
        ({"contract_number": number, "auth_key": None}, {"auth_key"}),
        ({"contract_number": number, "auth_key": ["x"]}, {"auth_key"}),
        ({"contract_number": number, "auth_key": 1234567890}, {"auth_key"}),
        ({"contract_number": number}, {"auth_key"}),
        ({}, {"contract_number", "auth_key"}),
    ]
    for body, fields in cases:
        response = api.post("/v1/verifications", body, user=OWNER)
        assert response.status_code == 400, (body, response.json_body)
        assert response.json_body["code"] == "validation_error"
        assert {e["field"] for e in response.json_body["errors"]} == fields, (body, response.json_body)
    for raw in ("[]", "not json", '"2070500001"'):
        response = api.post("/v1/verifications", user=OWNER, raw_body=raw)
        assert response.status_code == 400, (raw, response.json_body)
        assert [e["field"] for e in response.json_body["errors"]] == ["body"]

    # None of that was a guess: not counted on the contract nor on the account, not audited as one.
    state = stored_key(number)
    assert (int(state.consecutive_failures), int(state.total_failures)) == (0, 0)
    assert not [e for e in events_of(api, number) if e["type"].startswith("verification")]
    from chalicelib.store.models import Throttle

    assert list(Throttle.scan()) == []

    # The right key, typed the way a clerk might: full-width digits, lower case, aliases, spaces.
    typed_key = key.replace("1", "l").replace("0", "o").lower()
    typed_key = f"{typed_key[:5]} - {typed_key[5:]}"
    response = verify(api, fullwidth(number), typed_key)
    assert response.status_code == 200, response.json_body


# --- one answer for every failure -------------------------------------------------------------------------


def test_every_failure_gives_the_same_404(api):
    number = issue(api)
    key = show_key(api, number)
    paper = issue(api, delivery="paper")

    unknown = verify(api, UNKNOWN_NUMBER, key)
    assert unknown.status_code == 404
    assert unknown.json_body["code"] == "verification_failed"
    assert_not_verified(verify(api, number, wrong_key_for(key)), unknown)
    assert_not_verified(verify(api, number, key, user="demo-pref"), unknown)  # the right key, another owner
    assert_not_verified(verify(api, paper, key), unknown)
    assert_not_verified(verify(api, paper, "ABCDE-FGHJK"), unknown)
    new = reissue(api, number)
    assert_not_verified(verify(api, number, key), unknown)  # the key before re-issue
    assert verify(api, number, new).status_code == 200

    reasons = [e["detail"]["reason"] for e in events_of(api, number) if e["type"] == "verification_failed"]
    assert sorted(reasons) == ["other_owner", "wrong_key", "wrong_key"]


# --- who may see what ---------------------------------------------------------------------------------------

CONTRACTORS = {"demo-contractor-1": "contractor-1", "demo-contractor-2": "contractor-2"}
OWNERS = {"demo-sakaiminato": "sakaiminato", "demo-pref": "pref-demo"}


def test_security_matrix(api):
    parties: dict[str, set[str]] = {}  # number -> the users who are party to it
    names: dict[str, str] = {}
    keys: dict[str, str] = {}
    for contractor_user, contractor in CONTRACTORS.items():
        for owner_user, owner in OWNERS.items():
            name = f"秘匿工事 {contractor} {owner}"
            number = issue(api, contractor_id=contractor, obligee_id=owner, project_name=name)
            parties[number], names[number] = {contractor_user, owner_user}, name
            keys[number] = show_key(api, number, user=contractor_user)

    def read(user, n):
        return api.get(f"/v1/certificates/{n}", user=user)

    def key_of(user, n):
        return api.get(f"/v1/certificates/{n}/auth-key", user=user)

    def reissue_of(user, n):
        return api.post(f"/v1/certificates/{n}/auth-key/reissue", user=user)

    def verification(user, n):
        return verify(api, n, keys.get(n, "ABCDE-FGHJK"), user=user)

    def events(user, n):
        return api.get(f"/v1/certificates/{n}/events", user=user)

    # route -> the role that may use it (a party of that role gets 200; the other role gets 403)
    routes = [(read, "contractor"), (key_of, "contractor"), (reissue_of, "contractor"),
              (verification, "obligee"), (events, "surety")]
    seen = 0
    for route, role in routes:
        for user in [*CONTRACTORS, *OWNERS]:
            user_role = "contractor" if user in CONTRACTORS else "obligee"
            unknown = route(user, UNKNOWN_NUMBER)
            for number in names:
                response = route(user, number)
                context = (route.__name__, user, number, response.json_body)
                if user_role != role:
                    assert response.status_code == 403, context
                    assert response.json_body == unknown.json_body, context
                elif user in parties[number]:
                    assert response.status_code == 200, context
                    if route is reissue_of:
                        keys[number] = response.json_body["auth_key"]
                else:
                    assert response.status_code == 404, context
                    assert response.json_body == unknown.json_body, context
                    assert response.headers.get("Content-Type") == unknown.headers.get("Content-Type")
                text = json.dumps(response.json_body, ensure_ascii=False)
                for other, name in names.items():
                    if user not in parties[other]:
                        assert name not in text, context
                seen += 1
    assert seen == 5 * 4 * 4

    # The lists show only the caller's own.
    for user in CONTRACTORS:
        listed = json.dumps(api.get("/v1/certificates", user=user).json_body, ensure_ascii=False)
        assert {n for n, name in names.items() if name in listed} == {n for n in names if user in parties[n]}
    for user in OWNERS:
        listed = api.get("/v1/verifications", user=user).json_body
        assert {i["contract_number"] for i in listed["items"]} == {n for n in names if user in parties[n]}


# --- guessing ------------------------------------------------------------------------------------------------


def test_five_wrong_keys_lock_the_contract_for_fifteen_minutes(api):
    start = datetime.now(UTC).replace(microsecond=0)
    with frozen(api, start) as clock:
        number = issue(api)
        key = show_key(api, number)
        wrong = wrong_key_for(key)
        unknown = verify(api, UNKNOWN_NUMBER, key)
        for _ in range(5):
            assert_not_verified(verify(api, number, wrong), unknown)

        locked = verify(api, number, key)  # the RIGHT key
        assert locked.status_code == 429, locked.json_body
        assert locked.json_body["code"] == "verification_locked"
        retry_after = locked.headers["Retry-After"]
        assert retry_after.isdigit() and 0 < int(retry_after) <= 900, retry_after
        assert verify(api, number, wrong).status_code == 429  # nothing is evaluated while locked
        assert int(stored_key(number).consecutive_failures) == 5

        clock.move(timedelta(minutes=10))
        still = verify(api, number, key)
        assert still.status_code == 429
        assert 0 < int(still.headers["Retry-After"]) <= 300

        clock.move_to(start + timedelta(seconds=int(retry_after)))  # exactly when told to retry
        assert verify(api, number, key).status_code == 200
        assert int(stored_key(number).consecutive_failures) == 0

        # A fresh count: five more wrong keys are evaluated before the next lock.
        for _ in range(5):
            assert_not_verified(verify(api, number, wrong), unknown)
        assert verify(api, number, key).status_code == 429

    types = [e["type"] for e in events_of(api, number)]
    assert types.count("verification_locked") == 4
    assert types.count("verification_failed") == 10
    assert types.count("verification_succeeded") == 1


def test_another_owner_can_neither_lock_a_contract_nor_tell_it_exists(api):
    number = issue(api)
    key = show_key(api, number)
    unknown = verify(api, UNKNOWN_NUMBER, key, user="demo-pref")
    for _ in range(25):  # more than the lock (5) and the key's life (20)
        response = verify(api, number, key, user="demo-pref")
        assert_not_verified(response, unknown)  # never the 429 an existing contract would give away
    state = stored_key(number)
    assert (int(state.consecutive_failures), int(state.total_failures)) == (0, 0)
    assert verify(api, number, key).status_code == 200  # the owner it is addressed to is not locked out
    reasons = Counter(e["detail"]["reason"] for e in events_of(api, number) if e["type"] == "verification_failed")
    assert reasons == {"other_owner": 25}


def test_twenty_failures_disable_the_key_until_it_is_reissued(api):
    with frozen(api, datetime.now(UTC).replace(microsecond=0)) as clock:
        number = issue(api)
        key = show_key(api, number)
        unknown = verify(api, UNKNOWN_NUMBER, key)
        for _ in range(5):  # 4 at a time, 16 minutes apart: never locked, 20 failures in all
            for _ in range(4):
                assert_not_verified(verify(api, number, wrong_key_for(key)), unknown)
            clock.move(timedelta(minutes=16))
        assert int(stored_key(number).total_failures) == 20

        disabled = verify(api, number, key)
        assert disabled.status_code == 429, disabled.json_body
        assert disabled.json_body["code"] == "auth_key_disabled"
        assert "Retry-After" not in disabled.headers  # waiting does not help: only a reissue does (D12)
        clock.move(timedelta(days=1))
        assert verify(api, number, key).json_body["code"] == "auth_key_disabled"  # waiting does not help

        new = reissue(api, number)
        state = stored_key(number)
        assert (int(state.consecutive_failures), int(state.total_failures), bool(state.disabled)) == (0, 0, False)
        assert verify(api, number, new).status_code == 200
        assert_not_verified(verify(api, number, key), unknown)


def test_an_owner_account_is_limited_to_100_failures_an_hour(api):
    from chalicelib.domain.principal import Principal
    from chalicelib.errors import NotFound
    from chalicelib.services.verification import verify as verify_directly

    pref = Principal(username="demo-pref", role="obligee", org_id="pref-demo")
    start = (datetime.now(UTC) + timedelta(hours=1)).replace(minute=5, second=0, microsecond=0)
    with frozen(api, start) as clock:
        own = issue(api, obligee_id="pref-demo", project_name="○○県道 改良工事")
        own_key = show_key(api, own)
        sakaiminato = issue(api)
        sakaiminato_key = show_key(api, sakaiminato)

        # 100 failures on numbers nobody issued (they count: guessing numbers is guessing too).
        for i in range(100):
            with pytest.raises(NotFound):
                verify_directly(pref, {"contract_number": str(2079000000 + i), "auth_key": "ABCDE-FGHJK"}, f"r{i}")

        throttled = verify(api, own, own_key, user="demo-pref")  # the right key, another contract
        assert throttled.status_code == 429, throttled.json_body
        assert throttled.json_body["code"] == "account_throttled"
        assert throttled.headers["Retry-After"] == str(55 * 60)  # until the hour's end
        assert verify(api, UNKNOWN_NUMBER, own_key, user="demo-pref").json_body["code"] == "account_throttled"
        assert verify(api, sakaiminato, sakaiminato_key).status_code == 200  # other accounts are not limited

        clock.move(timedelta(hours=1))
        again = verify(api, own, own_key, user="demo-pref")
        assert again.status_code == 200, again.json_body


def test_concurrent_guesses_evaluate_at_most_five(api):
    from chalicelib.domain.principal import Principal
    from chalicelib.errors import NotFound, TooManyRequests
    from chalicelib.services.verification import verify as verify_directly

    number = issue(api)
    key = show_key(api, number)
    owner = Principal(username=OWNER, role="obligee", org_id="sakaiminato")
    guesses: set[str] = set()
    while len(guesses) < 20:
        guess = "".join(secrets.choice(CROCKFORD) for _ in range(10))
        if guess != key.replace("-", ""):
            guesses.add(guess)
    wrong_keys = sorted(guesses)
    barrier = threading.Barrier(len(wrong_keys))

    def guess_once(i: int) -> int:
        barrier.wait()
        try:
            verify_directly(owner, {"contract_number": number, "auth_key": wrong_keys[i]}, f"thread-{i}")
        except NotFound:
            return 404
        except TooManyRequests:
            return 429
        return 200

    with atomic_dynamodb(), ThreadPoolExecutor(max_workers=len(wrong_keys)) as pool:
        outcomes = Counter(pool.map(guess_once, range(len(wrong_keys))))

    assert outcomes[404] <= 5 and outcomes[404] + outcomes[429] == 20, outcomes
    assert outcomes[404] == 5, outcomes  # the first five claims win, whoever they are
    state = stored_key(number)
    assert int(state.consecutive_failures) == outcomes[404] == 5
    types = Counter(e["type"] for e in events_of(api, number))
    assert types["verification_failed"] == 5 and types["verification_locked"] == 15
    assert verify(api, number, key).status_code == 429


# --- secrets at rest ------------------------------------------------------------------------------------------


def test_the_plain_key_is_stored_logged_and_mailed_nowhere(api, caplog):
    caplog.set_level(logging.DEBUG)
    number = issue(api)
    first = show_key(api, number)
    assert verify(api, number, first).status_code == 200
    assert verify(api, number, wrong_key_for(first)).status_code == 404
    second = reissue(api, number)
    assert show_key(api, number) == second
    assert verify(api, number, second).status_code == 200
    assert verify(api, number, first).status_code == 404
    assert api.get("/v1/verifications", user=OWNER).status_code == 200
    assert api.get(f"/v1/certificates/{number}/events", user="demo-surety").status_code == 200

    forms = [form for key in (first, second) for form in (key, key.replace("-", ""))]

    import boto3

    settings_ = api.account.settings
    dynamodb = boto3.client("dynamodb", region_name=settings_.region)
    tables = [t for t in dynamodb.list_tables()["TableNames"] if t.startswith(settings_.table_prefix)]
    assert any(t.endswith("auth-keys") for t in tables) and len(tables) >= 9
    rows = 0
    for table in tables:
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                rows += 1
                text = repr(item)
                assert not [f for f in forms if f in text], (table, item)
    assert rows > 10

    assert caplog.records
    logged = caplog.text + "".join(repr(r.__dict__) for r in caplog.records)
    assert not [f for f in forms if f in logged]
    # botocore's own DEBUG lines carry KMS plaintext base64-encoded; nothing the service logs at INFO and
    # above may carry it in any form.
    encoded = [base64.b64encode(key.replace("-", "").encode()).decode() for key in (first, second)]
    service_logged = "".join(f"{r.getMessage()}{r.__dict__!r}" for r in caplog.records if r.levelno >= logging.INFO)
    assert not [f for f in forms + encoded if f in service_logged]

    emails = sent_emails()
    assert emails
    mailed = repr([(m.source, m.subject, m.body, m.destinations) for m in emails])
    assert not [f for f in forms if f in mailed]


def test_a_warm_verification_costs_at_most_three_dynamodb_calls_and_no_kms(api):
    number = issue(api)
    key = show_key(api, number)
    wrong = wrong_key_for(key)
    with aws_calls() as calls:
        assert verify(api, number, key).status_code == 200  # warms clients and connections
        calls.clear()
        assert verify(api, number, key).status_code == 200
        success = dict(calls)

        assert verify(api, number, wrong).status_code == 404
        calls.clear()
        assert verify(api, number, wrong).status_code == 404
        failure = dict(calls)
    for counted in (success, failure):
        assert 1 <= counted.get("dynamodb", 0) <= 3, counted
        assert counted.get("kms", 0) == 0, counted
        assert counted.get("secretsmanager", 0) == 0, counted
        assert counted.get("cognito-idp", 0) == 0, counted


# --- what an owner verified, and the surety's audit trail -----------------------------------------------------


def test_an_owner_lists_what_it_verified(api):
    first, second = issue(api), issue(api, project_name="境港市 第二工区 舗装工事")
    pref_number = issue(api, obligee_id="pref-demo", project_name="○○県 河川改修工事")
    answers = {}
    for number, user in ((first, OWNER), (second, OWNER), (pref_number, "demo-pref")):
        answers[number] = verify(api, number, show_key(api, number), user=user)
        assert answers[number].status_code == 200
    amend(api, first, 1, guarantee_amount=30_000_000)

    listed = api.get("/v1/verifications", user=OWNER)
    assert listed.status_code == 200, listed.json_body
    items = {i["contract_number"]: i for i in listed.json_body["items"]}
    assert set(items) == {first, second}
    assert listed.json_body["next_cursor"] is None
    assert items[second]["version"] == 1 and items[second]["changed_since_verified"] is False
    assert items[second]["project_name"] == "境港市 第二工区 舗装工事"
    assert items[second]["status"] == "active"
    assert items[first]["version"] == 2 and items[first]["changed_since_verified"] is True
    for number, item in items.items():
        assert item["verified_at"].endswith("Z")
        datetime.fromisoformat(item["verified_at"].replace("Z", "+00:00"))
        assert item["verified_at"] == answers[number].json_body["verified_at"]  # the 確認日時 the clerk saw
    assert "○○県 河川改修工事" not in json.dumps(listed.json_body, ensure_ascii=False)

    page1 = api.get("/v1/verifications?limit=1", user=OWNER).json_body
    assert len(page1["items"]) == 1 and page1["next_cursor"]
    page2 = api.get(f"/v1/verifications?limit=1&cursor={page1['next_cursor']}", user=OWNER).json_body
    assert len(page2["items"]) == 1 and page2["next_cursor"] is None
    assert {page1["items"][0]["contract_number"], page2["items"][0]["contract_number"]} == {first, second}

    pref_page = api.get("/v1/verifications?limit=1", user="demo-pref").json_body
    assert [i["contract_number"] for i in pref_page["items"]] == [pref_number]
    cursor = page1["next_cursor"]
    body, _, signature = cursor.partition(".")
    forged = [
        "not-a-cursor",
        f"{body}.{signature[::-1]}",
        f"{body[:-2]}AA.{signature}",
        cursor + "x",
    ]
    for bad in forged:
        response = api.get(f"/v1/verifications?limit=1&cursor={bad}", user=OWNER)
        assert response.status_code == 400, (bad, response.json_body)
        assert response.json_body["code"] == "invalid_cursor"
    # Another owner's genuine cursor is no good either.
    response = api.get(f"/v1/verifications?limit=1&cursor={cursor}", user="demo-pref")
    assert response.status_code == 400 and response.json_body["code"] == "invalid_cursor"

    for user in ("demo-contractor-1", "demo-surety"):
        assert api.get("/v1/verifications", user=user).status_code == 403
    assert api.get("/v1/verifications").status_code == 401


def test_the_audit_trail_is_newest_first_and_paged(api):
    number = issue(api)
    key = show_key(api, number)
    wrong = wrong_key_for(key)
    assert verify(api, number, wrong).status_code == 404
    assert verify(api, number, key).status_code == 200
    for _ in range(5):
        assert verify(api, number, wrong).status_code == 404
    assert verify(api, number, key).status_code == 429

    events = events_of(api, number)
    expected = ["issued", "key_shown", "verification_failed", "verification_succeeded",
                *["verification_failed"] * 5, "verification_locked"]
    assert [e["type"] for e in events] == expected[::-1]
    results = {e["type"]: e["result"] for e in events}
    assert results == {"issued": "ok", "key_shown": "ok", "verification_failed": "failed",
                       "verification_succeeded": "ok", "verification_locked": "locked"}
    moments = [datetime.fromisoformat(e["at"].replace("Z", "+00:00")) for e in events]
    assert all(e["at"].endswith("Z") for e in events)
    assert all(m.utcoffset() == timedelta(0) for m in moments)
    assert moments == sorted(moments, reverse=True)
    assert len({e["request_id"] for e in events}) == len(events) and all(e["request_id"] for e in events)
    actors = {e["type"]: (e["actor"], e["role"], e["org_id"]) for e in events}
    assert actors["issued"] == ("demo-surety", "surety", "surety")
    assert actors["key_shown"] == ("demo-contractor-1", "contractor", "contractor-1")
    assert actors["verification_locked"] == (OWNER, "obligee", "sakaiminato")
    trail = json.dumps(events, ensure_ascii=False)
    assert key not in trail and key.replace("-", "") not in trail

    paged, cursor = [], None
    while True:
        query = f"?limit=3&cursor={cursor}" if cursor else "?limit=3"
        page = api.get(f"/v1/certificates/{number}/events{query}", user="demo-surety")
        assert page.status_code == 200, page.json_body
        assert len(page.json_body["items"]) <= 3
        paged += page.json_body["items"]
        cursor = page.json_body["next_cursor"]
        if not cursor:
            break
    assert paged == events

    other = issue(api)
    first_page = api.get(f"/v1/certificates/{number}/events?limit=3", user="demo-surety").json_body
    reused = api.get(f"/v1/certificates/{other}/events?cursor={first_page['next_cursor']}", user="demo-surety")
    assert reused.status_code == 400 and reused.json_body["code"] == "invalid_cursor"

    for user in ("demo-contractor-1", "demo-contractor-2", OWNER, "demo-pref"):
        refused = api.get(f"/v1/certificates/{number}/events", user=user)
        assert refused.status_code == 403, (user, refused.json_body)
    assert api.get(f"/v1/certificates/{number}/events").status_code == 401
    assert api.get(f"/v1/certificates/{UNKNOWN_NUMBER}/events", user="demo-surety").status_code == 404


def test_a_key_reissued_while_it_is_being_verified_is_not_verified_and_not_a_throttle(api, monkeypatch):
    """The contractor reissues between the check of the typed key and its recording: the typed key is the old
    one now. The owner gets the one failure answer (never a 429 claiming its account is limited), and nothing
    is recorded as verified."""
    from chalicelib.store import auth_keys as auth_key_store
    from chalicelib.store.models import AuthKey, Verification

    number = issue(api)
    key = show_key(api, number)
    real = auth_key_store.record_success

    def reissued_meanwhile(*args: Any, **kwargs: Any) -> Any:
        AuthKey(number).update(actions=[AuthKey.generation.add(1)])  # another request's reissue won
        return real(*args, **kwargs)

    monkeypatch.setattr(auth_key_store, "record_success", reissued_meanwhile)
    answer = verify(api, number, key)
    assert answer.status_code == 404 and answer.json_body["code"] == "verification_failed", answer.json_body
    assert "Retry-After" not in answer.headers
    assert Verification.count("sakaiminato", Verification.contract_number == number) == 0
