"""The API as integrators use it: the demo users, issuing, amending and cancelling, 認証キー, verification, the
audit trail, and the one check of an error answer."""

from __future__ import annotations

import itertools
import re
from typing import Any

from scripts.demo_data import CONTRACTORS, OBLIGEES

SURETY = "demo-surety"
CONTRACTOR = "demo-contractor-1"
OTHER_CONTRACTOR = "demo-contractor-2"
OWNER = "demo-sakaiminato"  # the owner of issue_body's certificates
OTHER_OWNER = "demo-pref"
OWNER_EMAIL = OBLIGEES["sakaiminato"]["contact_email"]
CONTRACTOR_EMAIL = CONTRACTORS["contractor-1"]["email"]

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
DISPLAY_KEY = re.compile(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}")
UNKNOWN_NUMBER = "2079999999"  # well past any number the tests issue (the counter starts at 2070500001)
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
# The Japanese name each message about an issue field must carry, written out here so a wrong name fails a test.
FIELD_NAMES = {
    "guarantee_type": "保証区分",
    "contractor_id": "保証契約者ID",
    "obligee_id": "発注者ID",
    "work_category": "工事等の種別",
    "project_name": "工事名",
    "contract_date": "契約日",
    "completion_date": "工期末日",
    "contract_amount_total": "請負金額(総額)",
    "contract_amount_covered": "請負金額(対象額)",
    "guarantee_amount": "保証金額",
    "guarantee_period_end": "保証期間の末日",
    "deposit_bank": "預託金融機関",
    "delivery": "交付方法",
}

_keys = itertools.count(1)


def assert_error(response: Any, status: int, code: str | None = None, *, fields: set[str] | None = None,
                 context: object = "") -> None:
    """The error envelope: `status`, a `code`, a Japanese `message`; the code and the fields in `errors`
    when given."""
    body = response.json_body
    assert response.status_code == status, (context, response.status_code, body)
    assert isinstance(body, dict) and isinstance(body.get("code"), str), (context, body)
    assert isinstance(body.get("message"), str) and JAPANESE.search(body["message"]), (context, body)
    if code is not None:
        assert body["code"] == code, (context, body)
    if fields is not None:
        assert {e["field"] for e in body.get("errors", [])} == fields, (context, body)


def issue(api: Any, **overrides: Any) -> str:
    """Issue a guarantee (tests.support.world.issue_body with `overrides`); its 保証契約番号."""
    response = api.issue(**overrides)
    assert response.status_code == 201, response.json_body
    return response.json_body["contract_number"]


def current_revision(api: Any, number: str) -> int:
    """The latest version's revision as the surety reads it (1 for a number it cannot read: the request's own
    answer then says why)."""
    response = api.get(f"/v1/certificates/{number}", user=SURETY)
    return response.json_body["revision"] if response.status_code == 200 else 1


def amend(api: Any, number: str, body: dict[str, Any], key: str | None = None, user: str = SURETY) -> Any:
    """POST an amendment; `expected_revision` (required) is the one just read unless the body names one (a body
    with `"expected_revision": None` sends none)."""
    headers = {"Idempotency-Key": key or f"amend-{next(_keys)}"}
    if "expected_revision" not in body:
        body = {**body, "expected_revision": current_revision(api, number)}
    elif body["expected_revision"] is None:
        body = {k: v for k, v in body.items() if k != "expected_revision"}
    return api.post(f"/v1/guarantees/{number}/amendments", body, user=user, headers=headers)


def cancel(api: Any, number: str, body: dict[str, Any], key: str | None = None, user: str = SURETY) -> Any:
    headers = {"Idempotency-Key": key or f"cancel-{next(_keys)}"}
    return api.post(f"/v1/guarantees/{number}/cancel", body, user=user, headers=headers)


def read(api: Any, number: str, query: str = "", user: str = CONTRACTOR) -> Any:
    return api.get(f"/v1/certificates/{number}{query}", user=user)


def listed(api: Any, query: str = "", user: str = CONTRACTOR) -> dict[str, Any]:
    response = api.get(f"/v1/certificates{query}", user=user)
    assert response.status_code == 200, response.json_body
    return response.json_body


def show_key(api: Any, number: str, user: str = CONTRACTOR) -> str:
    response = api.get(f"/v1/certificates/{number}/auth-key", user=user)
    assert response.status_code == 200, response.json_body
    return response.json_body["auth_key"]


def reissue(api: Any, number: str, user: str = CONTRACTOR) -> str:
    response = api.post(f"/v1/certificates/{number}/auth-key/reissue", user=user)
    assert response.status_code == 200, response.json_body
    return response.json_body["auth_key"]


def verify(api: Any, number: Any, key: Any, user: str = OWNER) -> Any:
    return api.post("/v1/verifications", {"contract_number": number, "auth_key": key}, user=user)


def wrong_key_for(key: str) -> str:
    """A well-formed key that differs from `key` in its last character."""
    plain = key.replace("-", "")
    last = CROCKFORD[(CROCKFORD.index(plain[-1]) + 1) % len(CROCKFORD)]
    return f"{plain[:5]}-{plain[5:9]}{last}"


def events_of(api: Any, number: str, kind: str | None = None) -> list[dict[str, Any]]:
    """The whole audit trail of a contract, newest first, as the surety reads it (every page); with `kind`,
    the events of that type only."""
    items: list[dict[str, Any]] = []
    cursor = ""
    while True:
        response = api.get(f"/v1/certificates/{number}/events?limit=100{cursor}", user=SURETY)
        assert response.status_code == 200, response.json_body
        items += response.json_body["items"]
        if response.json_body["next_cursor"] is None:
            return [e for e in items if kind is None or e["type"] == kind]
        cursor = f"&cursor={response.json_body['next_cursor']}"
