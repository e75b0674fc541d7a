"""Cognito: signing in with a password, and ID tokens verified by the app itself (signature, expiry,
audience, issuer), so the same check runs in Lambda, under `chalice local` and in tests.

The pool's signing keys come from its JWKS through PyJWT's `PyJWKClient` (its JWK-set cache, lifespan,
per-kid cache and refresh cooldown); only how the set is fetched is ours, with `requests`, which the local
emulator answers in tests (see docs/ARCHITECTURE.md, identity).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib import caches
from chalicelib.adapters.aws import client
from chalicelib.config import Settings, get_settings
from chalicelib.domain.principal import ROLES, Principal, Role
from chalicelib.errors import Forbidden, Unauthorized

if TYPE_CHECKING:
    from jwt import PyJWKClient

_JWKS_LIFESPAN_SECONDS = 3600
_JWKS_COOLDOWN_SECONDS = 60  # an unknown `kid` refetches at most this often
_lock = threading.Lock()
_clients: dict[str, PyJWKClient] = {}

BAD_CREDENTIALS = "ユーザー名またはパスワードが正しくありません。"


def _jwks_client(url: str) -> PyJWKClient:
    with _lock:
        found = _clients.get(url)
        if found is None:
            found = _clients[url] = _new_jwks_client(url)
        return found


def _new_jwks_client(url: str) -> PyJWKClient:
    import jwt  # imported on first use: keeps it off the cold-start path of unauthenticated routes

    class RequestsJWKClient(jwt.PyJWKClient):
        """PyJWKClient whose only change is the fetch: `requests` instead of urllib."""

        def fetch_data(self) -> Any:
            import time

            import requests

            try:
                response = requests.get(self.uri, headers=self.headers, timeout=self.timeout,
                                        allow_redirects=False)
                response.raise_for_status()
                jwk_set = self._as_jwk_set_payload(response.json())
            except (requests.RequestException, ValueError) as exc:
                raise jwt.PyJWKClientConnectionError(f"JWKS not fetched: {type(exc).__name__}") from exc
            if self.jwk_set_cache is not None:
                self.jwk_set_cache.put(jwk_set)
            self._last_successful_fetch = time.monotonic()
            return jwk_set

    return RequestsJWKClient(url, cache_keys=True, lifespan=_JWKS_LIFESPAN_SECONDS, timeout=5,
                             cooldown_duration=_JWKS_COOLDOWN_SECONDS)


@caches.on_reset
def forget_signing_keys() -> None:
    with _lock:
        _clients.clear()


def verify_id_token(token: str, settings: Settings | None = None) -> Principal:
    """Raise Unauthorized unless `token` is a current ID token of this stage's pool and client."""
    import jwt

    settings = settings or get_settings()
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != "RS256" or not header.get("kid"):
            raise Unauthorized()
        signing_key = _jwks_client(settings.jwks_url).get_signing_key(header["kid"])
        claims = jwt.decode(
            token,
            key=signing_key,
            algorithms=["RS256"],
            audience=settings.user_pool_client_id,
            issuer=settings.issuer,
            options={"require": ["exp", "iat", "aud", "iss", "token_use"]},
            leeway=5,
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("ログインの有効期限が切れました。再度ログインしてください。", code="token_expired") from exc
    except jwt.PyJWKClientConnectionError as exc:
        raise Unauthorized("認証サービスに接続できません。時間をおいて再度お試しください。") from exc
    except jwt.PyJWTError as exc:  # PyJWKClientError (unknown kid) included
        raise Unauthorized() from exc
    if claims.get("token_use") != "id":
        raise Unauthorized()
    groups = claims.get("cognito:groups", [])
    username = claims.get("cognito:username") or claims.get("sub")
    org_id = claims.get("custom:org_id")
    # Cognito writes these as a list of strings and strings; anything else is not Cognito's token.
    if not (isinstance(groups, list) and all(isinstance(g, str) for g in groups) and isinstance(username, str)
            and (org_id is None or isinstance(org_id, str))):
        raise Unauthorized()
    roles = [g for g in groups if g in ROLES]
    if len(roles) != 1:
        raise Forbidden()
    return Principal(username=username, role=roles[0], org_id=org_id)


def bearer_token(headers: Any) -> str:
    """The token of `Authorization: Bearer <token>` (401 without one)."""
    value = headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    return token.strip()


def principal_from_headers(headers: Any) -> Principal:
    """The caller of a request, from its `Authorization: Bearer <id_token>` header."""
    return verify_id_token(bearer_token(headers))


# --- machine clients: OAuth 2.0 client credentials (docs/ARCHITECTURE.md, machine clients) -----------------

RESOURCE_SERVER = "verifications"  # the pool's resource server; its scopes are "verifications/<name>"
SCOPE_WRITE = f"{RESOURCE_SERVER}/write"
SCOPE_READ = f"{RESOURCE_SERVER}/read"
MACHINE_SCOPES = (SCOPE_WRITE, SCOPE_READ)


@dataclass(frozen=True)
class MachineToken:
    """A verified client-credentials access token: which app client, with which scopes."""

    client_id: str
    scopes: frozenset[str]


def claims_token_use(token: str) -> str | None:
    """What the token says it is, before any check (only to choose which check to run; both are complete)."""
    import jwt

    try:
        value = jwt.decode(token, options={"verify_signature": False}).get("token_use")
    except jwt.PyJWTError:
        return None
    return value if isinstance(value, str) else None


def verify_access_token(token: str, settings: Settings | None = None) -> MachineToken:
    """Raise Unauthorized unless `token` is a current client-credentials access token of this stage's pool:
    RS256 signed by the pool's key, issuer, expiry, `token_use: access`, a `client_id`, no user. Access tokens
    carry no audience; the app client is checked against the registered machine clients by the caller."""
    import jwt

    settings = settings or get_settings()
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != "RS256" or not header.get("kid"):
            raise Unauthorized()
        signing_key = _jwks_client(settings.jwks_url).get_signing_key(header["kid"])
        claims = jwt.decode(
            token,
            key=signing_key,
            algorithms=["RS256"],
            issuer=settings.issuer,
            options={"require": ["exp", "iat", "iss", "token_use", "client_id"], "verify_aud": False},
            leeway=5,
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("アクセストークンの有効期限が切れました。", code="token_expired") from exc
    except jwt.PyJWKClientConnectionError as exc:
        raise Unauthorized("認証サービスに接続できません。時間をおいて再度お試しください。") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized() from exc
    client_id, scope = claims.get("client_id"), claims.get("scope", "")
    # A person's access token names a user; a machine's never does. Claims must have Cognito's types.
    if (claims.get("token_use") != "access" or "username" in claims or "cognito:groups" in claims
            or not isinstance(client_id, str) or not client_id or not isinstance(scope, str)
            or claims.get("sub") != client_id):
        raise Unauthorized()
    return MachineToken(client_id, frozenset(scope.split()))


def require_scope(token: MachineToken, scope: str) -> None:
    if scope not in token.scopes:
        raise Forbidden(f"このクライアントには権限 {scope} がありません。", code="insufficient_scope")


def create_machine_client(name: str, scopes: list[str]) -> tuple[str, str]:
    """A confidential app client of the pool for the client-credentials flow; (client id, secret)."""
    settings = get_settings()
    result = client("cognito-idp", settings.region).create_user_pool_client(
        UserPoolId=settings.user_pool_id,
        ClientName=name,
        GenerateSecret=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=scopes,
        AllowedOAuthFlowsUserPoolClient=True,
        AccessTokenValidity=60,
        TokenValidityUnits={"AccessToken": "minutes"},
    )["UserPoolClient"]
    return result["ClientId"], result["ClientSecret"]


def delete_machine_client(client_id: str) -> None:
    settings = get_settings()
    cognito = client("cognito-idp", settings.region)
    try:
        cognito.delete_user_pool_client(UserPoolId=settings.user_pool_id, ClientId=client_id)
    except cognito.exceptions.ResourceNotFoundException:
        pass  # already gone: revoking is what was asked


def require_role(principal: Principal, *roles: str) -> Principal:
    """The principal, if it holds one of `roles` (403 otherwise) and, unless surety staff, an organisation."""
    if principal.role not in roles:
        raise Forbidden()
    if principal.role != Role.SURETY and not principal.org_id:
        raise Forbidden("利用者に組織が設定されていません。管理者にお問い合わせください。")
    return principal


@dataclass(frozen=True)
class SignIn:
    id_token: str
    expires_in: int
    principal: Principal


def sign_in(username: str, password: str) -> SignIn:
    """USER_PASSWORD_AUTH against the pool; one answer (401) for an unknown user and a wrong password."""
    settings = get_settings()
    cognito = client("cognito-idp", settings.region)
    try:
        result = cognito.initiate_auth(
            ClientId=settings.user_pool_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
    except (cognito.exceptions.NotAuthorizedException, cognito.exceptions.UserNotFoundException):
        raise Unauthorized(BAD_CREDENTIALS, code="invalid_credentials") from None
    tokens = result.get("AuthenticationResult")
    if not tokens:  # a challenge (e.g. a new password) is not served yet
        raise Unauthorized("このアカウントは追加の手続きが必要です。管理者にお問い合わせください。",
                           code="challenge_required")
    return SignIn(tokens["IdToken"], int(tokens.get("ExpiresIn", 3600)),
                  verify_id_token(tokens["IdToken"], settings))
