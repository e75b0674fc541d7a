"""The contractor's screens (e-Net保証): 保証工事一覧, a certificate and its print view, its PDF, the
認証キー and its re-issue. Every call goes through the services the API uses."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.domain.limits import MAX_PAGE_NUMBER, PORTAL_PER_PAGE
from chalicelib.http import Blueprint, contract_number_param
from chalicelib.portal.pages import FORM_CONTENT_TYPES, PortalCall, page

bp = Blueprint(__name__)

SEARCH_FIELDS = (("all", "全件"), ("contract_number", "保証契約番号"), ("obligee", "発注者"),
                 ("project_name", "工事名"))


def page_number(raw: str | None) -> int:
    """`?page=` as a positive integer up to MAX_PAGE_NUMBER; anything else is the first page."""
    text = (raw or "").strip()
    fits = text.isascii() and text.isdigit() and len(text) <= len(str(MAX_PAGE_NUMBER))
    return int(text) if fits and 0 < int(text) <= MAX_PAGE_NUMBER else 1


def certificate_list(call: PortalCall, template: str, base_path: str, scope: dict[str, str],
                     **context: Any) -> Response:
    """保証工事一覧 (contractor) or one contractor's list (surety): search + pager over certificate_page."""
    from chalicelib.domain.validation import ValidationFailed
    from chalicelib.services.listing import certificate_page

    assert call.principal is not None
    params = call.params
    field = params.get("field") or "all"
    if field not in dict(SEARCH_FIELDS):
        field = "all"
    q = params.get("q") or ""
    search = {"field": field, "q": q}
    status, field_errors, result = 200, {}, None
    try:
        result = certificate_page(call.principal, {**scope, **search}, page_number(params.get("page")),
                                  PORTAL_PER_PAGE)
    except ValidationFailed as exc:  # a search the rules refuse is shown on the search field
        status, field_errors = 400, {e.field: e.message for e in exc.errors}
    if result is None:
        result = {"total": 0, "items": [], "page": 1, "pages": 1, "first": 0, "last": 0}
    return call.page(template, status=status, listing=result, search=search, search_fields=SEARCH_FIELDS,
                     field_errors=field_errors, base_path=base_path, pager=pager_links(base_path, search, result),
                     **context)


def pager_links(base_path: str, search: dict[str, str], result: dict[str, Any]) -> dict[str, Any]:
    """Links of 先頭 / 前 / 次 / 最後 (None where there is nowhere to go) keeping the search."""
    from urllib.parse import urlencode

    current, pages = int(result.get("page") or 1), max(int(result.get("pages") or 1), 1)

    def link(number: int) -> str:
        query = {k: v for k, v in search.items() if v and not (k == "field" and v == "all")}
        if number > 1:
            query["page"] = str(number)
        return base_path + ("?" + urlencode(query) if query else "")

    return {
        "first": link(1) if current > 1 else None,
        "previous": link(current - 1) if current > 1 else None,
        "next": link(current + 1) if current < pages else None,
        "last": link(pages) if current < pages else None,
        "total": int(result.get("total") or 0),
        "from": int(result.get("first") or 0),
        "to": int(result.get("last") or 0),
    }


@bp.route("/certificates", methods=["GET"])
@page(bp, "contractor")
def certificates(call: PortalCall) -> Response:
    return certificate_list(call, "contractor/list.html", "/certificates", {})


def _certificate_context(call: PortalCall, contract_number: str) -> dict[str, Any]:
    from chalicelib.portal.certificate_screen import certificate_screen
    from chalicelib.services.certificates import readable_version

    assert call.principal is not None
    version = call.params.get("version") or None
    versions, shown = readable_version(call.principal, contract_number_param(contract_number), version)
    return {**certificate_screen(versions, shown), "version_query": f"?version={shown.version}" if version else ""}


@bp.route("/certificates/{contract_number}", methods=["GET"])
@page(bp, "contractor")
def certificate(call: PortalCall, contract_number: str) -> Response:
    return call.page("contractor/certificate.html", **_certificate_context(call, contract_number))


@bp.route("/certificates/{contract_number}/print", methods=["GET"])
@page(bp, "contractor")
def certificate_print(call: PortalCall, contract_number: str) -> Response:
    return call.page("contractor/print.html", **_certificate_context(call, contract_number))


@bp.route("/certificates/{contract_number}/pdf", methods=["GET"])
@page(bp, "contractor")
def certificate_pdf(call: PortalCall, contract_number: str) -> Response:
    from chalicelib.portal.render import redirect
    from chalicelib.services.certificates import certificate_pdf_link

    assert call.principal is not None
    link = certificate_pdf_link(call.principal, contract_number_param(contract_number),
                                call.params.get("version") or None, call.request_id)
    return redirect(link["url"])


def _key_screen(call: PortalCall, answer: dict[str, Any], *, reissued: bool = False) -> Response:
    from chalicelib.config import get_settings
    from chalicelib.services.certificates import read_certificate

    assert call.principal is not None
    certificate = read_certificate(call.principal, answer["contract_number"], None)
    return call.page("contractor/auth_key.html", key=answer, certificate=certificate,
                     surety_name=get_settings().surety.name, reissued=reissued)


@bp.route("/certificates/{contract_number}/auth-key", methods=["GET"])
@page(bp, "contractor")
def auth_key(call: PortalCall, contract_number: str) -> Response:
    from chalicelib.services.auth_keys import show_auth_key

    assert call.principal is not None
    answer = show_auth_key(call.principal, contract_number_param(contract_number), call.request_id)
    return _key_screen(call, answer, reissued=call.params.get("reissued") == "1")


@bp.route("/certificates/{contract_number}/auth-key/reissue", methods=["GET"])
@page(bp, "contractor")
def auth_key_reissue_confirm(call: PortalCall, contract_number: str) -> Response:
    from chalicelib.services.certificates import read_certificate

    assert call.principal is not None
    certificate = read_certificate(call.principal, contract_number_param(contract_number), None)
    return call.page("contractor/reissue.html", certificate=certificate)


@bp.route("/certificates/{contract_number}/auth-key/reissue", methods=["POST"], content_types=FORM_CONTENT_TYPES)
@page(bp, "contractor")
def auth_key_reissue(call: PortalCall, contract_number: str) -> Response:
    from chalicelib.portal.render import redirect
    from chalicelib.services.auth_keys import reissue_auth_key

    assert call.principal is not None
    number = contract_number_param(contract_number)
    reissue_auth_key(call.principal, number, call.request_id)
    return redirect(f"/certificates/{number}/auth-key?reissued=1")
