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
from chalicelib.domain.limits import MAX_TOKEN_CHARS
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


_app_client_secrets: dict[tuple[str, str], str] = {}


@caches.on_reset
def forget_signing_keys() -> None:
    with _lock:
        _clients.clear()
        _app_client_secrets.clear()


def secret_hash(username: str, settings: Settings) -> str:
    """Cognito's SECRET_HASH of a sign-in through the app client: Base64(HMAC-SHA256(client secret, username +
    client id)). The client has a secret so that nobody but the app signs people in (docs/ARCHITECTURE.md, roles);
    the secret is read from Cognito once per container (DescribeUserPoolClient), never stored by us."""
    import base64
    import hashlib
    import hmac

    key = (settings.user_pool_id, settings.user_pool_client_id)
    with _lock:
        secret = _app_client_secrets.get(key)
    if secret is None:
        secret = client("cognito-idp", settings.region).describe_user_pool_client(
            UserPoolId=settings.user_pool_id, ClientId=settings.user_pool_client_id)["UserPoolClient"]["ClientSecret"]
        with _lock:
            _app_client_secrets[key] = secret
    digest = hmac.new(secret.encode(), (username + settings.user_pool_client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_id_token(token: str, settings: Settings | None = None) -> Principal:
    """Raise Unauthorized unless `token` is a current ID token of this stage's pool and client."""
    settings = settings or get_settings()
    claims = _pool_claims(token, settings, audience=settings.user_pool_client_id,
                          required=["exp", "iat", "aud", "iss", "token_use"],
                          expired="ログインの有効期限が切れました。再度ログインしてください。")
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


def _pool_claims(token: str, settings: Settings, *, audience: str | None, required: list[str],
                 expired: str) -> dict[str, Any]:
    """The claims of a token RS256-signed by a key of the pool's JWKS, from its issuer, current; `audience`
    None: the token has none to check (access tokens). Any other token is a 401."""
    import jwt

    if len(token) > MAX_TOKEN_CHARS:  # before a byte is decoded
        raise Unauthorized()
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != "RS256" or not header.get("kid"):
            raise Unauthorized()
        signing_key = _jwks_client(settings.jwks_url).get_signing_key(header["kid"])
        claims: dict[str, Any] = jwt.decode(
            token,
            key=signing_key,
            algorithms=["RS256"],
            audience=audience,
            issuer=settings.issuer,
            options={"require": required, "verify_aud": audience is not None},
            leeway=5,
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized(expired, code="token_expired") from exc
    except jwt.PyJWKClientConnectionError as exc:
        raise Unauthorized("認証サービスに接続できません。時間をおいて再度お試しください。") from exc
    except jwt.PyJWTError as exc:  # PyJWKClientError (unknown kid) included
        raise Unauthorized() from exc
    return claims


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

    if len(token) > MAX_TOKEN_CHARS:
        return None
    try:
        value = jwt.decode(token, options={"verify_signature": False}).get("token_use")
    except jwt.PyJWTError:
        return None
    return value if isinstance(value, str) else None


def verify_access_token(token: str, settings: Settings | None = None) -> MachineToken:
    """Raise Unauthorized unless `token` is a current client-credentials access token of this stage's pool:
    RS256 signed by the pool's key, issuer, expiry, `token_use: access`, a `client_id`, no user. Access tokens
    carry no audience; the app client is checked against the registered machine clients by the caller."""
    settings = settings or get_settings()
    claims = _pool_claims(token, settings, audience=None, required=["exp", "iat", "iss", "token_use", "client_id"],
                          expired="アクセストークンの有効期限が切れました。")
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
            AuthParameters={"USERNAME": username, "PASSWORD": password,
                            "SECRET_HASH": secret_hash(username, settings)},
        )
    except (cognito.exceptions.NotAuthorizedException, cognito.exceptions.UserNotFoundException):
        raise Unauthorized(BAD_CREDENTIALS, code="invalid_credentials") from None
    tokens = result.get("AuthenticationResult")
    if not tokens:
        raise challenge_of(result)
    return signed_in_with(tokens, settings)


# --- challenges: a user the surety created must set its own password first -------------------------------

NEW_PASSWORD_RULES = "パスワードは12文字以上で、英大文字・英小文字・数字・記号をそれぞれ含めてください"


class InvalidNewPassword(Exception):
    """The pool's password policy refused the new password."""


def challenge_of(result: dict[str, Any]) -> Unauthorized:
    """The 401 for a sign-in Cognito answered with a challenge. NEW_PASSWORD_REQUIRED (a user created with a
    temporary password) carries Cognito's session, which `complete_new_password` takes back; any other
    challenge is not served (docs/ARCHITECTURE.md, roles)."""
    if result.get("ChallengeName") == "NEW_PASSWORD_REQUIRED" and result.get("Session"):
        return Unauthorized("初回ログインです。新しいパスワードを設定してください。", code="new_password_required",
                            extra_body={"session": result["Session"]})
    if result.get("ChallengeName") == "SOFTWARE_TOKEN_MFA" and result.get("Session"):
        return Unauthorized("認証アプリのワンタイムコードを入力してください。", code="mfa_required",
                            extra_body={"session": result["Session"]})
    return Unauthorized("このアカウントは追加の手続きが必要です。管理者にお問い合わせください。",
                        code="challenge_required")


def complete_new_password(username: str, session: str, new_password: str) -> SignIn:
    """Answer NEW_PASSWORD_REQUIRED with the user's own password; signed in as `sign_in` would be."""
    settings = get_settings()
    tokens = _answer_challenge(settings, "NEW_PASSWORD_REQUIRED", username, session,
                               {"NEW_PASSWORD": new_password}, refused="InvalidPasswordException",
                               refusal=InvalidNewPassword)
    return signed_in_with(tokens, settings)


def _answer_challenge(settings: Settings, challenge: str, username: str, session: str, answer: dict[str, str],
                      *, refused: str, refusal: type[Exception]) -> dict[str, Any]:
    """Cognito's tokens for an answered challenge. Cognito's `refused` error (the answer itself is not accepted:
    the user may try again) raises `refusal`; an expired or foreign session is a 401 (start again from the login,
    it lasts minutes and is bound to the user); another challenge next is its 401 (`challenge_of`)."""
    from botocore.exceptions import ParamValidationError

    cognito = client("cognito-idp", settings.region)
    try:
        result = cognito.respond_to_auth_challenge(
            ClientId=settings.user_pool_client_id, ChallengeName=challenge, Session=session,
            ChallengeResponses={"USERNAME": username, "SECRET_HASH": secret_hash(username, settings), **answer},
        )
    except getattr(cognito.exceptions, refused):
        raise refusal() from None
    except (cognito.exceptions.NotAuthorizedException, cognito.exceptions.CodeMismatchException,
            cognito.exceptions.ExpiredCodeException, cognito.exceptions.UserNotFoundException,
            cognito.exceptions.InvalidParameterException, cognito.exceptions.ResourceNotFoundException,
            ParamValidationError):
        raise Unauthorized("手続きの有効期限が切れたか、内容が正しくありません。もう一度ログインしてください。",
                           code="challenge_expired") from None
    tokens: dict[str, Any] | None = result.get("AuthenticationResult")
    if not tokens:
        raise challenge_of(result)
    return tokens


def signed_in_with(tokens: dict[str, Any], settings: Settings) -> SignIn:
    """The sign-in Cognito's tokens give, unless surety staff must still enrol a TOTP app (deployed stages).

    Cognito's MFA is per pool (OPTIONAL here), not per group: the app requires it of surety staff. In an OPTIONAL
    pool a user with TOTP enabled always gets the SOFTWARE_TOKEN_MFA challenge, so tokens without one mean no
    TOTP yet: no ID token then, but the TOTP secret to enrol and the access token that completes it
    (docs/ARCHITECTURE.md, roles)."""
    principal = verify_id_token(tokens["IdToken"], settings)
    if principal.role == Role.SURETY and settings.require_surety_mfa:
        cognito = client("cognito-idp", settings.region)
        secret = cognito.associate_software_token(AccessToken=tokens["AccessToken"])["SecretCode"]
        raise Unauthorized("保証会社の利用者は二段階認証(認証アプリ)の登録が必要です。", code="mfa_setup_required",
                           extra_body={"secret_code": secret, "setup_token": tokens["AccessToken"]})
    return SignIn(tokens["IdToken"], int(tokens.get("ExpiresIn", 3600)), principal)


def enrol_totp(setup_token: str, code: str) -> None:
    """Confirm the TOTP app with one of its codes and make it the user's MFA; the next login asks for a code."""
    from botocore.exceptions import ParamValidationError

    cognito = client("cognito-idp", get_settings().region)
    try:
        answer = cognito.verify_software_token(AccessToken=setup_token, UserCode=code)
        if answer.get("Status") != "SUCCESS":
            raise WrongCode()
        cognito.set_user_mfa_preference(AccessToken=setup_token,
                                        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    except (cognito.exceptions.EnableSoftwareTokenMFAException, cognito.exceptions.CodeMismatchException):
        raise WrongCode() from None
    except (cognito.exceptions.NotAuthorizedException, cognito.exceptions.InvalidParameterException,
            ParamValidationError):
        raise Unauthorized("登録の有効期限が切れたか、内容が正しくありません。もう一度ログインしてください。",
                           code="challenge_expired") from None


def answer_totp(username: str, session: str, code: str) -> SignIn:
    """Answer SOFTWARE_TOKEN_MFA with the app's current code."""
    settings = get_settings()
    tokens = _answer_challenge(settings, "SOFTWARE_TOKEN_MFA", username, session, {"SOFTWARE_TOKEN_MFA_CODE": code},
                               refused="CodeMismatchException", refusal=WrongCode)
    principal = verify_id_token(tokens["IdToken"], settings)
    return SignIn(tokens["IdToken"], int(tokens.get("ExpiresIn", 3600)), principal)


CODE_RULES = "認証アプリに表示された6桁のコードを入力してください"  # TOTP as Cognito makes it: 6 digits


class WrongCode(Exception):
    """The TOTP code was not accepted."""
