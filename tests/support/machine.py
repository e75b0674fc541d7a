"""Owners' systems as machine clients in the tests: registered through the API by the surety, with access tokens of
the client-credentials flow shaped and signed as Cognito issues them (moto has no token endpoint for that flow, so
they are minted with moto's own pool key, which the app fetches from the pool's JWKS like any token)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt

from tests.support.api import SURETY

CLIENTS = "/v1/obligees/{}/machine-clients"


def pool_key() -> Any:
    from moto.utilities.utils import load_resource

    return jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(load_resource("cognitoidp/resources/jwks-private.json")))


def access_token(api: Any, client_id: str, scopes: str, *, expires_in: int = 3600, key: Any = None,
                 **extra: Any) -> str:
    """A client-credentials access token as Cognito shapes it (no audience, no user)."""
    settings = api.account.settings
    now = int(time.time())
    claims = {"sub": client_id, "token_use": "access", "scope": scopes, "auth_time": now,
              "iss": f"https://cognito-idp.{settings.region}.amazonaws.com/{api.account.identity.user_pool_id}",
              "exp": now + expires_in, "iat": now, "version": 2, "jti": str(uuid.uuid4()), "client_id": client_id,
              **extra}
    return jwt.encode(claims, key or pool_key(), algorithm="RS256", headers={"kid": "dummy"})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def register(api: Any, obligee_id: str = "sakaiminato", scopes: list[str] | None = None) -> dict[str, Any]:
    response = api.post(CLIENTS.format(obligee_id), {"name": f"{obligee_id} 契約管理システム",
                                                     "scopes": scopes or ["verifications/write", "verifications/read"]},
                        user=SURETY)
    assert response.status_code == 201, response.json_body
    return response.json_body
