"""Owners' systems as machine clients: access tokens of the client-credentials flow, shaped and signed as
Cognito issues them (moto has no token endpoint for that flow, so the tests mint them with moto's own pool
key, which the app fetches from the pool's JWKS like any token), verified as carefully as ID tokens."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.api import OWNER, SURETY, assert_error, issue, show_key
from tests.support.machine import CLIENTS, access_token, bearer, register


def machine_verify(api: Any, token: str, number: str, key: str) -> Any:
    return api.request("POST", "/v1/verifications", body={"contract_number": number, "auth_key": key},
                       headers=bearer(token))


@pytest.fixture
def certificate(api: Any) -> tuple[str, str]:
    number = issue(api)
    return number, show_key(api, number)


def test_the_surety_registers_lists_and_revokes_an_owners_clients(api, certificate):
    created = register(api)
    assert created["client_secret"] and created["obligee_id"] == "sakaiminato"
    listed = api.get(CLIENTS.format("sakaiminato"), user=SURETY).json_body["items"]
    assert [c["client_id"] for c in listed] == [created["client_id"]]
    assert "client_secret" not in json.dumps(listed) and created["client_secret"] not in json.dumps(listed)
    assert api.get(CLIENTS.format("pref-demo"), user=SURETY).json_body["items"] == []
    for user in (OWNER, "demo-contractor-1"):
        assert_error(api.post(CLIENTS.format("sakaiminato"), {"name": "x", "scopes": ["verifications/read"]},
                              user=user), 403)
    assert_error(api.post(CLIENTS.format("nobody"), {"name": "x", "scopes": ["verifications/read"]}, user=SURETY),
                 404, "obligee_not_found")
    for body in ({"name": "x", "scopes": ["aws.cognito.signin.user.admin"]}, {"name": "", "scopes": []},
                 {"name": "x", "scopes": ["verifications/read"], "org": "pref-demo"}):
        assert_error(api.post(CLIENTS.format("sakaiminato"), body, user=SURETY), 400, "validation_error", context=body)
    # Nothing refused left a client behind in the pool: the people's app client and the one registered.
    from chalicelib.adapters import aws

    pool_clients = aws.client("cognito-idp", api.account.settings.region).list_user_pool_clients(
        UserPoolId=api.account.identity.user_pool_id, MaxResults=60)["UserPoolClients"]
    assert sorted(c["ClientId"] for c in pool_clients) == sorted([api.account.identity.client_id,
                                                                   created["client_id"]])

    token = access_token(api, created["client_id"], "verifications/write verifications/read")
    number, key = certificate
    assert machine_verify(api, token, number, key).status_code == 200
    revoked = api.request("DELETE", f"{CLIENTS.format('sakaiminato')}/{created['client_id']}", user=SURETY)
    assert revoked.status_code == 200 and revoked.json_body["status"] == "revoked"
    assert_error(machine_verify(api, token, number, key), 401)  # its tokens stop working at once
    assert_error(api.request("DELETE", f"{CLIENTS.format('pref-demo')}/{created['client_id']}", user=SURETY), 404)

    # Both are on the owner's trail, with who did it; the secret is not.
    trail = api.get("/v1/obligees/sakaiminato/events", user=SURETY).json_body["items"]
    assert [(e["type"], e["detail"]["client_id"], e["actor"]) for e in trail] == [
        ("machine_client_revoked", created["client_id"], SURETY),
        ("machine_client_registered", created["client_id"], SURETY)]
    assert created["client_secret"] not in json.dumps(trail)
    assert api.get("/v1/obligees/pref-demo/events", user=SURETY).json_body["items"] == []
    assert_error(api.get("/v1/obligees/sakaiminato/events", user=OWNER), 403)
    assert_error(api.get("/v1/obligees/nobody/events", user=SURETY), 404, "obligee_not_found")


def test_a_machine_verifies_as_its_owner_with_the_same_audit_and_throttle(api, certificate):
    from chalicelib.store.models import AuditEvent, Throttle

    client_id = register(api)["client_id"]
    token = access_token(api, client_id, "verifications/write verifications/read")
    number, key = certificate
    wrong = "00000-00000" if key != "00000-00000" else "11111-11111"
    assert_error(machine_verify(api, token, number, wrong), 404, "verification_failed")
    verified = machine_verify(api, token, number, key)
    assert verified.status_code == 200, verified.json_body
    listed = api.request("GET", "/v1/verifications", headers=bearer(token))
    assert [i["contract_number"] for i in listed.json_body["items"]] == [number]
    # The owner's people see what its system verified, and the reverse.
    assert [i["contract_number"] for i in api.get("/v1/verifications", user=OWNER).json_body["items"]] == [number]
    events = {e.type: e for e in AuditEvent.query(number)}
    assert events["verification_succeeded"].actor == f"client:{client_id}"
    assert events["verification_succeeded"].org_id == "sakaiminato"
    assert [t.failures for t in Throttle.scan() if t.key.startswith(f"client:{client_id}#")] == [1]


def test_tokens_that_must_not_pass(api, certificate):
    from cryptography.hazmat.primitives.asymmetric import rsa

    from chalicelib.adapters import identity
    from chalicelib.errors import Unauthorized

    number, key = certificate
    writer = register(api, scopes=["verifications/write"])["client_id"]
    reader = register(api, scopes=["verifications/read"])["client_id"]
    other_owner = register(api, "pref-demo")["client_id"]

    # Wrong scope: the token lacks it (403), or claims one its client was never granted (403).
    assert_error(machine_verify(api, access_token(api, reader, "verifications/read"), number, key), 403,
                 "insufficient_scope")
    assert_error(machine_verify(api, access_token(api, reader, "verifications/write"), number, key), 403,
                 "insufficient_scope")
    assert_error(api.request("GET", "/v1/verifications", headers=bearer(access_token(
        api, writer, "verifications/write"))), 403, "insufficient_scope")
    # Another owner's client gets the one failure answer for a certificate that is not its owner's.
    assert_error(machine_verify(api, access_token(api, other_owner, "verifications/write"), number, key), 404,
                 "verification_failed")
    # Expired, unknown client, another signing key, a person's access token, a token claiming another user.
    assert_error(machine_verify(api, access_token(api, writer, "verifications/write", expires_in=-60), number, key),
                 401, "token_expired")
    assert_error(machine_verify(api, access_token(api, "unregistered", "verifications/write"), number, key), 401)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert_error(machine_verify(api, access_token(api, writer, "verifications/write", key=stranger), number, key),
                 401)
    assert_error(machine_verify(api, access_token(api, writer, "verifications/write", username="demo-sakaiminato"),
                                number, key), 401)
    assert_error(machine_verify(api, access_token(api, writer, "verifications/write", sub="someone"), number, key),
                 401)
    # A person's access token, as Cognito issues it at login: its client is the people's app client.
    from chalicelib.adapters import aws
    from scripts.demo_data import DEMO_PASSWORD

    login = aws.client("cognito-idp", api.account.settings.region).initiate_auth(
        ClientId=api.account.identity.client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": OWNER, "PASSWORD": DEMO_PASSWORD})["AuthenticationResult"]
    assert_error(machine_verify(api, login["AccessToken"], number, key), 401)
    # An access token where only ID tokens are taken (people's routes).
    token = access_token(api, writer, "verifications/write verifications/read")
    for path in ("/v1/certificates", "/v1/webhooks/endpoints", f"/v1/certificates/{number}"):
        assert_error(api.request("GET", path, headers=bearer(token)), 401, context=path)
    # And the reverse: an ID token is no access token.
    with pytest.raises(Unauthorized):
        identity.verify_access_token(api.token(OWNER))
    # Cognito's ID token for the owner still works on the same route (people and their systems side by side).
    assert api.post("/v1/verifications", {"contract_number": number, "auth_key": key}, user=OWNER).status_code == 200
