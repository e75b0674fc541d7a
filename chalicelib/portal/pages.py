"""What every portal view shares: the session from its cookie, the role check, the CSRF and Origin check on
POST, and the translation of service errors into HTML pages.

A view is written as `def view(call: PortalCall, **path_params) -> Response` and registered with
`@bp.route(...)` over `@page(bp, "contractor")`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

import chalice
from chalice import Response
from chalice.app import Request

from chalicelib.domain.principal import Principal
from chalicelib.domain.validation import ValidationFailed
from chalicelib.errors import ApiError, BadRequest, Forbidden, Unauthorized
from chalicelib.portal import security

logger = logging.getLogger(__name__)

HOME = {"contractor": "/certificates", "obligee": "/verify", "surety": "/console"}
NAVIGATION = {
    "contractor": [("/certificates", "保証工事一覧")],
    "obligee": [("/verify", "保証証書の確認"), ("/verifications", "確認済み一覧"), ("/check", "PDFの署名確認")],
    "surety": [("/console", "保証契約者の検索"), ("/console/search", "保証証書の検索")],
}
FORM_CONTENT_TYPES = ["application/x-www-form-urlencoded"]
UPLOAD_CONTENT_TYPES = ["multipart/form-data"]  # registered as binary in app.py, so API Gateway keeps the bytes
CSRF_FIELD = "csrf_token"
TOO_MANY_FIELDS = "送信された項目が多すぎます。"  # a form past limits.MAX_FORM_FIELDS or MAX_FORM_PARTS: none of ours


def service_name(role: str | None) -> str:
    """The name of the part of the service a role uses (the stage's names, config.service_names)."""
    from chalicelib.config import service_names

    names = service_names()
    by_role = {"contractor": names.contractor_portal, "obligee": names.verification, "surety": names.console}
    return by_role.get(role or "", names.service)


class LoginRequired(Exception):
    """No usable session: the view is answered by the login page (then back to where the user was)."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("login required")
        self.expired = expired


class CsrfRefused(Exception):
    """A POST without this site's Origin or without the session's CSRF token."""


def current_path(request: Request) -> str:
    """The path and query the browser asked for (rebuilt from the route, its parameters and the query)."""
    path = request.path
    for name, value in (request.uri_params or {}).items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    query = request.query_params
    if query:
        pairs = [(name, value) for name in query for value in query.getlist(name)]
        path += "?" + urlencode(pairs)
    return path


@dataclass
class PortalCall:
    """One portal request: who asks (None on the public pages) and what they sent."""

    request: Request
    request_id: str
    principal: Principal | None = None
    token: str | None = None
    _form: dict[str, str] | None = field(default=None, repr=False)
    _files: dict[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def params(self) -> dict[str, str]:
        return dict(self.request.query_params or {})

    @property
    def form(self) -> dict[str, str]:
        """The POSTed form (urlencoded or multipart, UTF-8), first value of each field."""
        if self._form is None:
            from chalicelib.domain.limits import MAX_CHECK_BODY_BYTES, MAX_FORM_BYTES
            from chalicelib.errors import PayloadTooLarge

            raw = self.request.raw_body or b""
            content_type = str(self.request.headers.get("content-type") or "") if self.request.headers else ""
            multipart = content_type.lower().startswith("multipart/form-data")
            if len(raw) > (MAX_CHECK_BODY_BYTES if multipart else MAX_FORM_BYTES):
                raise PayloadTooLarge()
            if multipart:
                self._form, self._files = _multipart(content_type, raw if isinstance(raw, bytes) else raw.encode())
            else:
                from chalicelib.domain.limits import MAX_FORM_FIELDS

                text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
                try:
                    pairs = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
                except ValueError:
                    raise BadRequest(TOO_MANY_FIELDS) from None
                self._form = {k: v[0] for k, v in pairs.items()}
        return self._form

    @property
    def files(self) -> dict[str, bytes]:
        """The files of a multipart form (name -> content)."""
        self.form  # noqa: B018 - parses the body once
        return self._files

    @property
    def csrf(self) -> str:
        return security.csrf_token(security.session_binding(self.token)) if self.token else ""

    def context(self) -> dict[str, Any]:
        """What the layout needs: the header's organisation 様, ログアウト's token, the navigation."""
        principal = self.principal
        if principal is None:
            return {"principal": None, "service_name": service_name(None), "navigation": []}
        from chalicelib.services.parties import organisation_name

        return {
            "principal": principal,
            "organisation": organisation_name(principal),
            "csrf_token": self.csrf,
            "service_name": service_name(principal.role),
            "navigation": NAVIGATION.get(principal.role, []),
            "current_path": self.request.path,
        }

    def page(self, template: str, status: int = 200, headers: dict[str, Any] | None = None,
             **context: Any) -> Response:
        from chalicelib.portal.render import html

        return html(template, status=status, headers=headers, **self.context(), **context)


def _multipart(content_type: str, raw: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    """Fields and files of a multipart/form-data body (RFC 7578), read flat: at most limits.MAX_FORM_PARTS parts,
    counted before anything is parsed, and only each part's headers go to the standard library's header parser
    (its MIME parser took 6.6 s for a 700 KB body of 11,000 parts, and recursed without end into nested ones)."""
    from email.message import Message
    from email.parser import BytesHeaderParser
    from email.policy import HTTP

    from chalicelib.domain.limits import MAX_FORM_PARTS

    header = Message()
    header["content-type"] = content_type
    boundary = header.get_param("boundary")
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    if not isinstance(boundary, str) or not 0 < len(boundary) <= 70:  # RFC 2046's longest boundary
        return fields, files
    delimiter = b"--" + boundary.encode("latin-1", "replace")
    if raw.count(delimiter) > MAX_FORM_PARTS + 1:  # each part opens with one; the end has one more
        raise BadRequest(TOO_MANY_FIELDS)
    for piece in raw.split(delimiter)[1:]:
        if piece.startswith(b"--"):  # the closing delimiter
            break
        head, separator, body = piece.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not separator:
            continue
        part = BytesHeaderParser(policy=HTTP).parsebytes(head + b"\r\n\r\n")
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = body.removesuffix(b"\r\n")
        if part.get_filename() is not None:
            files.setdefault(name, payload)
        else:
            fields.setdefault(name, payload.decode("utf-8", errors="replace"))
    return fields, files


def open_session(request: Request, request_id: str, roles: tuple[str, ...]) -> PortalCall:
    """The signed-in caller holding one of `roles`; LoginRequired without a usable session, 403 for a role
    the page is not for."""
    from chalicelib.adapters.identity import require_role, verify_id_token
    from chalicelib.services.tables import use_tables

    token = security.cookies(request.headers).get(security.SESSION_COOKIE) or None
    if not token:
        raise LoginRequired(expired=False)
    try:
        principal = verify_id_token(token)
    except Unauthorized:
        raise LoginRequired(expired=True) from None
    except Forbidden:  # a user in no (or several) of the roles
        raise _Refused(PortalCall(request, request_id)) from None
    call = PortalCall(request, request_id, principal, token)
    use_tables()
    try:
        require_role(principal, *roles)
    except Forbidden:
        raise _Refused(call) from None
    return call


class _Refused(Exception):
    def __init__(self, call: PortalCall) -> None:
        super().__init__("forbidden")
        self.call = call


def check_post(call: PortalCall, binding: str | None) -> None:
    """Every POST: from this site (Origin/Referer) and carrying the form token bound to `binding`."""
    from chalicelib.config import get_settings

    if not security.same_origin(call.request.headers, get_settings().portal_url):
        raise CsrfRefused()
    if binding is None or not security.csrf_matches(binding, call.form.get(CSRF_FIELD)):
        raise CsrfRefused()


def login_redirect(call: PortalCall | None, request: Request, *, expired: bool) -> Response:
    from chalicelib.portal.render import redirect

    query = {"next": current_path(request)}
    if expired:
        query["expired"] = "1"
    headers = {"Set-Cookie": security.clear_session_cookie()} if expired else None
    return redirect("/login?" + urlencode(query), headers=headers)


def error_for(call: PortalCall | None, status: int, message: str | None = None, **kw: Any) -> Response:
    from chalicelib.portal.errors import error_page

    context = call.context() if call is not None and call.principal is not None else {}
    return error_page(status, message, **kw, **context)


def page(bp: chalice.Blueprint, *roles: str) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Wrap a view: session and role (login page / 403 page), POST checks (403 page), service errors as
    HTML pages. With no roles the page is public (login)."""

    def decorator(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def wrapper(**path_params: Any) -> Response:
            from chalicelib.http import request_id

            request = bp.current_request
            rid = request_id(request, bp.lambda_context)
            call: PortalCall | None = None
            try:
                if roles:
                    call = open_session(request, rid, roles)
                    if request.method == "POST":
                        check_post(call, security.session_binding(call.token or ""))
                else:
                    call = PortalCall(request, rid)
                return view(call, **path_params)
            except LoginRequired as exc:
                return login_redirect(call, request, expired=exc.expired)
            except _Refused as exc:
                return error_for(exc.call, 403)
            except CsrfRefused:
                return error_for(call, 403, "画面の有効期限が切れたか、正しくない送信です。"
                                 "もう一度画面を開き直してから操作してください。")
            except ValidationFailed as exc:
                return error_for(call, 400, exc.message, errors=[e.message for e in exc.errors])
            except ApiError as exc:
                if exc.STATUS_CODE >= 500:
                    logger.exception("portal view failed")
                messages = [e.get("message", "") for e in exc.errors or []]
                return error_for(call, exc.STATUS_CODE, exc.message, headers=exc.headers,
                                 errors=[m for m in messages if m and m != exc.message])

        return wrapper

    return decorator
