"""Who is calling: Cognito ID tokens verified by the app itself (signature, expiry, audience, issuer).

The same check runs in Lambda, under `chalice local` and in tests, because the keys come from the pool's
JWKS wherever the pool is (AWS or the emulator), fetched with `requests` and cached per process.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from chalicelib.config import Settings, get_settings
from chalicelib.errors import Forbidden, Unauthorized

ROLES = ("surety", "contractor", "obligee")
_JWKS_TTL_SECONDS = 3600
_JWKS_REFRESH_FLOOR_SECONDS = 60  # an unknown `kid` refetches at most this often


@dataclass(frozen=True)
class Principal:
    username: str
    role: str
    org_id: str | None

    @property
    def actor(self) -> str:
        return self.username


class _JwksCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, dict[str, Any]] = {}
        self._parsed: dict[str, Any] = {}
        self._url = ""
        self._fetched_at = 0.0

    def key_for(self, url: str, kid: str) -> Any:
        import jwt  # imported on first use: keeps it off the cold-start path of unauthenticated routes

        with self._lock:
            now = time.monotonic()
            stale = url != self._url or now - self._fetched_at > _JWKS_TTL_SECONDS
            missing = kid not in self._keys and now - self._fetched_at > _JWKS_REFRESH_FLOOR_SECONDS
            if stale or missing:
                self._refresh(url)
            jwk = self._keys.get(kid)
            if jwk is None:
                raise Unauthorized()
            if kid not in self._parsed:  # parsing an RSA key costs more than verifying with it
                self._parsed[kid] = jwt.PyJWK(jwk).key
            return self._parsed[kid]

    def _refresh(self, url: str) -> None:
        import requests

        try:
            response = requests.get(url, timeout=5)
            response.raise_for_status()
            keys = response.json()["keys"]
        except (requests.RequestException, ValueError, KeyError) as exc:
            raise Unauthorized("認証サービスに接続できません。時間をおいて再度お試しください。") from exc
        self._keys = {k["kid"]: k for k in keys if "kid" in k}
        self._parsed = {}
        self._url = url
        self._fetched_at = time.monotonic()

    def clear(self) -> None:
        with self._lock:
            self._keys, self._parsed, self._url, self._fetched_at = {}, {}, "", 0.0


jwks_cache = _JwksCache()


def verify_id_token(token: str, settings: Settings | None = None) -> Principal:
    """Raise Unauthorized unless `token` is a current ID token of this stage's pool and client."""
    import jwt

    settings = settings or get_settings()
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != "RS256" or not header.get("kid"):
            raise Unauthorized()
        claims = jwt.decode(
            token,
            key=jwks_cache.key_for(settings.jwks_url, header["kid"]),
            algorithms=["RS256"],
            audience=settings.user_pool_client_id,
            issuer=settings.issuer,
            options={"require": ["exp", "iat", "aud", "iss", "token_use"]},
            leeway=5,
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("ログインの有効期限が切れました。再度ログインしてください。", code="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized() from exc
    if claims.get("token_use") != "id":
        raise Unauthorized()
    roles = [g for g in claims.get("cognito:groups", []) if g in ROLES]
    if len(roles) != 1:
        raise Forbidden()
    return Principal(
        username=claims.get("cognito:username") or claims["sub"],
        role=roles[0],
        org_id=claims.get("custom:org_id"),
    )


def principal_from_headers(headers: Any) -> Principal:
    """The caller of a request, from its `Authorization: Bearer <id_token>` header."""
    value = headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    return verify_id_token(token.strip())


def require_role(headers: Any, *roles: str) -> Principal:
    principal = principal_from_headers(headers)
    if principal.role not in roles:
        raise Forbidden()
    if principal.role != "surety" and not principal.org_id:
        raise Forbidden("利用者に組織が設定されていません。管理者にお問い合わせください。")
    return principal
