"""The contractor's 保証工事一覧 and certificates (its own), and the surety's read access.

Each view imports the service it calls when it runs: a cold Lambda loads only what its route uses.
"""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.domain.principal import Role
from chalicelib.handlers.common import authorized_call
from chalicelib.http import Blueprint, contract_number_param, csv_download

bp = Blueprint(__name__)


@bp.route("/v1/certificates", methods=["GET"])
def list_own() -> dict[str, Any] | Response:
    from chalicelib.services.listing import CsvFile, list_certificates
    from chalicelib.services.presenters import csv_link

    call = authorized_call(bp, Role.CONTRACTOR, Role.SURETY)
    answer = list_certificates(call.principal, call.params, call.request_id)
    if not isinstance(answer, CsvFile):
        return answer
    if answer.url is not None:  # too large to answer inline: See Other, the same bytes in S3 for a few minutes
        return Response(body=csv_link(answer.url, answer.rows), status_code=303, headers={"Location": answer.url})
    assert answer.body is not None
    return csv_download(answer.body, answer.disposition)


@bp.route("/v1/certificates/{contract_number}", methods=["GET"])
def read(contract_number: str) -> dict[str, Any]:
    from chalicelib.services.certificates import read_certificate

    call = authorized_call(bp, Role.CONTRACTOR, Role.SURETY)
    return read_certificate(call.principal, contract_number_param(contract_number), call.params.get("version"))


@bp.route("/v1/certificates/{contract_number}/pdf", methods=["GET"])
def pdf_link(contract_number: str) -> dict[str, Any]:
    from chalicelib.services.certificates import certificate_pdf_link

    call = authorized_call(bp, Role.CONTRACTOR, Role.SURETY)
    return certificate_pdf_link(call.principal, contract_number_param(contract_number), call.params.get("version"),
                                call.request_id)


@bp.route("/v1/certificates/{contract_number}/auth-key", methods=["GET"])
def show_key(contract_number: str) -> dict[str, Any]:
    from chalicelib.services.auth_keys import show_auth_key

    call = authorized_call(bp, Role.CONTRACTOR)
    return show_auth_key(call.principal, contract_number_param(contract_number), call.request_id)


@bp.route("/v1/certificates/{contract_number}/auth-key/reissue", methods=["POST"])
def reissue_key(contract_number: str) -> dict[str, Any]:
    from chalicelib.services.auth_keys import reissue_auth_key

    call = authorized_call(bp, Role.CONTRACTOR)
    return reissue_auth_key(call.principal, contract_number_param(contract_number), call.request_id)


@bp.route("/v1/certificates/{contract_number}/events", methods=["GET"])
def events(contract_number: str) -> dict[str, Any]:
    from chalicelib.services.certificates import certificate_events

    call = authorized_call(bp, Role.SURETY)
    return certificate_events(call.principal, contract_number_param(contract_number), call.params)
