"""Login and the identity check every protected route runs: 401 without a valid ID
token, 403 for the wrong role, always a JSON body with `code` and a Japanese `message`."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import time_machine
from cryptography.hazmat.primitives.asymmetric import rsa

from scripts.demo_data import DEMO_PASSWORD
from tests.support.api import assert_error
from tests.support.world import issue_body


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_login_returns_a_working_id_token_with_role_and_org(bare_api):
    expected = {
        "demo-surety": ("surety", "surety"),
        "demo-contractor-1": ("contractor", "contractor-1"),
        "demo-sakaiminato": ("obligee", "sakaiminato"),
    }
    for username, (role, org_id) in expected.items():
        response = bare_api.post("/v1/auth/login", {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 200, (username, response.json_body)
        body = response.json_body
        assert (body["role"], body["org_id"]) == (role, org_id), username
        assert isinstance(body["expires_in"], int) and body["expires_in"] > 0, username
        assert body["id_token"].count(".") == 2, username
        claims = jwt.decode(body["id_token"], options={"verify_signature": False})
        assert claims["token_use"] == "id" and role in claims["cognito:groups"], username

    token = bare_api.post("/v1/auth/login", {"username": "demo-contractor-1", "password": DEMO_PASSWORD})
    listed = bare_api.get("/v1/certificates", headers={"Authorization": f"Bearer {token.json_body['id_token']}"})
    assert listed.status_code == 200, listed.json_body
    assert listed.json_body == {"total": 0, "items": [], "next_cursor": None, "prev_cursor": None,
                                "last_cursor": None, "offset": 0, "order": "issued_on_desc"}


def test_wrong_password_and_unknown_user_get_the_same_401(bare_api):
    wrong = bare_api.post("/v1/auth/login", {"username": "demo-surety", "password": "Wrong-Passw0rd!"})
    unknown = bare_api.post("/v1/auth/login", {"username": "nobody-here", "password": DEMO_PASSWORD})
    assert_error(wrong, 401, "invalid_credentials")
    assert_error(unknown, 401, "invalid_credentials")
    assert wrong.json_body == unknown.json_body
    assert "id_token" not in wrong.json_body

    missing = bare_api.post("/v1/auth/login", {"username": "demo-surety"})
    assert_error(missing, 400, "validation_error")
    assert [e["field"] for e in missing.json_body["errors"]] == ["password"]


def test_requests_without_a_valid_token_are_401(bare_api):
    real = bare_api.token("demo-contractor-1")
    header = jwt.get_unverified_header(real)
    claims = jwt.decode(real, options={"verify_signature": False})
    head_b64, payload_b64, signature_b64 = real.split(".")

    own_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, own_key, algorithm="RS256", headers={"kid": header["kid"]})
    forged_surety = jwt.encode({**claims, "cognito:groups": ["surety"]}, own_key, algorithm="RS256",
                               headers={"kid": header["kid"]})
    tampered_org = json.loads(_unb64(payload_b64))
    tampered_org["custom:org_id"] = "contractor-2"
    tampered_role = {**json.loads(_unb64(payload_b64)), "cognito:groups": ["surety"]}
    unsigned = f"{_b64(json.dumps({'alg': 'none', 'kid': header['kid']}).encode())}.{payload_b64}."
    hs256 = jwt.encode(claims, "s" * 32, algorithm="HS256", headers={"kid": header["kid"]})
    cases = {
        "no header": None,
        "empty header": "",
        "not bearer": f"Token {real}",
        "basic": "Basic ZGVtbzpwYXNz",
        "bearer without token": "Bearer",
        "bearer blank": "Bearer   ",
        "not a jwt": "Bearer not-a-jwt",
        "forged with own key": f"Bearer {forged}",
        "forged surety": f"Bearer {forged_surety}",
        "tampered org": f"Bearer {head_b64}.{_b64(json.dumps(tampered_org).encode())}.{signature_b64}",
        "tampered role": f"Bearer {head_b64}.{_b64(json.dumps(tampered_role).encode())}.{signature_b64}",
        "signature dropped": f"Bearer {head_b64}.{payload_b64}.",
        "alg none": f"Bearer {unsigned}",
        "alg HS256": f"Bearer {hs256}",
    }
    for name, value in cases.items():
        headers = {} if value is None else {"Authorization": value}
        listed = bare_api.get("/v1/certificates", headers=headers)
        assert_error(listed, 401, context=name)
        issued = bare_api.post("/v1/guarantees", issue_body(), headers={**headers, "Idempotency-Key": name})
        assert_error(issued, 401, context=name)

    # The genuine token still works: the refusals above are about the token, not the route.
    assert bare_api.get("/v1/certificates", headers={"Authorization": f"Bearer {real}"}).status_code == 200


def test_expired_token_is_401(bare_api):
    token = bare_api.token("demo-contractor-1")
    headers = {"Authorization": f"Bearer {token}"}
    assert bare_api.get("/v1/certificates", headers=headers).status_code == 200
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]
    with time_machine.travel(datetime.fromtimestamp(exp, UTC) + timedelta(minutes=1), tick=False):
        response = bare_api.get("/v1/certificates", headers=headers)
    assert_error(response, 401, "token_expired")
    assert "ログイン" in response.json_body["message"]


def test_wrong_role_is_403(bare_api):
    cases = [
        ("demo-contractor-1", "POST", "/v1/guarantees", issue_body()),
        ("demo-sakaiminato", "POST", "/v1/guarantees", issue_body()),
        ("demo-sakaiminato", "GET", "/v1/certificates", None),
        ("demo-pref", "GET", "/v1/certificates", None),
        ("demo-sakaiminato", "GET", "/v1/certificates/2070500001", None),
        ("demo-contractor-1", "PUT", "/v1/contractors/contractor-1",
         {"name": "株式会社○○建設", "address": "▲▲市", "email": "a@example.jp"}),
        ("demo-sakaiminato", "PUT", "/v1/obligees/sakaiminato",
         {"name": "境港市長", "submission_method": "email", "contact_email": "a@example.jp"}),
    ]
    for user, method, path, body in cases:
        response = bare_api.request(method, path, user=user, body=body, headers={"Idempotency-Key": "k-1"})
        assert_error(response, 403, "forbidden", context=(user, method, path))


def test_only_the_app_can_sign_people_in_its_client_has_a_secret(bare_api):
    """The people's app client has a secret, so a password alone does not get a token from Cognito: rules the
    app adds at sign-in (TOTP for surety staff) cannot be skipped by calling Cognito directly. moto checks
    SECRET_HASH on the MFA challenge only, so the hash the app sends is checked here with moto's own
    implementation of Cognito's formula, for the pool provisioned like the stack's."""
    from moto.cognitoidp.utils import check_secret_hash

    from chalicelib.adapters import aws, identity
    from scripts import infra

    settings = bare_api.account.settings
    app_client = aws.client("cognito-idp", settings.region).describe_user_pool_client(
        UserPoolId=settings.user_pool_id, ClientId=settings.user_pool_client_id)["UserPoolClient"]
    assert app_client.get("ClientSecret")
    for username in ("demo-surety", "new-staff"):
        assert check_secret_hash(app_client["ClientSecret"], app_client["ClientId"], username,
                                 identity.secret_hash(username, settings))
    assert not check_secret_hash(app_client["ClientSecret"], app_client["ClientId"], "demo-pref",
                                 identity.secret_hash("demo-surety", settings))
    assert infra.resources_template()["Resources"]["UserPoolClient"]["Properties"]["GenerateSecret"] is True
    assert bare_api.post("/v1/auth/login", {"username": "demo-surety", "password": DEMO_PASSWORD}).status_code == 200
