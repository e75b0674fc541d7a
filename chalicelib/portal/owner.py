"""The owner clerk's screens (確認サービス): 保証証書の確認 with 保証契約番号 + 認証キー, and
確認済み一覧. The verification rules (normalising, the one generic failure, locks) are the service's."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.domain.limits import MAX_LIMIT, MAX_TYPED_CONTRACT_NUMBER, MAX_TYPED_FIELD
from chalicelib.http import Blueprint
from chalicelib.portal.pages import FORM_CONTENT_TYPES, UPLOAD_CONTENT_TYPES, PortalCall, page

bp = Blueprint(__name__)

FIELDS = ("contract_number", "auth_key")


def _form(call: PortalCall, *, status: int = 200, values: dict[str, str] | None = None,
          field_errors: dict[str, str] | None = None, message: str | None = None,
          retry_after: str | None = None) -> Response:
    headers = {"Retry-After": retry_after} if retry_after else None
    return call.page("owner/verify.html", status=status, headers=headers, values=values or {},
                     field_errors=field_errors or {}, message=message)


@bp.route("/verify", methods=["GET"])
@page(bp, "obligee")
def verify_form(call: PortalCall) -> Response:
    # The key notice's QR code lands here with the number filled in; a key is never taken from a URL.
    number = (call.params.get("contract_number") or "")[:MAX_TYPED_CONTRACT_NUMBER]
    return _form(call, values={"contract_number": number})


@bp.route("/verify", methods=["POST"], content_types=FORM_CONTENT_TYPES)
@page(bp, "obligee")
def verify_submit(call: PortalCall) -> Response:
    from chalicelib.domain.validation import ValidationFailed
    from chalicelib.errors import ApiError
    from chalicelib.portal.certificate_screen import certificate_screen
    from chalicelib.services.verification import verify_certificate

    assert call.principal is not None
    values = {name: call.form.get(name, "")[:MAX_TYPED_FIELD] for name in FIELDS}
    try:
        verified = verify_certificate(call.principal, dict(values), call.request_id)
    except ValidationFailed as exc:
        return _form(call, status=400, values={"contract_number": values["contract_number"]},
                     field_errors=_by_field([(e.field, e.message) for e in exc.errors]),
                     message="入力内容に誤りがあります。")
    except ApiError as exc:
        kept = {"contract_number": values["contract_number"]}
        if exc.STATUS_CODE in (404, 429):
            retry = exc.headers.get("Retry-After") if exc.headers else None
            return _form(call, status=exc.STATUS_CODE, values=kept, message=exc.message,
                         retry_after=str(retry) if retry else None)
        raise
    return call.page("owner/result.html", **certificate_screen(verified.versions), pdf_url=verified.pdf_url,
                     verified_at=verified.verified_at, verified_version=verified.verified_version)


def _by_field(errors: list[tuple[str, str]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, message in errors:
        key = name if name in FIELDS else "contract_number"
        found.setdefault(key, message)
    return found


@bp.route("/verifications", methods=["GET"])
@page(bp, "obligee")
def verifications(call: PortalCall) -> Response:
    """確認済み一覧: 100 rows a page, newest 確認日時 first, searched as GET /v1/verifications is; each row opens its
    certificate again."""
    from urllib.parse import urlencode

    from chalicelib.domain.lookups import VERIFIED_FIELD_NAMES_JA, VerifiedField
    from chalicelib.domain.validation import ValidationFailed
    from chalicelib.services.verification import list_verified

    assert call.principal is not None
    field = call.params.get("field") or VerifiedField.ALL.value
    if field not in set(VerifiedField):
        field = VerifiedField.ALL.value
    search = {"field": field, "q": (call.params.get("q") or "")[:MAX_TYPED_FIELD]}
    params: dict[str, Any] = {"limit": str(MAX_LIMIT), **search}
    cursor = call.params.get("cursor")
    if cursor:
        params["cursor"] = cursor
    status, field_errors = 200, {}
    result: dict[str, Any] = {"items": [], "next_cursor": None}
    try:
        result = list_verified(call.principal, params)
    except ValidationFailed as exc:  # a search the rules refuse is shown on the search field
        status, field_errors = 400, {e.field: e.message for e in exc.errors}
    kept = {k: v for k, v in search.items() if v and not (k == "field" and v == VerifiedField.ALL.value)}
    next_cursor = result.get("next_cursor")
    return call.page("owner/verifications.html", status=status, items=result["items"], search=search,
                     search_fields=[(f.value, name) for f, name in VERIFIED_FIELD_NAMES_JA.items()],
                     field_errors=field_errors, paged=bool(cursor), searched=bool(kept),
                     first_link="/verifications" + (f"?{urlencode(kept)}" if kept else ""),
                     next_link=f"/verifications?{urlencode({**kept, 'cursor': next_cursor})}" if next_cursor else None)


@bp.route("/verifications/{contract_number}", methods=["GET"])
@page(bp, "obligee")
def verification_reopened(call: PortalCall, contract_number: str) -> Response:
    """A row of 確認済み一覧 opened again: the certificate as it stands, without typing the key again (audited)."""
    from chalicelib.http import contract_number_param
    from chalicelib.portal.certificate_screen import certificate_screen
    from chalicelib.services.verification import reopen

    assert call.principal is not None
    verified = reopen(call.principal, contract_number_param(contract_number), call.request_id)
    return call.page("owner/result.html", **certificate_screen(verified.versions), pdf_url=verified.pdf_url,
                     verified_at=verified.verified_at, verified_version=verified.verified_version, reopened=True)


@bp.route("/verifications/{contract_number}/print", methods=["GET"])
@page(bp, "obligee")
def verification_print(call: PortalCall, contract_number: str) -> Response:
    """The verified certificate's print view (as the contractor's): only a certificate this owner verified."""
    from chalicelib.http import contract_number_param
    from chalicelib.portal.certificate_screen import certificate_screen
    from chalicelib.services.verification import reopen

    assert call.principal is not None
    number = contract_number_param(contract_number)
    verified = reopen(call.principal, number, call.request_id)
    return call.page("partials/print.html", **certificate_screen(verified.versions),
                     back_link=f"/verifications/{number}", back_label="確認結果の画面へ戻る")


@bp.route("/check", methods=["GET"])
@page(bp, "obligee")
def check_form(call: PortalCall) -> Response:
    return call.page("owner/check.html", answer=None, message=None)


@bp.route("/check", methods=["POST"], content_types=UPLOAD_CONTENT_TYPES)
@page(bp, "obligee")
def check_submit(call: PortalCall) -> Response:
    """A PDF the clerk was handed: the same answer as POST /v1/documents/check, drawn as a page."""
    from chalicelib.services.document_check import check_pdf_bytes

    assert call.principal is not None
    data = call.files.get("pdf")
    if not data:
        return call.page("owner/check.html", status=400, answer=None,
                         message="確認するPDFファイルを選んでから「確認する」を押してください。")
    return call.page("owner/check.html", answer=check_pdf_bytes(call.principal, data, call.request_id),
                     message=None)
