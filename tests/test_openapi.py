"""openapi.yaml is part of the contract and is kept true here: it is a valid OpenAPI document,
it lists exactly the routes the app registers, and what the app really answers matches what it documents.

Live answers are checked strictly: every `$ref` is inlined, `allOf` is merged, and an object schema that lists
its properties is closed (`additionalProperties: false`) for the check, so a field the code returns but the
document does not list fails here as surely as a documented field the code leaves out.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import re
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from openapi_spec_validator import validate

from tests.support.api import CONTRACTOR, OTHER_CONTRACTOR, OWNER, SURETY
from tests.support.openapi import deref, operations, schema_errors, spec, strict
from tests.support.world import DROP, Api, issue_body

PUBLIC = {("GET", "/v1/health"), ("POST", "/v1/auth/login"), ("POST", "/v1/auth/new-password"),
          ("POST", "/v1/auth/mfa-setup"), ("POST", "/v1/auth/mfa")}
IDEMPOTENT = {
    ("POST", "/v1/guarantees"),
    ("POST", "/v1/guarantees/{contract_number}/amendments"),
    ("POST", "/v1/guarantees/{contract_number}/cancel"),
}


def app_routes() -> dict[tuple[str, str], Any]:
    """The app's /v1 routes: the JSON API this document describes (the portal's HTML pages are not part of it)."""
    from app import app

    return {(method.upper(), path): entry for path, methods in app.routes.items() for method, entry in methods.items()
            if path.startswith("/v1/")}


@functools.cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    return [(re.compile(re.sub(r"\{[^/}]+\}", "[^/]+", path)), path) for path in spec()["paths"]]


def template_of(path: str) -> str:
    bare = urlsplit(path).path
    matches = [template for pattern, template in _templates() if pattern.fullmatch(bare)]
    assert len(matches) == 1, f"{bare} matches {matches} in openapi.yaml"
    return matches[0]


def call(api: Api, method: str, path: str, *, expect: int, **kwargs: Any) -> Any:
    """Send a request, assert its status, and check the answer against the document; returns the JSON body.

    For a success the request body sent is also checked against the documented request schema, so the
    examples these tests send are valid by the document too.
    """
    response = api.request(method, path, **kwargs)
    body = response.json_body
    assert response.status_code == expect, (method, path, response.status_code, body)
    template = template_of(path)
    operation = operations()[(method, template)]
    documented = deref(operation["responses"].get(str(response.status_code)))
    assert documented, f"{method} {template} answered {response.status_code}, which openapi.yaml does not list"
    errors = schema_errors(documented["content"]["application/json"]["schema"], body)
    assert not errors, f"{method} {template} {response.status_code} differs from openapi.yaml: {errors}\n{body}"
    if response.status_code >= 400:
        assert f"`{body['code']}`" in documented["description"], (
            f"{method} {template} {response.status_code}: code {body['code']!r} is not in the documented description")
    headers = {name.lower() for name in response.headers}
    for name in documented.get("headers", {}):
        assert name.lower() in headers, f"{method} {template} {response.status_code} lacks the header {name}"
    if response.status_code < 400 and kwargs.get("body") is not None:
        request_schema = deref(operation["requestBody"])["content"]["application/json"]["schema"]
        errors = schema_errors(request_schema, kwargs["body"])
        assert not errors, f"the request sent to {method} {template} differs from openapi.yaml: {errors}"
    return body


# --- the document itself ---------------------------------------------------------------------------------


def test_document_is_valid_openapi():
    assert spec()["openapi"].startswith("3.")
    assert spec()["info"]["title"] == "電子保証 API"
    validate(copy.deepcopy(spec()))


def test_document_lists_exactly_the_routes_of_the_app():
    routes, documented = app_routes(), operations()
    missing = sorted(set(routes) - set(documented))
    stale = sorted(set(documented) - set(routes))
    assert not missing, f"routes of the app that openapi.yaml does not document: {missing}"
    assert not stale, f"operations in openapi.yaml that the app does not have: {stale}"
    for key, entry in routes.items():
        declared = [
            deref(p)["name"]
            for p in spec()["paths"][key[1]].get("parameters", []) + documented[key].get("parameters", [])
            if deref(p)["in"] == "path"
        ]
        assert sorted(declared) == sorted(entry.view_args), (key, declared, entry.view_args)


def test_security_and_documented_errors_of_each_operation():
    scheme = spec()["components"]["securitySchemes"]["cognitoIdToken"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert spec()["security"] == [{"cognitoIdToken": []}]
    ids = [operation["operationId"] for operation in operations().values()]
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    for key, operation in operations().items():
        responses = operation["responses"]
        if key in PUBLIC:
            assert operation.get("security") == [], f"{key} needs no login and must say so"
        elif key in MACHINE_OPERATIONS:  # people's ID tokens and owners' systems' access tokens
            assert operation["security"] == [{"cognitoIdToken": []}, {"machineClient": [MACHINE_OPERATIONS[key]]}], key
            assert {"401", "403"} <= set(responses), f"{key} must document 401 and 403"
        else:
            assert "security" not in operation, f"{key} must use the document's bearer security"
            assert {"401", "403"} <= set(responses), f"{key} must document 401 and 403"
        if "requestBody" in operation:
            assert "400" in responses, f"{key} takes a body and must document 400"
        for status, response in responses.items():
            content = deref(response).get("content", {})
            # JSON everywhere; the certificate search's CSV download (format=csv) is its one other answer.
            other = ["text/csv"] if (key, status) == (("GET", "/v1/certificates"), "200") else []
            assert list(content) == ["application/json", *other], (key, status)
            if status.startswith(("4", "5")):
                assert "code" in strict(content["application/json"]["schema"])["required"], (key, status)


def test_idempotency_key_is_documented_exactly_where_it_is_required():
    for key, operation in operations().items():
        headers = [deref(p) for p in operation.get("parameters", []) if deref(p)["in"] == "header"]
        has_key = any(p["name"] == "Idempotency-Key" and p["required"] for p in headers)
        assert has_key == (key in IDEMPOTENT), key
    too_many = deref(operations()[("POST", "/v1/verifications")]["responses"]["429"])
    assert "Retry-After" in too_many["headers"]


# --- live answers -----------------------------------------------------------------------------------------


def test_public_and_surety_answers_match_the_document(api):
    assert call(api, "GET", "/v1/health", expect=200) == {"status": "ok"}
    login = call(api, "POST", "/v1/auth/login", expect=200,
                 body={"username": SURETY, "password": "Demo-Passw0rd!"})
    assert login["role"] == "surety"
    call(api, "POST", "/v1/auth/login", expect=401, body={"username": SURETY, "password": "wrong"})
    call(api, "POST", "/v1/auth/login", expect=400, body={"username": ""})
    call(api, "POST", "/v1/auth/login", expect=415, raw_body="x", headers={"Content-Type": "text/plain"})

    contractor = {"name": "株式会社□□組", "address": "鳥取県境港市1番地", "email": "info@shikaku.example.jp"}
    call(api, "PUT", "/v1/contractors/contractor-3", expect=201, user=SURETY, body=contractor)
    call(api, "PUT", "/v1/contractors/contractor-3", expect=200, user=SURETY, body={**contractor, "name": "□□組"})
    owner = {"name": "米子市長", "e_guarantee_start_date": "2024-04-01", "eligible_work_categories": ["construction"],
             "submission_method": "e_contract", "contact_email": "keiyaku@yonago.example.jp",
             "ratio_rules": {"advance_payment": {"kind": "max", "percent": 30}}}
    assert call(api, "PUT", "/v1/obligees/yonago", expect=201, user=SURETY, body=owner)["ratio_rules"]
    call(api, "PUT", "/v1/obligees/yonago", expect=200, user=SURETY, body={**owner, "e_guarantee_start_date": None})
    call(api, "PUT", "/v1/obligees/yonago", expect=400, user=SURETY, body={**owner, "submission_method": "fax"})
    call(api, "PUT", "/v1/obligees/yonago", expect=403, user=CONTRACTOR, body=owner)

    body = issue_body()
    issued = call(api, "POST", "/v1/guarantees", expect=201, user=SURETY, body=body,
                  headers={"Idempotency-Key": "openapi-issue-1"})
    number = issued["contract_number"]
    again = call(api, "POST", "/v1/guarantees", expect=201, user=SURETY, body=body,
                 headers={"Idempotency-Key": "openapi-issue-1"})
    assert again == issued
    call(api, "POST", "/v1/guarantees", expect=422, user=SURETY, body=issue_body(project_name="別の工事"),
         headers={"Idempotency-Key": "openapi-issue-1"})
    paper = issue_body(guarantee_type="performance", guarantee_amount=10_000_000, deposit_bank=DROP,
                       delivery="paper", contract_amount_covered=None)
    assert call(api, "POST", "/v1/guarantees", expect=201, user=SURETY, body=paper,
                headers={"Idempotency-Key": "openapi-issue-2"})["deposit_bank"] is None
    invalid = call(api, "POST", "/v1/guarantees", expect=400, user=SURETY,
                   body=issue_body(guarantee_amount=0, contract_date="2024-02-30", extra=1),
                   headers={"Idempotency-Key": "openapi-issue-3"})
    assert {e["field"] for e in invalid["errors"]} >= {"guarantee_amount", "contract_date", "extra"}
    call(api, "POST", "/v1/guarantees", expect=400, user=SURETY, body=body)  # no Idempotency-Key
    call(api, "POST", "/v1/guarantees", expect=422, user=SURETY, body=issue_body(obligee_id="nobody"),
         headers={"Idempotency-Key": "openapi-issue-4"})
    call(api, "POST", "/v1/guarantees", expect=401, body=body, headers={"Idempotency-Key": "openapi-issue-5"})

    amend = f"/v1/guarantees/{number}/amendments"
    amended = call(api, "POST", amend, expect=201, user=SURETY,
                   body={"expected_version": 1, "guarantee_amount": 30_000_000}, headers={"Idempotency-Key": "a1"})
    assert amended["version"] == 2 and amended["certificate_issued"] is True
    recorded = call(api, "POST", amend, expect=200, user=SURETY,
                    body={"expected_version": 2, "contract_amount_total": 120_000_000},
                    headers={"Idempotency-Key": "a2"})
    assert recorded["certificate_issued"] is False
    stale = call(api, "POST", amend, expect=409, user=SURETY, body={"expected_version": 1, "project_name": "改名"},
                 headers={"Idempotency-Key": "a3"})
    assert stale["current_version"] == 2
    call(api, "POST", amend, expect=422, user=SURETY, body={"expected_version": 2, "guarantee_amount": 1_000_000},
         headers={"Idempotency-Key": "a1"})
    call(api, "POST", "/v1/guarantees/9999999999/amendments", expect=404, user=SURETY,
         body={"expected_version": 1, "guarantee_amount": 1}, headers={"Idempotency-Key": "a4"})
    call(api, "POST", "/v1/guarantees/123/cancel", expect=400, user=SURETY, body={"reason": "x"},
         headers={"Idempotency-Key": "c0"})
    cancelled = call(api, "POST", f"/v1/guarantees/{number}/cancel", expect=200, user=SURETY,
                     body={"reason": "工事中止"}, headers={"Idempotency-Key": "c1"})
    assert cancelled["status"] == "cancelled"
    call(api, "POST", f"/v1/guarantees/{number}/cancel", expect=409, user=SURETY, body={"reason": "再度"},
         headers={"Idempotency-Key": "c2"})
    call(api, "POST", f"/v1/guarantees/{number}/cancel", expect=422, user=SURETY, body={"reason": "別の理由"},
         headers={"Idempotency-Key": "c1"})
    call(api, "POST", "/v1/guarantees/9999999999/cancel", expect=404, user=SURETY, body={"reason": "x"},
         headers={"Idempotency-Key": "c3"})

    events = call(api, "GET", f"/v1/certificates/{number}/events?limit=2", expect=200, user=SURETY)
    assert events["next_cursor"] and len(events["items"]) == 2
    more = call(api, "GET", f"/v1/certificates/{number}/events?limit=2&cursor={events['next_cursor']}",
                expect=200, user=SURETY)
    assert more["items"]
    call(api, "GET", f"/v1/certificates/{number}/events", expect=403, user=CONTRACTOR)
    call(api, "GET", "/v1/certificates/9999999999/events", expect=404, user=SURETY)
    listed = call(api, "GET", "/v1/certificates?contractor_id=contractor-1", expect=200, user=SURETY)
    assert listed["total"] == 2
    call(api, "GET", "/v1/certificates", expect=400, user=SURETY)


def test_contractor_answers_match_the_document(api):
    numbers = [api.issue(project_name=f"境港市 護岸工事 第{i}工区").json_body["contract_number"] for i in (1, 2, 3)]
    paper = api.issue(guarantee_type="performance", guarantee_amount=10_000_000, deposit_bank=DROP,
                      delivery="paper").json_body["contract_number"]

    first = call(api, "GET", "/v1/certificates?limit=2", expect=200, user=CONTRACTOR)
    assert first["total"] == 4 and len(first["items"]) == 2 and first["next_cursor"]
    second = call(api, "GET", f"/v1/certificates?limit=2&cursor={first['next_cursor']}", expect=200, user=CONTRACTOR)
    assert second["next_cursor"] is None
    found = call(api, "GET", f"/v1/certificates?field=project_name&q={quote('第２工区')}", expect=200,
                 user=CONTRACTOR)
    assert [item["contract_number"] for item in found["items"]] == [numbers[1]]
    call(api, "GET", "/v1/certificates?field=contract_number&q=abc", expect=400, user=CONTRACTOR)
    call(api, "GET", "/v1/certificates?limit=101", expect=400, user=CONTRACTOR)
    call(api, "GET", "/v1/certificates?cursor=forged", expect=400, user=CONTRACTOR)
    call(api, "GET", "/v1/certificates", expect=401)
    call(api, "GET", "/v1/certificates", expect=403, user=OWNER)
    assert call(api, "GET", "/v1/certificates", expect=200, user=OTHER_CONTRACTOR)["items"] == []

    number = numbers[0]
    detail = call(api, "GET", f"/v1/certificates/{number}", expect=200, user=CONTRACTOR)
    assert detail["versions"][0]["version"] == 1 and detail["deposit_bank"]
    full_width = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    call(api, "GET", f"/v1/certificates/{quote(full_width)}?version=1", expect=200, user=CONTRACTOR)
    call(api, "GET", f"/v1/certificates/{number}?version=9", expect=404, user=CONTRACTOR)
    call(api, "GET", f"/v1/certificates/{number}?version=x", expect=400, user=CONTRACTOR)
    call(api, "GET", f"/v1/certificates/{number}", expect=404, user=OTHER_CONTRACTOR)
    call(api, "GET", "/v1/certificates/12345", expect=400, user=CONTRACTOR)
    call(api, "GET", f"/v1/certificates/{number}", expect=200, user=SURETY)

    assert call(api, "GET", f"/v1/certificates/{number}/pdf", expect=200, user=CONTRACTOR)["expires_in"] <= 300
    call(api, "GET", f"/v1/certificates/{paper}/pdf?version=1", expect=200, user=SURETY)
    call(api, "GET", f"/v1/certificates/{number}/pdf", expect=404, user=OTHER_CONTRACTOR)

    shown = call(api, "GET", f"/v1/certificates/{number}/auth-key", expect=200, user=CONTRACTOR)
    reissued = call(api, "POST", f"/v1/certificates/{number}/auth-key/reissue", expect=200, user=CONTRACTOR)
    assert reissued["generation"] == shown["generation"] + 1
    call(api, "GET", f"/v1/certificates/{paper}/auth-key", expect=404, user=CONTRACTOR)
    call(api, "POST", f"/v1/certificates/{number}/auth-key/reissue", expect=404, user=OTHER_CONTRACTOR)
    call(api, "GET", f"/v1/certificates/{number}/auth-key", expect=403, user=SURETY)


def test_owner_answers_match_the_document(api):
    number = api.issue().json_body["contract_number"]
    key = api.get(f"/v1/certificates/{number}/auth-key", user=CONTRACTOR).json_body["auth_key"]
    typed = key.lower().replace("-", " ")

    verified = call(api, "POST", "/v1/verifications", expect=200, user=OWNER,
                    body={"contract_number": number, "auth_key": typed})
    assert verified["certificate"]["contract_number"] == number
    listed = call(api, "GET", "/v1/verifications?limit=1", expect=200, user=OWNER)
    assert listed["items"][0]["changed_since_verified"] is False
    searched = call(api, "GET", f"/v1/verifications?field=contract_number&q={number}", expect=200, user=OWNER)
    assert [i["contract_number"] for i in searched["items"]] == [number]
    call(api, "GET", "/v1/verifications?field=contractor&q=%E2%97%8B%E2%97%8B", expect=200, user=OWNER)  # ○○
    call(api, "GET", "/v1/verifications?field=contract_number&q=12", expect=400, user=OWNER)
    call(api, "GET", "/v1/verifications?field=obligee&q=x", expect=400, user=OWNER)
    reopened = call(api, "GET", f"/v1/verifications/{number}", expect=200, user=OWNER)
    assert reopened["verified_at"] == verified["verified_at"]
    call(api, "GET", f"/v1/verifications/{number}", expect=404, user="demo-pref")
    call(api, "GET", "/v1/verifications?limit=0", expect=400, user=OWNER)
    call(api, "GET", "/v1/verifications", expect=403, user=CONTRACTOR)
    call(api, "POST", "/v1/verifications", expect=400, user=OWNER, body={"contract_number": "12", "auth_key": "?"})
    call(api, "POST", "/v1/verifications", expect=400, user=OWNER, raw_body="[]")
    call(api, "POST", "/v1/verifications", expect=404, user="demo-pref",
         body={"contract_number": number, "auth_key": key})

    # A handed PDF: genuine for its owner, status withheld from another owner, a Japanese answer for junk.
    pdf_url = verified["pdf_url"]
    encoded = base64.b64encode(requests.get(pdf_url, timeout=10).content).decode()
    checked = call(api, "POST", "/v1/documents/check", expect=200, user=OWNER, body={"pdf_base64": encoded})
    assert checked["result"] == "genuine" and checked["status"] == "current"
    other = call(api, "POST", "/v1/documents/check", expect=200, user="demo-pref", body={"pdf_base64": encoded})
    assert other["status"] == "not_disclosed" and "latest_version" not in other
    junk = call(api, "POST", "/v1/documents/check", expect=200, user=OWNER, body={"pdf_base64": "aGVsbG8="})
    assert junk["result"] == "unreadable"
    call(api, "POST", "/v1/documents/check", expect=400, user=OWNER, body={"pdf_base64": "%%"})

    # Five failures in a row by the owner addressed lock the number (another owner's attempts do not count).
    wrong = "00000-00000" if key != "00000-00000" else "11111-11111"
    for _ in range(5):
        call(api, "POST", "/v1/verifications", expect=404, user=OWNER,
             body={"contract_number": number, "auth_key": wrong})
    locked = call(api, "POST", "/v1/verifications", expect=429, user=OWNER,
                  body={"contract_number": number, "auth_key": key})
    assert locked["code"] == "verification_locked"


# The routes an owner's system may call with a client-credentials access token, and the scope each needs.
MACHINE_OPERATIONS = {("POST", "/v1/verifications"): "verifications/write",
                      ("GET", "/v1/verifications"): "verifications/read",
                      ("GET", "/v1/verifications/{contract_number}"): "verifications/read"}
USER_OF_ROLE = {"surety": SURETY, "contractor": CONTRACTOR, "obligee": OWNER}


def test_machine_clients_are_an_oauth2_client_credentials_scheme_of_the_pool():
    """What code generators and API tools read: the pool's token endpoint (the stack's domain, prod's default
    prefix) and the resource server's scopes, exactly those the stack grants and the app checks."""
    from chalicelib.adapters.identity import MACHINE_SCOPES
    from scripts.infra import MACHINE_SCOPE_NAMES, RESOURCE_SERVER
    from scripts.local_run import REGION

    scheme = spec()["components"]["securitySchemes"]["machineClient"]
    assert scheme["type"] == "oauth2" and list(scheme["flows"]) == ["clientCredentials"]
    flow = scheme["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == f"https://denshi-hosho-prod.auth.{REGION}.amazoncognito.com/oauth2/token"
    granted = {f"{RESOURCE_SERVER}/{name}" for name in MACHINE_SCOPE_NAMES}
    assert set(flow["scopes"]) == granted == set(MACHINE_SCOPES)
    assert set(MACHINE_OPERATIONS.values()) == granted


def test_each_machine_operation_takes_exactly_its_documented_scope(api):
    """A token with the documented scope gets past the scope check; one with every other scope is a 403."""
    from tests.support.machine import access_token, bearer, register

    client = register(api)["client_id"]
    for (method, template), scope in sorted(MACHINE_OPERATIONS.items()):
        path = template.format(**SAMPLE_PATH_VALUES)
        body = {"contract_number": "2070004426", "auth_key": "00000-00000"} if method == "POST" else None
        others = " ".join(sorted(set(MACHINE_OPERATIONS.values()) - {scope}))
        refused = api.request(method, path, body=body, headers=bearer(access_token(api, client, others)))
        assert refused.status_code == 403 and refused.json_body["code"] == "insufficient_scope", (template, others)
        allowed = api.request(method, path, body=body, headers=bearer(access_token(api, client, scope)))
        assert allowed.status_code in {200, 404}, (template, scope, allowed.json_body)
SAMPLE_PATH_VALUES = {"contract_number": "2070004426", "obligee_id": "sakaiminato", "contractor_id": "contractor-1",
                      "endpoint_id": "0" * 32, "delivery_id": "0" * 32, "client_id": "0" * 26}


def test_every_operation_answers_its_gatekeeping_errors_as_documented(bare_api):
    """401 without a token, 403 for each role outside `x-roles`, 415 for a body that is not JSON, 400 for a
    malformed contract number, body or limit (which every role in `x-roles` reaches past the role check), and
    400 `idempotency_key_required` where the header is documented as required."""
    for (method, template), operation in sorted(operations().items()):
        if (method, template) in PUBLIC:
            continue
        roles = operation["x-roles"]
        assert roles and set(roles) <= set(USER_OF_ROLE), (method, template, roles)
        path = template.format(**SAMPLE_PATH_VALUES)
        json_body = {"headers": {"Idempotency-Key": "gate"}, "raw_body": "{}"} if "requestBody" in operation else {}
        call(bare_api, method, path, expect=401, **json_body)
        for role in sorted(set(USER_OF_ROLE) - set(roles)):
            call(bare_api, method, path, expect=403, user=USER_OF_ROLE[role], **json_body)
        for role in roles:
            user = USER_OF_ROLE[role]
            if "{contract_number}" in template:
                malformed = template.format(**{**SAMPLE_PATH_VALUES, "contract_number": "12345"})
                error = call(bare_api, method, malformed, expect=400, user=user, **json_body)
                assert error["errors"][0]["field"] == "contract_number", error
            elif "requestBody" in operation:
                call(bare_api, method, path, expect=400, user=user, raw_body="[]")
            elif any(p.get("$ref", "").endswith("/Limit") for p in operation.get("parameters", [])):
                call(bare_api, method, f"{path}?limit=0", expect=400, user=user)
            if "requestBody" in operation:
                call(bare_api, method, path, expect=415, user=user, raw_body="x",
                     headers={"Content-Type": "text/plain", "Idempotency-Key": "gate"})
            if (method, template) in IDEMPOTENT:
                error = call(bare_api, method, path, expect=400, user=user, raw_body="{}")
                assert error["code"] == "idempotency_key_required", error


def test_strict_check_catches_an_undocumented_field():
    """The checker itself: an extra field, a missing one, or a wrong type in an answer is reported."""
    summary = {
        "contract_number": "2070004426", "guarantee_type": "advance_payment", "label": "前払",
        "issued_on": "2022-01-28", "amended": False, "version": 1, "status": "active", "delivery": "electronic",
        "obligee_id": "pref-demo", "obligee_name": "○○県知事", "project_name": "○○道路改良工事",
        "contract_amount_total": 100_000_000, "contract_amount_covered": 100_000_000, "guarantee_amount": 40_000_000,
        "completion_date": "2023-03-31", "guarantee_period_end": "2023-03-31",
    }
    ref = {"$ref": "#/components/schemas/CertificateSummary"}
    assert schema_errors(ref, summary) == []
    assert schema_errors(ref, {**summary, "secret": 1})
    assert schema_errors(ref, {k: v for k, v in summary.items() if k != "label"})
    assert schema_errors(ref, {**summary, "issued_on": "2022-02-30"})
    assert schema_errors({"$ref": "#/components/schemas/Error"}, json.loads('{"code": "x"}'))
