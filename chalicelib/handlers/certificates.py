"""The contractor's portal (保証工事一覧) and the surety's read access to certificates.

Each view imports the service it calls when it runs: a cold Lambda loads only what its route uses.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.principal import Principal
from chalicelib.errors import BadRequest, NotFound
from chalicelib.handlers.common import Blueprint, authorized_call, contract_number_param
from chalicelib.store import guarantees as store
from chalicelib.store.models import GuaranteeVersion

bp = Blueprint(__name__)


def readable_versions(principal: Principal, contract_number: str) -> list[GuaranteeVersion]:
    """All versions, newest first, if the caller may read them; otherwise 404 as for an unknown number."""
    versions = store.get_versions(contract_number)
    if not versions:
        raise NotFound()
    if principal.role == "contractor" and versions[0].contractor_id != principal.org_id:
        raise NotFound()
    return versions


def pick_version(versions: list[GuaranteeVersion], raw: str | None) -> GuaranteeVersion:
    """The latest version, or the one `?version=k` asks for (400 if not a number, 404 if none)."""
    if raw is None or raw == "":
        return versions[0]
    if not raw.isdigit():
        message = "version は1以上の整数で指定してください。"
        raise BadRequest(message, code="validation_error", errors=[{"field": "version", "message": message}])
    for item in versions:
        if int(item.version) == int(raw):
            return item
    raise NotFound("指定された版の保証証書はありません。", code="version_not_found")


@bp.route("/v1/certificates", methods=["GET"])
def list_own() -> dict[str, Any]:
    from chalicelib.services.listing import list_certificates

    call = authorized_call(bp, "contractor", "surety")
    return list_certificates(call.principal, call.params)


@bp.route("/v1/certificates/{contract_number}", methods=["GET"])
def read(contract_number: str) -> dict[str, Any]:
    from chalicelib.services.presenters import certificate_detail

    call = authorized_call(bp, "contractor", "surety")
    versions = readable_versions(call.principal, contract_number_param(contract_number))
    return certificate_detail(versions, pick_version(versions, call.params.get("version")))


@bp.route("/v1/certificates/{contract_number}/pdf", methods=["GET"])
def pdf_link(contract_number: str) -> dict[str, Any]:
    from chalicelib.adapters import files
    from chalicelib.services import documents
    from chalicelib.services.issuance import audit_event

    call = authorized_call(bp, "contractor", "surety")
    number = contract_number_param(contract_number)
    item = pick_version(readable_versions(call.principal, number), call.params.get("version"))
    url = files.presign(documents.ensure_certificate_pdf(item))
    audit_event(number, "pdf_issued", call.principal, call.request_id, detail={"version": int(item.version)}).save()
    return {"contract_number": number, "version": int(item.version), "url": url, "expires_in": files.LINK_SECONDS}


@bp.route("/v1/certificates/{contract_number}/auth-key", methods=["GET"])
def show_key(contract_number: str) -> dict[str, Any]:
    from chalicelib.services.verification import show_auth_key

    call = authorized_call(bp, "contractor")
    return show_auth_key(call.principal, contract_number_param(contract_number), call.request_id)


@bp.route("/v1/certificates/{contract_number}/auth-key/reissue", methods=["POST"])
def reissue_key(contract_number: str) -> dict[str, Any]:
    from chalicelib.services.verification import reissue_auth_key

    call = authorized_call(bp, "contractor")
    return reissue_auth_key(call.principal, contract_number_param(contract_number), call.request_id)


@bp.route("/v1/certificates/{contract_number}/events", methods=["GET"])
def events(contract_number: str) -> dict[str, Any]:
    from chalicelib.services.verification import list_events

    call = authorized_call(bp, "surety")
    number = contract_number_param(contract_number)
    readable_versions(call.principal, number)
    return list_events(number, call.params)
