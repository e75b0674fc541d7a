"""The surety staff's read-only console: find a contractor, its 保証工事一覧, a certificate with its versions
and audit trail. Issuing and amending stay API calls from the surety's own systems."""

from __future__ import annotations

from chalice import Response

from chalicelib.domain.limits import CONSOLE_CONTRACTORS_PER_PAGE, MAX_LIMIT, MAX_TYPED_FIELD
from chalicelib.http import Blueprint, contract_number_param
from chalicelib.portal.contractor import RANGE_FIELDS, SEARCH_FIELDS, SEARCH_PARAMS, certificate_list
from chalicelib.portal.pages import PortalCall, page

bp = Blueprint(__name__)

EVENT_NAMES = {
    "issued": "発行",
    "amended": "変更",
    "change_recorded": "変更の記録(証書の発行なし)",
    "cancelled": "解約",
    "key_shown": "認証キー表示",
    "key_reissued": "認証キー再発行",
    "pdf_issued": "PDF取得",
    "verification_succeeded": "確認成功",
    "verification_failed": "確認失敗",
    "verification_locked": "確認停止中の試行",
    "verification_reopened": "確認済み証書の再表示",
}
RESULT_NAMES = {"ok": "成功", "failed": "失敗", "locked": "停止中", "disabled": "無効"}
ROLE_NAMES = {"surety": "保証会社", "contractor": "受注者", "obligee": "発注者"}


@bp.route("/console", methods=["GET"])
@page(bp, "surety")
def console(call: PortalCall) -> Response:
    """保証契約者の検索: by id, or by the beginning of the name (法人格 aside), a page at a time in name order."""
    from urllib.parse import urlencode

    from chalicelib.services.parties import find_contractors

    q = (call.params.get("q") or "").strip()[:MAX_TYPED_FIELD]
    found = find_contractors(q, call.params, CONSOLE_CONTRACTORS_PER_PAGE)
    cursor = found["next_cursor"]
    return call.page("surety/console.html", contractors=found["items"], q=q, paged=bool(call.params.get("cursor")),
                     first_link="/console" + (f"?{urlencode({'q': q})}" if q else ""),
                     next_link=f"/console?{urlencode({'q': q, 'cursor': cursor} if q else {'cursor': cursor})}"
                     if cursor else None)


@bp.route("/console/search", methods=["GET"])
@page(bp, "surety")
def console_search(call: PortalCall) -> Response:
    """Certificates across contractors: by a whole 保証契約番号, an owner (with or without an 証書発行日 range) or an
    証書発行日 range, each read by an index of its own (services/listing: the API's search)."""
    if not any(call.params.get(name) for name in SEARCH_PARAMS if name != "field"):
        from chalicelib.domain.search import FIELD_NAMES_JA

        # Nothing asked yet: the form alone (a search without an indexed condition is refused, not run).
        return call.page("surety/search.html", items=[], search={"field": "contract_number"}, field_errors={},
                         search_fields=SEARCH_FIELDS, range_fields=RANGE_FIELDS, field_names=FIELD_NAMES_JA,
                         ranges_open=True, order_name="", base_path="/console/search", pager=None, csv_link=None,
                         asked=False)
    return certificate_list(call, "surety/search.html", "/console/search", {}, asked=True)


@bp.route("/console/contractors/{contractor_id}", methods=["GET"])
@page(bp, "surety")
def console_contractor(call: PortalCall, contractor_id: str) -> Response:
    from chalicelib.errors import NotFound
    from chalicelib.services.parties import contractor

    found = contractor(contractor_id)
    if found is None:
        raise NotFound("該当する保証契約者が見つかりません。", code="contractor_not_found")
    return certificate_list(call, "surety/contractor.html", f"/console/contractors/{contractor_id}",
                            {"contractor_id": contractor_id}, contractor=found)


@bp.route("/console/certificates/{contract_number}", methods=["GET"])
@page(bp, "surety")
def console_certificate(call: PortalCall, contract_number: str) -> Response:
    from chalicelib.portal.certificate_screen import certificate_screen
    from chalicelib.services.certificates import certificate_events, readable_version

    assert call.principal is not None
    number = contract_number_param(contract_number)
    versions, shown = readable_version(call.principal, number, call.params.get("version") or None)
    events_params = {"limit": str(MAX_LIMIT)}
    if call.params.get("cursor"):
        events_params["cursor"] = call.params["cursor"]
    events = certificate_events(call.principal, number, events_params)
    return call.page("surety/certificate.html", **certificate_screen(versions, shown), events=events["items"],
                     next_cursor=events.get("next_cursor"), event_names=EVENT_NAMES, role_names=ROLE_NAMES,
                     result_names=RESULT_NAMES)
