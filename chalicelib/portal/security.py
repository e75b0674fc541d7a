"""The portal's browser-facing safety: response headers, the session cookie, CSRF tokens and the Origin
check, and the `next` target after login (a local path only).

The ID token lives only in the `__Host-` session cookie (HttpOnly, Secure, SameSite=Lax, Path=/). A POST is
accepted only from this site (Origin, or Referer when a browser sends no Origin) and with a CSRF token that is
an HMAC bound to the session (or, before login, to a random nonce in its own cookie).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

SESSION_COOKIE = "__Host-denshi-session"
LOGIN_NONCE_COOKIE = "__Host-denshi-login"
MFA_SETUP_COOKIE = "__Host-denshi-mfa-setup"  # the Cognito access token that enrols a TOTP app: never in the page
MFA_SETUP_SECONDS = 300
LOGIN_NONCE_SECONDS = 1800

CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")

COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
HTML_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    **COMMON_HEADERS,
}


def cookies(headers: Mapping[str, Any]) -> dict[str, str]:
    """The request's cookies by name (a malformed Cookie header counts as none)."""
    from http.cookies import SimpleCookie  # only pages read cookies: off the API's start-up path

    raw = headers.get("cookie") or ""
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # noqa: BLE001 - http.cookies raises CookieError and others on odd input
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def _cookie(name: str, value: str, max_age: int | None = None) -> str:
    parts = [f"{name}={value}", "Path=/", "Secure", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    return "; ".join(parts)


def session_cookie(id_token: str) -> str:
    """A browser-session cookie: the token's own expiry is checked on every request, so an expired one is
    recognised (and the user told so) rather than silently dropped by the browser."""
    return _cookie(SESSION_COOKIE, id_token)


def clear_session_cookie() -> str:
    return _cookie(SESSION_COOKIE, "", max_age=0)


def login_nonce_cookie(nonce: str) -> str:
    return _cookie(LOGIN_NONCE_COOKIE, nonce, max_age=LOGIN_NONCE_SECONDS)


def clear_login_nonce_cookie() -> str:
    return _cookie(LOGIN_NONCE_COOKIE, "", max_age=0)


def mfa_setup_cookie(setup_token: str) -> str:
    return _cookie(MFA_SETUP_COOKIE, setup_token, max_age=MFA_SETUP_SECONDS)


def clear_mfa_setup_cookie() -> str:
    return _cookie(MFA_SETUP_COOKIE, "", max_age=0)


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def _csrf_key() -> bytes:
    from chalicelib.adapters.key_material import derived_key

    return derived_key("csrf")


def csrf_token(binding: str) -> str:
    """The form token for one session (binding = its ID token) or one login form (binding = its nonce)."""
    digest = hmac.new(_csrf_key(), binding.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def session_binding(id_token: str) -> str:
    return "session:" + hashlib.sha256(id_token.encode()).hexdigest()


def login_binding(nonce: str) -> str:
    return "login:" + nonce


def csrf_matches(binding: str, submitted: str | None) -> bool:
    if not submitted or not submitted.isascii():
        return False
    return hmac.compare_digest(csrf_token(binding).encode(), submitted.encode())


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(headers: Mapping[str, Any], portal_url: str) -> bool:
    """True when the browser says the form was posted from this site: its Origin (or, without one, its
    Referer) is the portal's configured origin or names the host the request was sent to."""
    claimed = headers.get("origin")
    if claimed is None:
        referer = headers.get("referer")
        claimed = _origin_of(referer) if referer else None
    if not claimed or claimed == "null":
        return False
    origin = _origin_of(claimed)
    if origin is None:
        return False
    if origin == _origin_of(portal_url):
        return True
    host = (headers.get("host") or "").lower()
    return bool(host) and urlsplit(origin).netloc == host


def safe_next(target: str | None, default: str = "/") -> str:
    """`next` only if it is a path on this site: no scheme, no host, no `//` or `\\` tricks, no control
    characters; anything else is the default."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F or ch == "\\" for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
