"""The contractor's screens (受注者ポータル): 保証工事一覧, a certificate and its print view, its PDF, the
認証キー and its re-issue. Every call goes through the services the API uses."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.domain.limits import PORTAL_PER_PAGE
from chalicelib.http import Blueprint, contract_number_param
from chalicelib.portal.pages import FORM_CONTENT_TYPES, PortalCall, page

bp = Blueprint(__name__)

SEARCH_FIELDS = (("all", "全件"), ("contract_number", "保証契約番号"), ("obligee", "発注者"),
                 ("project_name", "工事名"))
# What the search form sends (domain/search.PARAMETERS but the output format): kept in every pager link.
SEARCH_PARAMS = ("field", "q", "issued_from", "issued_to", "contract_date_from", "contract_date_to",
                 "guarantee_amount_min", "guarantee_amount_max", "contract_amount_min", "contract_amount_max",
                 "obligee_id")
# The ranges, as the form lays them out: (label, low field, high field, input type).
RANGE_FIELDS = (("証書発行日", "issued_from", "issued_to", "date"),
                ("契約日", "contract_date_from", "contract_date_to", "date"),
                ("保証金額(円)", "guarantee_amount_min", "guarantee_amount_max", "text"),
                ("請負金額(円)", "contract_amount_min", "contract_amount_max", "text"))


def certificate_list(call: PortalCall, template: str, base_path: str, scope: dict[str, str],
                     **context: Any) -> Response:
    """保証工事一覧 (contractor), one contractor's list or the search across contractors (surety): the search form,
    the pager (先頭 / 前 / 次 / 最後 from signed cursors), the rows, a CSV of the whole search; the API's service."""
    from urllib.parse import urlencode

    from chalicelib.domain.search import FIELD_NAMES_JA, ORDER_NAMES_JA
    from chalicelib.domain.validation import ValidationFailed
    from chalicelib.services.listing import certificate_page, export_csv

    assert call.principal is not None
    params = call.params
    search = {name: params.get(name, "") for name in SEARCH_PARAMS}
    if search["field"] not in dict(SEARCH_FIELDS):
        search["field"] = "all"
    asked = {k: v for k, v in search.items() if v and not (k == "field" and v == "all")}
    if params.get("format") == "csv":
        from chalicelib.http import csv_download
        from chalicelib.portal.render import redirect
        from chalicelib.portal.security import COMMON_HEADERS

        exported = export_csv(call.principal, {**scope, **asked, "format": "csv"}, call.request_id)
        if exported.url is not None:
            return redirect(exported.url)
        assert exported.body is not None
        return csv_download(exported.body, exported.disposition, headers=COMMON_HEADERS)
    status, field_errors, page = 200, {}, None
    cursor = {"cursor": params["cursor"]} if params.get("cursor") else {}
    try:
        page = certificate_page(call.principal, {**scope, **asked, **cursor, "limit": str(PORTAL_PER_PAGE)})
    except ValidationFailed as exc:  # a search the rules refuse is shown on its fields
        status, field_errors = 400, {e.field: e.message for e in exc.errors}

    def link(**extra: str) -> str:
        query = {**asked, **extra}
        return base_path + ("?" + urlencode(query) if query else "")

    pager = {
        "first": link() if page is not None and page.prev_cursor else None,
        "previous": link(cursor=page.prev_cursor) if page is not None and page.prev_cursor else None,
        "next": link(cursor=page.next_cursor) if page is not None and page.next_cursor else None,
        "last": link(cursor=page.last_cursor) if page is not None and page.last_cursor else None,
        "total": page.total if page is not None else 0,
        "from": page.first_row if page is not None else 0,
        "to": page.last_row if page is not None else 0,
    }
    return call.page(template, status=status, items=page.items() if page else [],
                     search=search, search_fields=SEARCH_FIELDS, range_fields=RANGE_FIELDS,
                     field_names=FIELD_NAMES_JA, field_errors=field_errors,
                     ranges_open=any(search[n] for _, low, high, _ in RANGE_FIELDS for n in (low, high))
                     or bool(search["obligee_id"]) or any(f in field_errors for f in SEARCH_PARAMS[2:]),
                     order_name=ORDER_NAMES_JA[page.order] if page else "", base_path=base_path, pager=pager,
                     csv_link=link(format="csv") if page is not None and page.rows else None, **context)


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
    context = _certificate_context(call, contract_number)
    back = f"/certificates/{context['certificate']['contract_number']}{context['version_query']}"
    return call.page("partials/print.html", **context, back_link=back, back_label="保証証書の画面へ戻る")


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
